#!/usr/bin/env bash
# Lanyard's benchmark, the one command. Runs the parts named in PARTS, in this order:
#   ceilings  bench/ceilings.sh: RS256 signatures and PBKDF2 hashes per second on this machine
#   protocol  Lanyard on SQLite and on PostgreSQL and the peer (node-oidc-provider, bench/peer/) on the
#             same databases, in the same run: client_credentials, refresh_token with and without
#             rotation, userinfo and JWKS driven by wrk; the full authorization-code flow with a password
#             login driven by bench/login.py; p50/p99 at half of the peak rate; RSS; PostgreSQL write
#             transactions per rotating refresh
#   scale     bench/scale.sh      import  bench/import.sh      startup  bench/startup.sh
# A part whose script does not exist is skipped with a note. Exits non-zero on any failure, including
# a single non-2xx response or socket error during a measured, warm-up or paced run.
#
# Usage: ./bench/run.sh            (see bench/README.md)
# Environment:
#   PARTS="ceilings protocol scale import startup"
#   DURATION=15s      measured wrk run per scenario (also the paced half-load run)
#   WARMUP=30s        unmeasured run before each measured one (0 to skip); the JIT's second tier takes
#                     20-30 s of token traffic to finish (docs/performance.md, "Warm-up"), so shorter
#                     warm-ups measure the JIT as well as the server
#   CONNECTIONS=32    concurrent keep-alive connections
#   THREADS=2         wrk threads (must be <= CONNECTIONS)
#   SYSTEMS="lanyard-sqlite peer-sqlite lanyard-postgres peer-postgres"   (also: peer-memory)
#   PROVIDERS="Sqlite Postgres"   narrows SYSTEMS to those databases (kept for old command lines)
#   SCENARIOS="client_credentials refresh_static refresh_rotating userinfo jwks login_flow"
#   HALF_LOAD=1       the paced run at 50% of the measured peak for the token scenarios (0 to skip)
#   QUIET_S=10        seconds each server idles after its last scenario before its memory is read again
#   LOGIN_CONCURRENCY=8   concurrent full login flows
#   LOGIN_WARMUP=40s  unmeasured login flows before the measured ones (the JIT needs ~30-40 s at ~10 flows/s)
#   LOGIN_CEILING_S=5 the PBKDF2 ceiling measured again right after each system's login flows, for a share of
#                     the hash ceiling taken in the same minute (0 to skip)
#   PEER_WORKERS=<CPUs>   node-oidc-provider worker processes (cluster) sharing the port
#   STARTUP_RUNS=3    runs of bench/startup.sh
#   RESULTS_FILE=path also append the final Markdown tables there
#   NO_BUILD=1        skip `dotnet build` (use the existing Release build)
#   LANYARD_BIN=dir   run the Lanyard build in dir instead of src/Lanyard.Server/bin/Release/net10.0 (A/B runs)
#   KEEP_WORK=1       keep the working directory (server logs, wrk output) instead of removing it
set -Eeuo pipefail

PARTS=${PARTS:-"ceilings protocol scale import startup"}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-30s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
SYSTEMS=${SYSTEMS:-"lanyard-sqlite peer-sqlite lanyard-postgres peer-postgres"}
PROVIDERS=${PROVIDERS:-"Sqlite Postgres"}
SCENARIOS=${SCENARIOS:-"client_credentials refresh_static refresh_rotating userinfo jwks login_flow"}
HALF_LOAD=${HALF_LOAD:-1}
QUIET_S=${QUIET_S:-10}
LOGIN_CONCURRENCY=${LOGIN_CONCURRENCY:-8}
LOGIN_WARMUP=${LOGIN_WARMUP:-40s}
LOGIN_CEILING_S=${LOGIN_CEILING_S:-5}
PEER_WORKERS=${PEER_WORKERS:-$(nproc)}
STARTUP_RUNS=${STARTUP_RUNS:-3}
RESULTS_FILE=${RESULTS_FILE:-}
NO_BUILD=${NO_BUILD:-}
KEEP_WORK=${KEEP_WORK:-}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN=${LANYARD_BIN:-"$ROOT/src/Lanyard.Server/bin/Release/net10.0"}
PEER_DIR="$BENCH_DIR/peer"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }
has_part() { [[ " $PARTS " == *" $1 "* ]]; }
has_scenario() { [[ " $SCENARIOS " == *" $1 "* ]]; }

# PROVIDERS narrows SYSTEMS, so `PROVIDERS=Sqlite ./bench/run.sh` still means "SQLite only".
selected=()
for system in $SYSTEMS; do
  case "$system" in
    *-sqlite) [[ " $PROVIDERS " == *" Sqlite "* ]] && selected+=("$system") ;;
    *-postgres) [[ " $PROVIDERS " == *" Postgres "* ]] && selected+=("$system") ;;
    peer-memory) selected+=("$system") ;;
    *) die "unknown system $system (lanyard-sqlite, lanyard-postgres, peer-sqlite, peer-postgres, peer-memory)" ;;
  esac
done
SYSTEMS="${selected[*]}"
for scenario in $SCENARIOS; do
  case "$scenario" in
    client_credentials | refresh_rotating | refresh_static | userinfo | jwks | login_flow) ;;
    refresh_token) die "scenario refresh_token is now refresh_static (no rotation) and refresh_rotating" ;;
    *) die "unknown scenario $scenario" ;;
  esac
done

