#!/usr/bin/env bash
# Writes the secret files deploy/compose.yaml mounts (deploy/secrets/, git-ignored): the sandboxes'
# well-known credentials, and a fresh random cursor secret and Redis password. Existing files are
# kept (delete one to renew it). Nothing is printed but the file names.
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)/secrets
mkdir -p "$dir"
chmod 700 "$dir"   # the directory is private; the files are 0644 so that the containers' non-root
                   # users can read the bind-mounted copies (compose ignores a file secret's mode)
write() {  # write NAME VALUE
  [ -e "$dir/$1" ] && return 0
  (umask 022 && printf '%s' "$2" >"$dir/$1")
  echo "compose-secrets: wrote $dir/$1"
}
random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
write cursor-secret "$(random)"
write redis-password "$(random)"
write salesloft-token sandbox-salesloft-token
write twilio-flex-password sandbox-flex-secret
write twilio-insights-password sandbox-insights-secret
write zild-jwt sandbox-zild-jwt
