#!/usr/bin/env bash
# Every C++ file of the tree is as clang-format (the repo's .clang-format) writes it. Fails with
# the files that differ and the command that fixes them.
set -euo pipefail
root=${1:?usage: check_format.sh SOURCE_DIR}
cd "$root"
command -v clang-format >/dev/null || { echo "check_format: clang-format is not installed (deploy/install-deps.sh)"; exit 1; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
else
  mapfile -t files < <(find adapters config gateway tests -name '*.cpp' -o -name '*.hpp' -o -name '*.h')
fi
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  printf 'check_format: not formatted: %s\n' "${bad[@]}"
  echo "check_format: fix with: clang-format -i ${bad[*]}"
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