# ---------------------------------------------------------------------------------------------
# State for cleanup: everything started here is stopped, everything created here is removed.
WORK=""
PGDIR=""
PG_STARTED=""
SERVER_PID=""

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  local pid=$SERVER_PID
  SERVER_PID=""
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "bench: server $pid did not stop within 10 s; killing it" >&2
      pkill -KILL -P "$pid" 2>/dev/null || true
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
}

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_postgres() {
  [[ -n "$PG_STARTED" ]] || return 0
  PG_STARTED=""
  as_postgres pg_ctl -D "$PGDIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
    || as_postgres pg_ctl -D "$PGDIR/data" -m immediate -w stop >/dev/null 2>&1 || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_server
  stop_postgres
  if [[ -n "$PGDIR" ]]; then rm -rf "$PGDIR"; fi
  if [[ -n "$WORK" && -z "$KEEP_WORK" ]]; then rm -rf "$WORK"; fi
  if [[ -n "$WORK" && -n "$KEEP_WORK" ]]; then echo "bench: kept $WORK" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "bench: error at line $LINENO: $BASH_COMMAND" >&2' ERR

# Appends stdin to RESULTS_FILE (when set) and copies it to stdout.
publish() { if [[ -n "$RESULTS_FILE" ]]; then tee -a "$RESULTS_FILE"; else cat; fi; }

# ---------------------------------------------------------------------------------------------
# Prerequisites

for tool in dotnet python3 curl; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
[[ "$CONNECTIONS" =~ ^[0-9]+$ && "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 && "$CONNECTIONS" -ge "$THREADS" ]] \
  || die "CONNECTIONS ($CONNECTIONS) and THREADS ($THREADS) must be integers with 1 <= THREADS <= CONNECTIONS"
[[ "$LOGIN_CEILING_S" =~ ^[0-9]+s?$ ]] || die "LOGIN_CEILING_S ($LOGIN_CEILING_S) must be a whole number of seconds (0 to skip)"

if has_part protocol; then
  if ! command -v wrk >/dev/null; then
    log "installing wrk (apt-get)"
    if [[ $(id -u) -eq 0 ]]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    elif command -v sudo >/dev/null; then
      sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    else
      die "wrk is missing and this is not root: apt-get install wrk"
    fi
    command -v wrk >/dev/null || die "wrk is still missing after apt-get"
  fi
  if [[ " $SYSTEMS " == *" peer-"* ]]; then
    command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed for the peer; or set SYSTEMS to Lanyard only"
    if [[ ! -d "$PEER_DIR/node_modules" ]]; then
      log "installing the peer's packages (npm ci in bench/peer; builds better-sqlite3, a few minutes the first time)"
      (cd "$PEER_DIR" && npm ci --no-audit --no-fund >&2) || die "npm ci in bench/peer failed"
    fi
  fi
  if [[ " $SYSTEMS " == *"-postgres "* ]]; then
    for tool in initdb pg_ctl psql; do
      command -v "$tool" >/dev/null || die "$tool (PostgreSQL) is not on PATH; or run with PROVIDERS=Sqlite"
    done
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the throwaway cluster"
    fi
  fi
fi

# Before the build, which raises the load average itself.
cpu_busy_percent() { # share of all CPUs busy over the next second
  local a b
  a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  sleep 1
  b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " "); busy = y[1] - x[1]; idle = y[2] - x[2];
    printf "%.0f", (busy + idle > 0) ? 100 * busy / (busy + idle) : 0 }'
}
BUSY_BEFORE=$(cpu_busy_percent)
if [[ "$BUSY_BEFORE" -gt 20 ]]; then
  echo "bench: warning: the CPUs are ${BUSY_BEFORE}% busy before the run; other work on this machine will lower the numbers" >&2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-bench.XXXXXX")
chmod 0755 "$WORK"

# The server is built once here; the parts' own scripts then run with NO_BUILD=1.
if has_part scale || has_part import || has_part startup || { has_part protocol && [[ " $SYSTEMS " == *" lanyard-"* ]]; }; then
  if [[ -z "$NO_BUILD" ]]; then
    log "building src/Lanyard.Server (Release)"
    if ! dotnet build "$ROOT/src/Lanyard.Server" -c Release -nologo -v quiet >"$WORK/build.log" 2>&1; then
      cat "$WORK/build.log" >&2
      die "dotnet build failed"
    fi
  fi
  [[ -f "$BIN/lanyard.dll" ]] || die "$BIN/lanyard.dll not found"
fi

# ---------------------------------------------------------------------------------------------
# Part 1: ceilings

CEILING=""
run_part_script() { # run_part_script NAME SCRIPT [ARGS...]: runs a part's script, its tables to stdout/RESULTS_FILE
  local name=$1 script=$2
  shift 2
  if [[ ! -f "$script" ]]; then
    echo "bench: part '$name' skipped: ${script#"$ROOT/"} does not exist (yet)" >&2
    return 0
  fi
  log "part $name: ${script#"$ROOT/"} $*"
  NO_BUILD=1 RESULTS_FILE="" bash "$script" "$@" >"$WORK/part-$name.md" || die "part $name: ${script#"$ROOT/"} failed"
  { echo; grep -v '^BENCH_CEILING ' "$WORK/part-$name.md"; } | publish
}

if has_part ceilings; then
  run_part_script ceilings "$BENCH_DIR/ceilings.sh"
  if [[ -f "$WORK/part-ceilings.md" ]]; then
    CEILING=$(grep '^BENCH_CEILING ' "$WORK/part-ceilings.md" | tail -n 1 || true)
    [[ -n "$CEILING" ]] || echo "bench: ceilings.sh printed no BENCH_CEILING line; ceiling columns say n/a" >&2
  fi
fi
ceiling_value() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<" $CEILING"; }

# ---------------------------------------------------------------------------------------------
# Helpers for the protocol part

free_ports() { # prints N distinct free TCP ports on 127.0.0.1
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks: s.close()
PY
}

proc_tree() { # proc_tree PID: the pid and its direct children (the peer's cluster workers)
  echo "$1"
  pgrep -P "$1" 2>/dev/null || true
}

