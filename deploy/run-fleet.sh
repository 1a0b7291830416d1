#!/usr/bin/env bash
# A fleet on one machine, for a newcomer: installs what is missing (the build dependencies through
# deploy/install-deps.sh, plus Debian's redis-server and haproxy), builds (deploy/build.sh), and
# starts, on loopback only:
#   - redis-server on a free port, persistence off, a generated password (AUTH);
#   - the four vendor sandboxes (vendor-sandbox --all) on four free consecutive ports;
#   - three gateway replicas on free ports, from one generated fleet config with shared_state;
#   - haproxy in front (round robin, health checks on /readyz) on 127.0.0.1:8080 (or a free port);
# then prints a working curl line against haproxy. Ctrl-C (or SIGTERM) stops everything it started.
#
#   deploy/run-fleet.sh [--no-shared-state] [--replicas N] [--smoke]
#
#   --no-shared-state  leave `shared_state` out of the replicas' config: each replica keeps its
#                      budgets, limits and cache in memory (redis-server is still started, unused)
#   --replicas N       N replicas instead of 3 (also shared_state.expected_replicas)
#   --smoke            start everything, make the printed request through haproxy, check the answer,
#                      then stop everything (exit 0 only if every replica answered 200 with conversations)
#
# Environment: BUILD_DIR (as deploy/build.sh), FLEET_LB_PORT (haproxy's port; default 8080 if free).
# Everything generated (configs, the Redis password, logs) lives in a private temporary directory
# that is removed on exit; set FLEET_KEEP_STATE=1 to keep it for reading the logs afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

shared_state=1
replicas=3
smoke=0
while [ $# -gt 0 ]; do
  case $1 in
    --no-shared-state) shared_state=0 ;;
    --replicas) replicas=${2:?--replicas needs a number}; shift ;;
    --smoke) smoke=1 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-fleet: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $replicas in '' | *[!0-9]* | 0) echo "run-fleet: --replicas needs a positive number" >&2; exit 2 ;; esac

# Messages go to the script's own stdout (fd 9) even from a trap that fires while a command's
# output is redirected to a file.
exec 9>&1
say() { echo "run-fleet: $*" >&9; }

# --- install and build ------------------------------------------------------------------------
"$root/deploy/install-deps.sh"
missing=()
for p in redis-server haproxy; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
"$root/deploy/build.sh"
bin=${BUILD_DIR:-$root/build}/bin
redis_server=$(command -v redis-server || echo /usr/bin/redis-server)
redis_cli=$(command -v redis-cli || echo /usr/bin/redis-cli)
haproxy=$(command -v haproxy || echo /usr/sbin/haproxy)

