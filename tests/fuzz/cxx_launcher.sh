#!/bin/sh
# Compiler launcher for the libFuzzer build (run.sh): runs the compile command with
# -fno-sanitize=function appended, after the -fsanitize=...,undefined that CGW_FUZZ adds, so that
# it wins. clang 14's function sanitizer breaks on Asio coroutines ("error in backend: Cannot
# represent a difference across sections" in gateway/upstream/client.cpp; llvm/llvm-project#49689).
exec "$@" -fno-sanitize=function