rss_kib() { # rss_kib PID VmRSS|VmHWM: summed over the process and its direct children, in KiB
  local total=0 p v
  for p in $(proc_tree "$1"); do
    v=$(awk -v key="$2:" '$1 == key { print $2 }' "/proc/$p/status" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

cpu_ticks() { # user + system CPU time of a pid and its direct children (live and reaped), in clock ticks
  local total=0 p v
  for p in $(proc_tree "$1"); do
    v=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 + $14 + $15 }' || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

pg_cpu_ticks() { # user + system CPU time of the throwaway cluster's postmaster and its children, in clock ticks
  python3 - "$PGDIR/data/postmaster.pid" <<'PY'
import os, sys
postmaster = open(sys.argv[1]).readline().strip()
total = 0
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        continue
    if pid == postmaster or fields[1] == postmaster:
        total += int(fields[11]) + int(fields[12])
print(total)
PY
}

# take_snapshot: sets SNAP to "machine server postgres children" CPU ticks and the uptime in seconds
take_snapshot() {
  local machine server db=0 children
  machine=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
  server=$(cpu_ticks "$SERVER_PID")
  if [[ -n "$PG_STARTED" ]]; then db=$(pg_cpu_ticks); fi
  times >"$WORK/times" # this shell's finished children (wrk, login.py), without a subshell
  children=$(awk -v hz="$CLK_TCK" 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); t += p[1] * 60 + p[2] } printf "%.0f", t * hz }' "$WORK/times")
  SNAP="$machine $server $db $children $(awk '{ print $1 }' /proc/uptime)"
}

log_summary() { # log_summary SYSTEM LOGFILE: counts Lanyard's warning and error lines by kind
  python3 - "$1" "$2" <<'PY'
import collections, json, sys
system, path = sys.argv[1], sys.argv[2]
kinds = collections.Counter()
with open(path, encoding="utf-8", errors="replace") as f:
    for line in f:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("LogLevel") not in ("Warning", "Error", "Critical"):
            continue
        exception = (entry.get("Exception") or "").split("\n", 1)[0]
        message = entry.get("Message", "").split("\n", 1)[0][:120]
        kinds[(entry["LogLevel"], entry.get("Category", ""), message, exception[:160])] += 1
if kinds:
    print(f"\nbench: note: {system} logged {sum(kinds.values())} warning/error lines:")
    for (level, category, message, exception), count in kinds.most_common():
        print(f"  {count:5d} x {level} {category}: {message}" + (f" [{exception}]" if exception else ""))
PY
}

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

json_field() { # json_field FILE KEY[.KEY...]
  python3 -c 'import json,sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): v = v[k]
print(v)' "$1" "$2"
}

basic_auth() { printf '%s:%s' "$1" "$2" | base64 -w0; }

start_postgres() {
  PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-bench-pg.XXXXXX")
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PGDIR"; fi
  chmod 0700 "$PGDIR"
  PG_PORT=$(free_ports 1)
  log "PostgreSQL: throwaway cluster in $PGDIR on 127.0.0.1:$PG_PORT"
  as_postgres initdb -D "$PGDIR/data" -U lanyard --auth=trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  # Provision the databases as an operator would, so each server's first start is the ordinary path.
  as_postgres postgres --single -D "$PGDIR/data" postgres >>"$WORK/initdb.log" 2>&1 <<<"CREATE DATABASE lanyard_bench OWNER lanyard;" \
    || { cat "$WORK/initdb.log" >&2; die "creating the database failed"; }
  as_postgres postgres --single -D "$PGDIR/data" postgres >>"$WORK/initdb.log" 2>&1 <<<"CREATE DATABASE peer_bench OWNER lanyard;" \
    || { cat "$WORK/initdb.log" >&2; die "creating the peer's database failed"; }
  PG_STARTED=1
  as_postgres pg_ctl -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDIR" start >/dev/null \
    || { cat "$PGDIR/postgres.log" >&2; die "PostgreSQL did not start"; }
}

pg_query() { # pg_query DATABASE SQL: one unaligned row
  psql -X -q -A -t -h 127.0.0.1 -p "$PG_PORT" -U lanyard -d "$1" -c "$2"
}

# pg_counters DATABASE: "xid xact_commit tup_inserted tup_updated tup_deleted". The XID counter moves only
# for transactions that write (read-only transactions get no XID); this query takes one itself.
pg_counters() {
  sleep 1.2 # backends report their statistics at most once a second
  pg_query "$1" "SELECT txid_current(), xact_commit, tup_inserted, tup_updated, tup_deleted FROM pg_stat_database WHERE datname = current_database()" | tr '|' ' '
}

wait_ready() { # wait_ready LABEL URL LOG
  for _ in $(seq 1 240); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      tail -n 50 "$3" >&2
      die "$1: the server exited during start-up"
    fi
    [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$2" || true)" == 200 ]] && return 0
    sleep 0.25
  done
  tail -n 50 "$3" >&2
  die "$1: $2 did not answer 200 within 60 s"
}