# --- bookkeeping: everything started is stopped ------------------------------------------------
state=$(mktemp -d /tmp/cgw-fleet.XXXXXX)  # mode 0700: it holds the Redis password
chmod 700 "$state"
pids=()    # in start order; stopped in reverse
names=()
stopping=0
watchdog=""
stop_all() {
  [ "$stopping" -eq 0 ] || return 0
  stopping=1
  trap - INT TERM EXIT
  rm -f "$state/pids"
  [ -z "$watchdog" ] || kill -TERM "$watchdog" 2>/dev/null || true
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    wait "${pids[$i]}" 2>/dev/null || true  # a replica drains within server.shutdown_grace_ms
  done
  if [ "${FLEET_KEEP_STATE:-0}" = 1 ]; then
    rm -f "$state/redis-password" "$state/redis.conf"
    say "stopped; logs kept in $state"
  else
    rm -rf "$state"
    say "stopped ${#pids[@]} processes"
  fi
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT
started() {  # started NAME PID
  names+=("$1")
  pids+=("$2")
  echo "$2" >>"$state/pids"
}
# A safety net: should this script die without running stop_all (SIGKILL, say), a watchdog stops
# what it had started and removes the state directory (it holds the Redis password).
parent=$$
(
  trap '' INT HUP
  while kill -0 "$parent" 2>/dev/null; do sleep 1; done
  if [ -f "$state/pids" ]; then
    tac "$state/pids" | while read -r p; do kill -TERM "$p" 2>/dev/null; done
    sleep 2
    rm -rf "$state"
  fi
) </dev/null >/dev/null 2>&1 9>&- &
watchdog=$!

# --- free loopback ports ---------------------------------------------------------------------
# Outside the kernel's ephemeral range, so an outgoing connection's local port never takes one
# between the probe and the bind.
read -r eph_low eph_high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { eph_low=32768; eph_high=60999; }
if [ "$eph_low" -gt 11000 ]; then pick_from=10000 pick_span=$((eph_low - 10000 - 4)); else pick_from=$((eph_high + 1)) pick_span=$((65530 - eph_high - 4)); fi
taken=" "
port_free() {  # nothing listens on 127.0.0.1:$1 and this script has not handed it out
  case $taken in *" $1 "*) return 1 ;; esac
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
free_port() {  # free_port [COUNT]: sets $port_found to the first of COUNT consecutive free ports
  # (not called as $(free_port): it records what it hands out, which a subshell would forget)
  local count=${1:-1} p i ok
  for _ in $(seq 1 200); do
    p=$((pick_from + (RANDOM * 32768 + RANDOM) % pick_span))
    ok=1
    for ((i = 0; i < count; i++)); do port_free $((p + i)) || { ok=0; break; }; done
    if [ $ok = 1 ]; then
      for ((i = 0; i < count; i++)); do taken+="$((p + i)) "; done
      port_found=$p
      return 0
    fi
  done
  echo "run-fleet: no free port found" >&2
  return 1
}
wait_for() {  # wait_for WHAT PID CMD...: until CMD succeeds, the process is alive, 10 s at most
  local what=$1 pid=$2
  shift 2
  for _ in $(seq 1 100); do
    "$@" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { say "$what exited at start; its log:"; cat "$state/$what.log" >&2 || true; return 1; }
    sleep 0.1
  done
  say "$what did not come up within 10 s; its log:"
  cat "$state/$what.log" >&2 || true
  return 1
}

# --- redis-server: persistence off, loopback, AUTH with a generated password -----------------
free_port && redis_port=$port_found
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state/redis-password"
chmod 600 "$state/redis-password"
{ # the password goes in a file, never on a command line (ps) or in a log
  echo "requirepass $(cat "$state/redis-password")"
} >"$state/redis.conf"
chmod 600 "$state/redis.conf"
"$redis_server" "$state/redis.conf" --bind 127.0.0.1 --port "$redis_port" --protected-mode yes \
  --save "" --appendonly no --dir "$state" --daemonize no --logfile "" >"$state/redis.log" 2>&1 9>&- &
started redis $!
redis_ping() { REDISCLI_AUTH=$(cat "$state/redis-password") "$redis_cli" -h 127.0.0.1 -p "$redis_port" --no-auth-warning ping | grep -q PONG; }
wait_for redis "${pids[-1]}" redis_ping
say "redis-server on 127.0.0.1:$redis_port (persistence off, AUTH on)"

# --- the vendor sandboxes ----------------------------------------------------------------------
free_port 4 && sandbox_base=$port_found
"$bin/vendor-sandbox" --all --address 127.0.0.1 --base-port "$sandbox_base" >"$state/sandboxes.log" 2>&1 9>&- &
started sandboxes $!
sandboxes_up() { [ "$(grep -c 'listening on' "$state/sandboxes.log")" -eq 4 ]; }
wait_for sandboxes "${pids[-1]}" sandboxes_up
say "sandboxes on 127.0.0.1:$sandbox_base-$((sandbox_base + 3))"

# --- the fleet config: config/sandbox.json with this run's ports (+ shared_state) --------------
# One file per replica, differing only in listen.port; the same cursor_secret everywhere, so any
# replica continues any walk.
make_config() {  # make_config PORT > FILE
  local shared=""
  if [ "$shared_state" = 1 ]; then
    shared="\"shared_state\": {\"redis\": {\"url\": \"redis://127.0.0.1:$redis_port/0\", "
    shared+="\"password\": \"\${file:$state/redis-password}\", \"key_prefix\": \"cgw:\", \"timeout_ms\": 50}, "
    shared+="\"expected_replicas\": $replicas},"
  fi
  sed -e "1s|^{\$|{ $shared|" \
      -e "s|\"port\": 8080|\"port\": $1|" \
      -e "s|\"level\": \"debug\"|\"level\": \"info\"|" \
      -e "s|http://127.0.0.1:9101|http://127.0.0.1:$((sandbox_base + 0))|" \
      -e "s|http://127.0.0.1:9102|http://127.0.0.1:$((sandbox_base + 1))|" \
      -e "s|http://127.0.0.1:9103|http://127.0.0.1:$((sandbox_base + 2))|" \
      -e "s|http://127.0.0.1:9104|http://127.0.0.1:$((sandbox_base + 3))|" \
      "$root/config/sandbox.json"
}
replica_ports=()
for ((i = 1; i <= replicas; i++)); do
  free_port && port=$port_found
  replica_ports+=("$port")
  make_config "$port" >"$state/replica-$i.json"
  # config/sandbox.json changed shape under the substitutions: say so rather than run the wrong thing
  grep -q "\"port\": $port" "$state/replica-$i.json" && grep -q "127.0.0.1:$sandbox_base\"" "$state/replica-$i.json" || {
    say "config/sandbox.json no longer has the shape this script rewrites (listen.port 8080, sandboxes on 9101-9104)"
    exit 1
  }
  if ! "$bin/conversation-gateway" --check-config "$state/replica-$i.json" >"$state/check-$i.log" 2>&1; then
    cat "$state/check-$i.log" >&2
    [ "$shared_state" = 1 ] && say "this build refuses the fleet config; if it does not know shared_state yet, run with --no-shared-state"
    exit 1
  fi
done
for ((i = 1; i <= replicas; i++)); do
  "$bin/conversation-gateway" --config "$state/replica-$i.json" >"$state/replica-$i.log" 2>&1 9>&- &
  started "replica-$i" $!
done
for ((i = 1; i <= replicas; i++)); do
  wait_for "replica-$i" "${pids[-$((replicas - i + 1))]}" curl -fsS "http://127.0.0.1:${replica_ports[$((i - 1))]}/readyz"
done
say "$replicas replicas on 127.0.0.1:${replica_ports[*]}$([ "$shared_state" = 1 ] && echo ", sharing state through Redis" || echo ", each with its own in-memory state (--no-shared-state)")"

# --- haproxy: round robin, health checks on /readyz --------------------------------------------
if [ -n "${FLEET_LB_PORT:-}" ]; then
  lb_port=$FLEET_LB_PORT
elif port_free 8080; then
  lb_port=8080
  taken+="8080 "
else
  free_port && lb_port=$port_found
fi
{
  cat <<CFG
global
    log stderr format short local0 notice
    maxconn 4096

defaults
    mode http
    log global
    option httplog
    option dontlognull
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    retries 2
    option redispatch

frontend gateway
    bind 127.0.0.1:$lb_port
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 2
CFG
  for ((i = 1; i <= replicas; i++)); do
    echo "    server replica-$i 127.0.0.1:${replica_ports[$((i - 1))]}"
  done
} >"$state/haproxy.cfg"
"$haproxy" -c -q -f "$state/haproxy.cfg"
"$haproxy" -db -f "$state/haproxy.cfg" >"$state/haproxy.log" 2>&1 9>&- &
started haproxy $!
wait_for haproxy "${pids[-1]}" curl -fsS "http://127.0.0.1:$lb_port/readyz"

url="http://127.0.0.1:$lb_port/v1/conversations?vendor=salesloft&page_size=3&language=en-US"
cat <<MSG

The fleet answers on http://127.0.0.1:$lb_port (haproxy, round robin over $replicas replicas). Try:

  curl -s '$url'

Each replica's /metrics: $(for p in "${replica_ports[@]}"; do printf 'http://127.0.0.1:%s/metrics ' "$p"; done)
Logs: $state/*.log (removed on exit unless FLEET_KEEP_STATE=1)
Ctrl-C stops haproxy, the replicas (they drain), the sandboxes and redis-server.
MSG

if [ "$smoke" = 1 ]; then
  ok=1
  for n in $(seq 1 "$replicas"); do  # once per replica: round robin reaches each
    code=$(curl -s -o "$state/answer.json" -w '%{http_code}' "$url")
    if [ "$code" != 200 ] || ! grep -q '^{"data":\[{"id":' "$state/answer.json"; then
      say "smoke: request $n through haproxy answered $code: $(head -c 300 "$state/answer.json")"
      ok=0
    fi
  done
  served=0
  for p in "${replica_ports[@]}"; do
    metrics=$(curl -s "http://127.0.0.1:$p/metrics")
    grep -q '^cgw_http_requests_total{route="/v1/conversations",status="200"}' <<<"$metrics" && served=$((served + 1))
  done
  say "smoke: $replicas requests through haproxy, $served of $replicas replicas answered /v1/conversations"
  [ "$ok" = 1 ] && [ "$served" = "$replicas" ] || exit 1
  say "smoke: ok"
  exit 0
fi

# Until Ctrl-C. A replica that exits (killed, or drained by a SIGTERM) leaves the rotation at
# haproxy's next /readyz check and the others carry on; if Redis, the sandboxes, haproxy or the
# last replica exits, the rest are stopped too.
set +e
alive=("${pids[@]}")
replicas_left=$replicas
while :; do
  # A short sleep waited on, rather than `wait -n` on the fleet: a trapped Ctrl-C ends the wait at
  # once either way, and this never depends on which child's exit the shell saw first.
  sleep 1 &
  wait $!
  next=()
  for i in "${!pids[@]}"; do
    p=${pids[$i]}
    case " ${alive[*]} " in *" $p "*) ;; *) continue ;; esac
    if kill -0 "$p" 2>/dev/null; then next+=("$p"); continue; fi
    wait "$p"
    status=$?
    who=${names[$i]}
    case $who in
      replica-*)
        replicas_left=$((replicas_left - 1))
        if [ "$replicas_left" -gt 0 ]; then
          say "$who exited (status $status); haproxy routes around it, $replicas_left left (log: $state/$who.log)"
          continue
        fi
        who="the last replica ($who)"
        ;;
    esac
    say "$who exited (status $status); stopping the rest"
    exit 1
  done
  alive=("${next[@]}")
done