# start_lanyard PROVIDER: sets SERVER_PID, HTTP_PORT, HTTPS_PORT, SRV_DIR
start_lanyard() {
  local provider=$1
  read -r HTTP_PORT HTTPS_PORT < <(free_ports 2)
  local -a env=(
    DOTNET_ENVIRONMENT=Development
    DOTNET_NOLOGO=1
    DOTNET_CLI_TELEMETRY_OPTOUT=1
    "Lanyard__Endpoints__HttpPort=$HTTP_PORT"
    "Lanyard__Endpoints__HttpsPort=$HTTPS_PORT"
    "Lanyard__Database__Provider=$provider"
    # Every login of the benchmark comes from one address; the default per-address limit (100 attempts per
    # 5 minutes, a defence against password spraying) would answer 429 within seconds. The peer has no such limit.
    Lanyard__Throttling__AddressAttempts=100000
    Logging__LogLevel__Default=Warning
  )
  if [[ "$provider" == Postgres ]]; then
    env+=("Lanyard__Database__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=lanyard;Database=lanyard_bench${PG_EXTRA:-}")
  fi
  log "$SYSTEM: starting Lanyard (http 127.0.0.1:$HTTP_PORT, https 127.0.0.1:$HTTPS_PORT) in $SRV_DIR"
  (cd "$SRV_DIR" && exec env "${env[@]}" dotnet "$BIN/lanyard.dll" --contentRoot "$BIN" >"$SRV_DIR/server.log" 2>&1) &
  SERVER_PID=$!
  wait_ready "$SYSTEM" "http://127.0.0.1:$HTTP_PORT/readyz" "$SRV_DIR/server.log"
  [[ -f "$SRV_DIR/data/bootstrap.json" ]] || die "$SYSTEM: no data/bootstrap.json (is DOTNET_ENVIRONMENT=Development honoured?)"
}

# start_peer STORE: sets SERVER_PID, HTTP_PORT, SRV_DIR
start_peer() {
  local store=$1
  HTTP_PORT=$(free_ports 1)
  local -a env=(NODE_ENV=production "PEER_PORT=$HTTP_PORT" "PEER_STORE=$store" "PEER_WORKERS=$PEER_WORKERS"
    "PEER_BOOTSTRAP=$SRV_DIR/bootstrap.json" "PEER_SQLITE=$SRV_DIR/peer.db")
  if [[ "$store" == postgres ]]; then env+=("PEER_PG=postgresql://lanyard@127.0.0.1:$PG_PORT/peer_bench"); fi
  log "$SYSTEM: starting node-oidc-provider (http 127.0.0.1:$HTTP_PORT, store $store) in $SRV_DIR"
  (cd "$PEER_DIR" && exec env "${env[@]}" node server.mjs >"$SRV_DIR/server.log" 2>&1) &
  SERVER_PID=$!
  wait_ready "$SYSTEM" "http://127.0.0.1:$HTTP_PORT/jwks" "$SRV_DIR/server.log"
  # With several workers, wait until every one listens (the first answers before the others are up).
  for _ in $(seq 1 120); do
    grep -q '^peer: .* on http' "$SRV_DIR/server.log" && break
    sleep 0.25
  done
}

# run_wrk LABEL DURATION OUTFILE URL [wrk options]: runs wrk with token.lua, fails on any error
run_wrk() {
  local label=$1 duration=$2 out=$3 url=$4
  shift 4
  BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout 10s "$@" -s "$BENCH_DIR/token.lua" \
    "$url" >"$out" 2>&1 \
    || { cat "$out" >&2; die "$label: wrk failed"; }
  local result
  result=$(grep '^BENCH_RESULT ' "$out" || true)
  [[ -n "$result" ]] || { cat "$out" >&2; die "$label: no BENCH_RESULT line in wrk's output"; }
  if grep -q 'Non-2xx or 3xx responses' "$out"; then
    cat "$out" >&2
    die "$label: $(grep 'Non-2xx or 3xx responses' "$out" | xargs)"
  fi
  local key
  for key in status_errors connect_errors read_errors write_errors timeouts; do
    if [[ "$result" != *" $key=0"* ]]; then
      cat "$out" >&2
      die "$label: wrk reported errors: $result"
    fi
  done
  [[ "$result" != *" requests=0 "* ]] || { cat "$out" >&2; die "$label: no request completed"; }
}

field() { # field NAME "BENCH_RESULT ..." -> value
  sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"
}

# probe LABEL: one request of the scenario's shape with curl; must be 200 (and carry a token for POSTs)
probe() {
  local out="$WORK/probe.json" code
  local -a args=(-sS -o "$out" -w '%{http_code}' --max-time 10)
  [[ -z "${BENCH_HOST:-}" ]] || args+=(-H "Host: $BENCH_HOST")
  [[ -z "${BENCH_AUTHORIZATION:-}" ]] || args+=(-H "Authorization: $BENCH_AUTHORIZATION")
  if [[ "$BENCH_METHOD" == POST ]]; then
    args+=(-X POST -H "Content-Type: application/x-www-form-urlencoded" --data-raw "$1")
  fi
  code=$(curl "${args[@]}" "$URL") || die "$LABEL: probe request failed"
  [[ "$code" == 200 ]] || die "$LABEL: probe answered HTTP $code: $(head -c 300 "$out")"
  if [[ "$BENCH_METHOD" == POST ]]; then
    grep -q '"access_token":"ey' "$out" || die "$LABEL: probe answered 200 without a JWT access token: $(head -c 300 "$out")"
  fi
}

# Lanyard's management API on the application host, with the Application Admin Client's token.
lanyard_api() { # lanyard_api METHOD PATH [JSON]
  local token
  token=$(curl -sS --max-time 10 -X POST -H "Host: auth.localhost" -H "Authorization: Basic $M2M_BASIC" \
    -d grant_type=client_credentials "http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -sS --fail-with-body --max-time 10 -X "$1" -H "Host: auth.localhost" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/merge-patch+json" ${3:+--data-raw "$3"} "http://127.0.0.1:$HTTP_PORT$2"
}

set_lanyard_rotation() { # set_lanyard_rotation true|false: the demo client's refreshTokenRotation
  log "$SYSTEM: refresh-token rotation $1 for the demo client (PATCH /api/v1/clients/{id})"
  lanyard_api PATCH "/api/v1/clients/$(json_field "$SRV_DIR/data/bootstrap.json" demoClientId)" "{\"refreshTokenRotation\":$1}" >"$WORK/patch.json" \
    || die "$SYSTEM: setting refreshTokenRotation failed: $(head -c 300 "$WORK/patch.json")"
  grep -q "\"refreshTokenRotation\":$1" "$WORK/patch.json" || die "$SYSTEM: refreshTokenRotation is not $1: $(head -c 300 "$WORK/patch.json")"
}

# ---------------------------------------------------------------------------------------------
# Part 2: protocol

CLK_TCK=$(getconf CLK_TCK)
declare -A RESULT=() HALF=() WRITES=() HASHES_AFTER_FLOWS=()
CPU_ROWS=()
RSS_ROWS=()
WARNINGS=()
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
SETS_OF_TOKENS=$((CONNECTIONS + THREADS * 2)) # one pool per rotating run: >= connections, never reused

# measure LABEL SCENARIO: warm-up, measured run, CPU accounting; sets RPS P50 P99 REQUESTS
measure_wrk() {
  local scenario=$1 out before after result duration_us cpu other_pct
  if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
    log "$LABEL: warm-up, $WARMUP"
    [[ "$scenario" != refresh_rotating ]] || export BENCH_TOKENS_FILE="$SRV_DIR/tokens-warmup.txt"
    run_wrk "$LABEL (warm-up)" "$WARMUP" "$WORK/warmup.txt" "$URL"
  fi
  [[ "$scenario" != refresh_rotating ]] || export BENCH_TOKENS_FILE="$SRV_DIR/tokens-measured.txt"
  log "$LABEL: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
  out="$WORK/wrk-$SYSTEM-$scenario.txt"
  if [[ "$scenario" == refresh_rotating && "$SYSTEM" == *-postgres ]]; then PG_BEFORE=$(pg_counters "$DB_NAME"); fi
  take_snapshot
  before=$SNAP
  run_wrk "$LABEL" "$DURATION" "$out" "$URL" --latency
  take_snapshot
  after=$SNAP
  if [[ "$scenario" == refresh_rotating && "$SYSTEM" == *-postgres ]]; then PG_AFTER=$(pg_counters "$DB_NAME"); fi
  grep -v '^BENCH_RESULT ' "$out" >&2
  result=$(grep '^BENCH_RESULT ' "$out")
  REQUESTS=$(field requests "$result")
  duration_us=$(field duration_us "$result")
  RPS=$(awk -v n="$REQUESTS" -v us="$duration_us" 'BEGIN { printf "%.0f", n * 1e6 / us }')
  P50=$(awk -v us="$(field p50_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
  P99=$(awk -v us="$(field p99_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
  cpu_row "$scenario" "$before" "$after" "$REQUESTS" "$duration_us"
}

# cpu_row SCENARIO BEFORE AFTER REQUESTS DURATION_US: where the CPU went during a measured run
cpu_row() {
  local cpu other_pct
  cpu=$(awk -v b="$2" -v a="$3" -v n="$4" -v us="$5" -v hz="$CLK_TCK" -v ncpu="$(nproc)" -v pg="$PG_STARTED" 'BEGIN {
    split(b, x, " "); split(a, y, " ")
    machine = y[1] - x[1]; server = y[2] - x[2]; db = y[3] - x[3]; load = y[4] - x[4]
    capacity = (y[5] - x[5]) * hz * ncpu # the wall time between the snapshots, a little longer than the run
    other = machine - server - db - load; if (other < 0) other = 0
    printf "%.2f | %s | %.0f%% | %.0f%% | %.0f%%", server * 1000 / hz / n, (pg != "") ? sprintf("%.2f", db * 1000 / hz / n) : "in-process",
      100 * machine / capacity, 100 * load / capacity, 100 * other / capacity }')
  CPU_ROWS+=("| $SYSTEM | $1 | $cpu |")
  other_pct=${cpu##*| }
  if [[ "${other_pct%\%}" -gt 10 ]]; then
    echo "bench: warning: other processes used about $other_pct of the CPUs during $LABEL; its numbers are low" >&2
    WARNINGS+=("other processes used about $other_pct of the CPUs during $LABEL")
  fi
}

# half_load SCENARIO PEAK_RPS: a paced run at half the peak; fills HALF
half_load() {
  local scenario=$1 rate out result achieved duration_us
  rate=$(awk -v r="$2" 'BEGIN { printf "%.0f", r / 2 }')
  [[ "$rate" -ge 1 ]] || return 0
  [[ "$scenario" != refresh_rotating ]] || export BENCH_TOKENS_FILE="$SRV_DIR/tokens-half.txt"
  log "$LABEL: paced at $rate requests/s (half of the peak), $DURATION"
  out="$WORK/wrk-$SYSTEM-$scenario-half.txt"
  BENCH_RATE_PER_THREAD=$(awk -v r="$rate" -v t="$THREADS" 'BEGIN { print r / t }') \
    run_wrk "$LABEL (half load)" "$DURATION" "$out" "$URL" --latency
  result=$(grep '^BENCH_RESULT ' "$out")
  duration_us=$(field duration_us "$result")
  achieved=$(awk -v n="$(field requests "$result")" -v us="$duration_us" 'BEGIN { printf "%.0f", n * 1e6 / us }')
  HALF[$SYSTEM/$scenario]="$rate $achieved $(awk -v us="$(field p50_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }') $(awk -v us="$(field p99_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')"
}

run_protocol() {
  local systems_with_pg="" system
  for system in $SYSTEMS; do [[ "$system" != *-postgres ]] || systems_with_pg=1; done

  for SYSTEM in $SYSTEMS; do
    SRV_DIR="$WORK/$SYSTEM"
    mkdir -p "$SRV_DIR"
    chmod 0755 "$SRV_DIR"
    if [[ "$SYSTEM" == *-postgres && -z "$PG_STARTED" ]]; then start_postgres; fi
    local kind=${SYSTEM%%-*} db=${SYSTEM#*-} token_url userinfo_url jwks_url host static_basic rotating_basic static_token userinfo_token
    case "$SYSTEM" in
      lanyard-*)
        start_lanyard "$([[ $db == sqlite ]] && echo Sqlite || echo Postgres)"
        DB_NAME=lanyard_bench
        local boot="$SRV_DIR/data/bootstrap.json"
        M2M_BASIC=$(basic_auth "$(json_field "$boot" adminClientId)" "$(json_field "$boot" adminClientSecret)")
        static_basic=$(basic_auth "$(json_field "$boot" demoClientId)" "$(json_field "$boot" demoClientSecret)")
        rotating_basic=$static_basic
        host=auth.localhost
        token_url="http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token"
        userinfo_url="http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/userinfo"
        jwks_url="http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/jwks"
        LOGIN_TARGET=(lanyard "$HTTPS_PORT" "$SRV_DIR/data")
        ;;
      peer-*)
        start_peer "$db"
        DB_NAME=peer_bench
        local boot="$SRV_DIR/bootstrap.json"
        M2M_BASIC=$(basic_auth "$(json_field "$boot" clients.m2m.id)" "$(json_field "$boot" clients.m2m.secret)")
        static_basic=$(basic_auth "$(json_field "$boot" clients.webStatic.id)" "$(json_field "$boot" clients.webStatic.secret)")
        rotating_basic=$(basic_auth "$(json_field "$boot" clients.web.id)" "$(json_field "$boot" clients.web.secret)")
        host=""
        token_url="http://127.0.0.1:$HTTP_PORT/token"
        userinfo_url="http://127.0.0.1:$HTTP_PORT/me"
        jwks_url="http://127.0.0.1:$HTTP_PORT/jwks"
        LOGIN_TARGET=(peer "$HTTP_PORT" "$boot")
        ;;
    esac
    sleep 2
    local rss_idle
    rss_idle=$(rss_kib "$SERVER_PID" VmRSS)

    for scenario in $SCENARIOS; do
      LABEL="$SYSTEM/$scenario"
      unset BENCH_TOKENS_FILE BENCH_AUTHORIZATION BENCH_BODY
      export BENCH_HOST=$host BENCH_METHOD=POST
      case "$scenario" in
        client_credentials)
          URL=$token_url
          export BENCH_AUTHORIZATION="Basic $M2M_BASIC" BENCH_BODY="grant_type=client_credentials"
          probe "$BENCH_BODY" ;;
        refresh_static)
          URL=$token_url
          if [[ $kind == lanyard ]]; then set_lanyard_rotation false; fi
          log "$SYSTEM: a refresh token for the non-rotating client"
          static_token=$(python3 "$BENCH_DIR/login.py" "${LOGIN_TARGET[@]}" tokens 1 webStatic | awk '{ print $1 }') || die "$SYSTEM: login failed"
          [[ -n "$static_token" ]] || die "$SYSTEM: no refresh token"
          export BENCH_AUTHORIZATION="Basic $static_basic" BENCH_BODY="grant_type=refresh_token&refresh_token=$static_token"
          probe "$BENCH_BODY" ;;
        refresh_rotating)
          URL=$token_url
          if [[ $kind == lanyard ]]; then set_lanyard_rotation true; fi
          log "$SYSTEM: $((3 * SETS_OF_TOKENS + 1)) refresh tokens (one password login, then code flows on its session)"
          python3 "$BENCH_DIR/login.py" "${LOGIN_TARGET[@]}" tokens $((3 * SETS_OF_TOKENS + 1)) >"$SRV_DIR/tokens.txt" || die "$SYSTEM: issuing refresh tokens failed"
          sed -n "1,${SETS_OF_TOKENS}p" "$SRV_DIR/tokens.txt" >"$SRV_DIR/tokens-warmup.txt"
          sed -n "$((SETS_OF_TOKENS + 1)),$((2 * SETS_OF_TOKENS))p" "$SRV_DIR/tokens.txt" >"$SRV_DIR/tokens-measured.txt"
          sed -n "$((2 * SETS_OF_TOKENS + 1)),$((3 * SETS_OF_TOKENS))p" "$SRV_DIR/tokens.txt" >"$SRV_DIR/tokens-half.txt"
          export BENCH_AUTHORIZATION="Basic $rotating_basic" BENCH_BODY="grant_type=refresh_token&refresh_token="
          probe "$BENCH_BODY$(tail -n 1 "$SRV_DIR/tokens.txt" | awk '{ print $1 }')"
          grep -q '"refresh_token":"' "$WORK/probe.json" && ! grep -q "\"refresh_token\":\"$(tail -n 1 "$SRV_DIR/tokens.txt" | awk '{ print $1 }')\"" "$WORK/probe.json" \
            || die "$LABEL: the probe's answer carries no new refresh token; is rotation on?" ;;
        userinfo)
          URL=$userinfo_url
          log "$SYSTEM: a user access token for userinfo"
          userinfo_token=$(python3 "$BENCH_DIR/login.py" "${LOGIN_TARGET[@]}" tokens 1 userinfo | awk '{ print $2 }') || die "$SYSTEM: login failed"
          [[ -n "$userinfo_token" ]] || die "$SYSTEM: no access token"
          export BENCH_METHOD=GET BENCH_AUTHORIZATION="Bearer $userinfo_token"
          probe "" ;;
        jwks)
          URL=$jwks_url
          export BENCH_METHOD=GET
          probe "" ;;
        login_flow)
          local before after flows_out result
          flows_out="$WORK/flows-$SYSTEM.txt"
          log "$LABEL: $LOGIN_CONCURRENCY concurrent authorization-code flows with a password login, ${LOGIN_WARMUP} warm-up + ${DURATION}"
          # A login flow runs each method of its path about ten times a second, so the JIT takes half a minute to
          # replace the first, unoptimised code of all of them; the figure is meant to be the steady state. The
          # warm-up is a run of its own, so the CPU snapshots below cover the measured flows only.
          if [[ "$(seconds "$LOGIN_WARMUP")" != 0 ]]; then
            python3 "$BENCH_DIR/login.py" "${LOGIN_TARGET[@]}" flows "$LOGIN_CONCURRENCY" 0 "$(seconds "$LOGIN_WARMUP")" >"$flows_out" \
              || { cat "$flows_out" >&2; die "$LABEL: a login flow failed during the warm-up"; }
          fi
          take_snapshot
          before=$SNAP
          python3 "$BENCH_DIR/login.py" "${LOGIN_TARGET[@]}" flows "$LOGIN_CONCURRENCY" 0 "$(seconds "$DURATION")" >"$flows_out" \
            || { cat "$flows_out" >&2; die "$LABEL: a login flow failed"; }
          take_snapshot
          after=$SNAP
          result=$(grep '^BENCH_FLOWS ' "$flows_out")
          echo "$result" >&2
          RESULT[$SYSTEM/$scenario]="$(field rate "$result") $(field p50_ms "$result") $(field p99_ms "$result")"
          # Flows still running when the measured run ends are not counted but their CPU is: a slight over-estimate.
          cpu_row "$scenario" "$before" "$after" "$(field flows "$result")" "$(awk -v b="$(seconds "$DURATION")" 'BEGIN { print b * 1e6 }')"
          # How fast this machine hashes drifts by 10-25% within minutes (docs/performance.md), more
          # than the login target's margin; the ceiling is measured again right away, with the server idle.
          if [[ "$(seconds "$LOGIN_CEILING_S")" != 0 ]]; then
            log "$LABEL: PBKDF2 hashes on all cores right after the flows, 1 s warm-up + $(seconds "$LOGIN_CEILING_S") s"
            HASHES_AFTER_FLOWS[$SYSTEM]=$(NO_BUILD=1 RESULTS_FILE="" CEILING_ONLY=pbkdf2-all-cores CEILING_WARMUP=1 \
              CEILING_SECONDS="$(seconds "$LOGIN_CEILING_S")" bash "$BENCH_DIR/ceilings.sh" | sed -n 's/^BENCH_CEILING pbkdf2_all_cores=//p') \
              || die "$LABEL: measuring the PBKDF2 ceiling after the flows failed"
            [[ -n "${HASHES_AFTER_FLOWS[$SYSTEM]}" ]] || die "$LABEL: ceilings.sh printed no PBKDF2 rate"
          fi
          continue ;;
      esac
      measure_wrk "$scenario"
      RESULT[$SYSTEM/$scenario]="$RPS $P50 $P99"
      if [[ "$scenario" == refresh_rotating && "$SYSTEM" == *-postgres ]]; then
        WRITES[$SYSTEM]=$(awk -v b="$PG_BEFORE" -v a="$PG_AFTER" -v n="$REQUESTS" 'BEGIN { split(b, x, " "); split(a, y, " ")
          printf "%.2f %.2f %.2f", (y[1] - x[1] - 1) / n, (y[2] - x[2] - 1) / n, ((y[3] - x[3]) + (y[4] - x[4]) + (y[5] - x[5])) / n }')
      fi
      if [[ "$HALF_LOAD" != 0 && "$scenario" == @(client_credentials|refresh_rotating|refresh_static) ]]; then
        half_load "$scenario" "$RPS"
      fi
    done

    local rss_end rss_peak
    rss_end=$(rss_kib "$SERVER_PID" VmRSS)
    rss_peak=$(rss_kib "$SERVER_PID" VmHWM)
    # What the server keeps once the load has stopped: Lanyard gives back the memory of past traffic after a quiet
    # check period (Hosting/IdleMemoryRelease.cs).
    local rss_quiet
    sleep "$QUIET_S"
    rss_quiet=$(rss_kib "$SERVER_PID" VmRSS)
    RSS_ROWS+=("| $SYSTEM | $(mib "$rss_idle") | $(mib "$rss_end") | $(mib "$rss_peak") | $(mib "$rss_quiet") |")
    kill -0 "$SERVER_PID" 2>/dev/null || die "$SYSTEM: the server died during the run"
    stop_server
    if [[ $kind == lanyard ]]; then
      log_summary "$SYSTEM" "$SRV_DIR/server.log" >&2
    elif grep -v "$PEER_EXPECTED_LOG" "$SRV_DIR/server.log" | grep -q .; then
      echo "bench: note: the peer wrote to its log:" >&2
      grep -v "$PEER_EXPECTED_LOG" "$SRV_DIR/server.log" | sort | uniq -c | sort -rn | head -n 10 >&2
    fi
  done
  stop_postgres
  print_protocol_tables
}

# The peer's expected log lines: its start, node-oidc-provider 9 on Node 20, the in-memory variant.
PEER_EXPECTED_LOG='^peer: .* on http\|Unsupported runtime\|development-only in-memory adapter'

seconds() { # wrk duration (15s, 2m, 1h, 15) -> seconds
  awk -v d="$1" 'BEGIN { n = d + 0; u = substr(d, length(d)); if (u == "m") n *= 60; else if (u == "h") n *= 3600; print n }'
}

# Signatures per response: client_credentials one access token; a refresh an access and an ID token.
signatures() {
  case "$1" in client_credentials) echo 1 ;; refresh_*) echo 2 ;; *) echo 0 ;; esac
}

ceiling_fraction() { # ceiling_fraction SCENARIO RATE: share of the hardware ceiling, or n/a
  local rs256 pbkdf2 sigs
  rs256=$(ceiling_value rs256_all_cores)
  pbkdf2=$(ceiling_value pbkdf2_all_cores)
  sigs=$(signatures "$1")
  if [[ -n "$2" && "$sigs" -gt 0 && -n "$rs256" ]]; then
    awk -v r="$2" -v c="$rs256" -v s="$sigs" 'BEGIN { printf "%.0f%%", 100 * r / (c / s) }'
  elif [[ -n "$2" && "$1" == login_flow && -n "$pbkdf2" ]]; then
    awk -v r="$2" -v c="$pbkdf2" 'BEGIN { printf "%.0f%%", 100 * r / c }'
  else
    echo n/a
  fi
}

print_protocol_tables() {
  local db scenario l p ratio lname pname
  {
    echo
    echo "Lanyard $COMMIT, $(nproc) CPUs ($CPU), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
      "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), HTTP/1.1 without TLS (Lanyard's login flow over HTTPS)," \
      "load generators and servers on the same machine, CPUs ${BUSY_BEFORE}% busy before the run;" \
      "peer: node-oidc-provider $(node -p "require('$PEER_DIR/node_modules/oidc-provider/package.json').version" 2>/dev/null || echo '?')" \
      "on Node $(node --version 2>/dev/null || echo '?'), $PEER_WORKERS worker processes (peer-memory: one process)"
    echo
    echo "| scenario | database | Lanyard req/s | p50 ms | p99 ms | peer req/s | p50 | p99 | Lanyard/peer | Lanyard of ceiling | peer of ceiling |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for scenario in $SCENARIOS; do
      for db in sqlite postgres memory; do
        lname=lanyard-$db pname=peer-$db
        [[ -n "${RESULT[$lname/$scenario]:-}${RESULT[$pname/$scenario]:-}" ]] || continue
        read -r -a l <<<"${RESULT[$lname/$scenario]:-– – –}"
        read -r -a p <<<"${RESULT[$pname/$scenario]:-– – –}"
        ratio=–
        if [[ "${l[0]}" != – && "${p[0]}" != – ]]; then ratio=$(awk -v a="${l[0]}" -v b="${p[0]}" 'BEGIN { printf (b > 0 ? "%.2f" : "n/a"), a / b }'); fi
        echo "| $scenario$([[ $scenario == login_flow ]] && echo ' (flows/s)') | $db | ${l[0]} | ${l[1]} | ${l[2]} | ${p[0]} | ${p[1]} | ${p[2]} | $ratio |" \
          "$(ceiling_fraction "$scenario" "$([[ ${l[0]} != – ]] && echo "${l[0]}")") | $(ceiling_fraction "$scenario" "$([[ ${p[0]} != – ]] && echo "${p[0]}")") |"
      done
    done
    if [[ ${#HASHES_AFTER_FLOWS[@]} -gt 0 ]]; then
      echo
      echo "Login flows against the PBKDF2 ceiling measured on all cores right after each system's flows ($(seconds "$LOGIN_CEILING_S") s measured):"
      echo
      echo "| system | flows/s | hashes/s right after | flows of that ceiling |"
      echo "| --- | ---: | ---: | ---: |"
      for lname in $SYSTEMS; do
        [[ -n "${HASHES_AFTER_FLOWS[$lname]:-}" && -n "${RESULT[$lname/login_flow]:-}" ]] || continue
        read -r -a l <<<"${RESULT[$lname/login_flow]}"
        echo "| $lname | ${l[0]} | ${HASHES_AFTER_FLOWS[$lname]} | $(awk -v r="${l[0]}" -v c="${HASHES_AFTER_FLOWS[$lname]}" 'BEGIN { printf (c > 0 ? "%.0f%%" : "n/a"), 100 * r / c }') |"
      done
    fi
    if [[ ${#HALF[@]} -gt 0 ]]; then
      echo
      echo "Latency at half of the peak rate (wrk paced with token.lua's delay(), same connections, $DURATION):"
      echo
      echo "| scenario | system | target req/s | achieved req/s | p50 ms | p99 ms |"
      echo "| --- | --- | ---: | ---: | ---: | ---: |"
      for scenario in $SCENARIOS; do
        for lname in $SYSTEMS; do
          [[ -n "${HALF[$lname/$scenario]:-}" ]] || continue
          read -r -a l <<<"${HALF[$lname/$scenario]}"
          echo "| $scenario | $lname | ${l[0]} | ${l[1]} | ${l[2]} | ${l[3]} |"
        done
      done
    fi
    echo
    echo "| system | scenario | server CPU ms/request | PostgreSQL CPU ms/request | all CPUs busy | load generator | other processes |"
    echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
    printf '%s\n' "${CPU_ROWS[@]}"
    echo
    echo "| system | RSS idle MiB | RSS after load MiB | peak RSS MiB | RSS ${QUIET_S} s after load MiB | PostgreSQL write transactions per rotating refresh | all transactions per refresh | rows written per refresh |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    for row in "${RSS_ROWS[@]}"; do
      lname=$(awk -F' [|] ' '{ print $1 }' <<<"${row#| }")
      if [[ -n "${WRITES[$lname]:-}" ]]; then
        read -r -a l <<<"${WRITES[$lname]}"
        echo "$row ${l[0]} | ${l[1]} | ${l[2]} |"
      elif [[ "$lname" == *-postgres ]]; then
        echo "$row – | – | – |"
      else
        echo "$row n/a | n/a | n/a |"
      fi
    done
    if [[ ${#WARNINGS[@]} -gt 0 ]]; then
      echo
      printf 'Warning: %s; rerun on a quiet machine.\n' "${WARNINGS[@]}"
    fi
  } | publish
}

if has_part protocol; then
  run_protocol
fi

# ---------------------------------------------------------------------------------------------
# Parts 3 to 5

if has_part scale; then IMPORT_USERS=0 run_part_script scale "$BENCH_DIR/scale.sh"; fi  # import is its own part
if has_part import; then run_part_script import "$BENCH_DIR/import.sh"; fi
if has_part startup; then run_part_script startup "$BENCH_DIR/startup.sh" "$STARTUP_RUNS"; fi
