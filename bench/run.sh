#!/usr/bin/env bash
# Lanyard token-endpoint benchmark: builds the server in Release, then for each database provider
# starts it in a throwaway working directory, signs the demo user in once, and drives
# POST /api/v1/oauth2/token with wrk (client_credentials and refresh_token). Prints a Markdown
# table of requests/s and p50/p99 latency, and the server's RSS. Exits non-zero on any failure,
# including a single non-2xx response or socket error during a measured or warm-up run.
#
# Usage: ./bench/run.sh            (see bench/README.md)
# Environment:
#   DURATION=15s      measured wrk run per scenario
#   WARMUP=5s         unmeasured wrk run before each measured one (0 to skip)
#   CONNECTIONS=32    concurrent keep-alive connections
#   THREADS=2         wrk threads (must be <= CONNECTIONS)
#   PROVIDERS="Sqlite Postgres"
#   SCENARIOS="client_credentials refresh_token"
#   RESULTS_FILE=path also write the final Markdown tables there
#   NO_BUILD=1        skip `dotnet build` (use the existing Release build)
#   KEEP_WORK=1       keep the working directory (server logs, wrk output) instead of removing it
set -Eeuo pipefail

DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PROVIDERS=${PROVIDERS:-"Sqlite Postgres"}
SCENARIOS=${SCENARIOS:-"client_credentials refresh_token"}
RESULTS_FILE=${RESULTS_FILE:-}
NO_BUILD=${NO_BUILD:-}
KEEP_WORK=${KEEP_WORK:-}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN="$ROOT/src/Lanyard.Server/bin/Release/net10.0"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }

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

# ---------------------------------------------------------------------------------------------
# Prerequisites

for tool in dotnet python3 curl; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
[[ "$CONNECTIONS" =~ ^[0-9]+$ && "$THREADS" =~ ^[0-9]+$ && "$THREADS" -ge 1 && "$CONNECTIONS" -ge "$THREADS" ]] \
  || die "CONNECTIONS ($CONNECTIONS) and THREADS ($THREADS) must be integers with 1 <= THREADS <= CONNECTIONS"

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

if [[ " $PROVIDERS " == *" Postgres "* ]]; then
  for tool in initdb pg_ctl; do
    command -v "$tool" >/dev/null || die "$tool (PostgreSQL server binaries) is not on PATH; or run with PROVIDERS=Sqlite"
  done
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the throwaway cluster"
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

if [[ -z "$NO_BUILD" ]]; then
  log "building src/Lanyard.Server (Release)"
  if ! dotnet build "$ROOT/src/Lanyard.Server" -c Release -nologo -v quiet >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    die "dotnet build failed"
  fi
fi
[[ -f "$BIN/lanyard.dll" ]] || die "$BIN/lanyard.dll not found"

# ---------------------------------------------------------------------------------------------
# Helpers

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

rss_kib() { # VmRSS or VmHWM of a pid, in KiB
  awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"
}

cpu_ticks() { # user + system CPU time of a pid, in clock ticks
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
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

# take_snapshot PROVIDER: sets SNAP to "machine server postgres children" CPU ticks
take_snapshot() {
  local machine server db=0 children
  machine=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat)
  server=$(cpu_ticks "$SERVER_PID")
  if [[ "$1" == Postgres ]]; then db=$(pg_cpu_ticks); fi
  times >"$WORK/times" # this shell's finished children (wrk), without a subshell
  children=$(awk -v hz="$CLK_TCK" 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub(/s$/, "", p[2]); t += p[1] * 60 + p[2] } printf "%.0f", t * hz }' "$WORK/times")
  SNAP="$machine $server $db $children"
}

log_summary() { # log_summary PROVIDER LOGFILE: counts the server's warning and error lines by kind
  python3 - "$1" "$2" <<'PY'
import collections, json, sys
provider, path = sys.argv[1], sys.argv[2]
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
    print(f"\nbench: note: the {provider} server logged {sum(kinds.values())} warning/error lines:")
    for (level, category, message, exception), count in kinds.most_common():
        print(f"  {count:5d} x {level} {category}: {message}" + (f" [{exception}]" if exception else ""))
PY
}

mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

json_field() { # json_field FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

start_postgres() {
  PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-bench-pg.XXXXXX")
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PGDIR"; fi
  chmod 0700 "$PGDIR"
  PG_PORT=$(free_ports 1)
  log "PostgreSQL: throwaway cluster in $PGDIR on 127.0.0.1:$PG_PORT"
  as_postgres initdb -D "$PGDIR/data" -U lanyard --auth=trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  # Provision the database as an operator would, so the server's first start is the ordinary path.
  as_postgres postgres --single -D "$PGDIR/data" postgres >>"$WORK/initdb.log" 2>&1 <<<"CREATE DATABASE lanyard_bench OWNER lanyard;" \
    || { cat "$WORK/initdb.log" >&2; die "creating the database failed"; }
  PG_STARTED=1
  as_postgres pg_ctl -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDIR" start >/dev/null \
    || { cat "$PGDIR/postgres.log" >&2; die "PostgreSQL did not start"; }
}

# start_server PROVIDER: sets SERVER_PID, HTTP_PORT, HTTPS_PORT, SRV_DIR
start_server() {
  local provider=$1
  SRV_DIR="$WORK/$provider"
  mkdir -p "$SRV_DIR"
  read -r HTTP_PORT HTTPS_PORT < <(free_ports 2)
  local -a env=(
    DOTNET_ENVIRONMENT=Development
    DOTNET_NOLOGO=1
    DOTNET_CLI_TELEMETRY_OPTOUT=1
    "Lanyard__Endpoints__HttpPort=$HTTP_PORT"
    "Lanyard__Endpoints__HttpsPort=$HTTPS_PORT"
    "Lanyard__Database__Provider=$provider"
    Logging__LogLevel__Default=Warning
  )
  if [[ "$provider" == Postgres ]]; then
    env+=("Lanyard__Database__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=lanyard;Database=lanyard_bench")
  fi
  log "$provider: starting the server (http 127.0.0.1:$HTTP_PORT, https 127.0.0.1:$HTTPS_PORT) in $SRV_DIR"
  (cd "$SRV_DIR" && exec env "${env[@]}" dotnet "$BIN/lanyard.dll" --contentRoot "$BIN" >"$SRV_DIR/server.log" 2>&1) &
  SERVER_PID=$!

  local ready=""
  for _ in $(seq 1 240); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      tail -n 50 "$SRV_DIR/server.log" >&2
      die "$provider: the server exited during start-up"
    fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$HTTP_PORT/readyz" || true)" == 200 ]]; then
      ready=1
      break
    fi
    sleep 0.25
  done
  [[ -n "$ready" ]] || { tail -n 50 "$SRV_DIR/server.log" >&2; die "$provider: /readyz did not answer 200 within 60 s"; }
  [[ -f "$SRV_DIR/data/bootstrap.json" ]] || die "$provider: no data/bootstrap.json (is DOTNET_ENVIRONMENT=Development honoured?)"
}

# probe SCENARIO: one request with curl; must be 200 with an access token
probe() {
  local out="$WORK/probe.json" code
  code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 10 -X POST \
    -H "Host: auth.localhost" -H "Content-Type: application/x-www-form-urlencoded" \
    -H "Authorization: $BENCH_AUTHORIZATION" --data-raw "$BENCH_BODY" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token") || die "$1: probe request failed"
  [[ "$code" == 200 ]] || die "$1: probe answered HTTP $code: $(head -c 300 "$out")"
  grep -q '"access_token":"ey' "$out" || die "$1: probe answered 200 without an access token: $(head -c 300 "$out")"
}

# run_wrk LABEL DURATION OUTFILE [--latency]: runs wrk, fails on any error, leaves BENCH_RESULT in OUTFILE
run_wrk() {
  local label=$1 duration=$2 out=$3
  shift 3
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --timeout 10s "$@" -s "$BENCH_DIR/token.lua" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token" >"$out" 2>&1 \
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
  sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"
}

# ---------------------------------------------------------------------------------------------
# Run

CLK_TCK=$(getconf CLK_TCK)
ROWS=()
CPU_ROWS=()
RSS_ROWS=()
WARNINGS=()
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

for provider in $PROVIDERS; do
  case "$provider" in
    Sqlite) ;;
    Postgres) start_postgres ;;
    *) die "unknown provider $provider (Sqlite or Postgres)" ;;
  esac

  start_server "$provider"
  sleep 2
  rss_idle=$(rss_kib "$SERVER_PID" VmRSS)

  boot="$SRV_DIR/data/bootstrap.json"
  admin_basic=$(printf '%s:%s' "$(json_field "$boot" adminClientId)" "$(json_field "$boot" adminClientSecret)" | base64 -w0)
  demo_basic=$(printf '%s:%s' "$(json_field "$boot" demoClientId)" "$(json_field "$boot" demoClientSecret)" | base64 -w0)

  refresh_token=""
  if [[ " $SCENARIOS " == *" refresh_token "* ]]; then
    log "$provider: signing the demo user in (authorization code + PKCE over HTTPS) for a refresh token"
    refresh_token=$(python3 "$BENCH_DIR/login.py" "$HTTPS_PORT" "$SRV_DIR/data") || die "$provider: login failed"
    [[ -n "$refresh_token" ]] || die "$provider: login printed no refresh token"
  fi

  for scenario in $SCENARIOS; do
    case "$scenario" in
      client_credentials)
        export BENCH_AUTHORIZATION="Basic $admin_basic" BENCH_BODY="grant_type=client_credentials" ;;
      refresh_token)
        export BENCH_AUTHORIZATION="Basic $demo_basic" BENCH_BODY="grant_type=refresh_token&refresh_token=$refresh_token" ;;
      *) die "unknown scenario $scenario (client_credentials or refresh_token)" ;;
    esac
    export BENCH_HOST=auth.localhost
    label="$provider/$scenario"
    probe "$label"
    if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
      log "$label: warm-up, $WARMUP"
      run_wrk "$label (warm-up)" "$WARMUP" "$WORK/warmup.txt"
    fi
    log "$label: wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency"
    out="$WORK/wrk-$provider-$scenario.txt"
    take_snapshot "$provider"
    before=$SNAP
    run_wrk "$label" "$DURATION" "$out" --latency
    take_snapshot "$provider"
    after=$SNAP
    grep -v '^BENCH_RESULT ' "$out" >&2
    result=$(grep '^BENCH_RESULT ' "$out")
    requests=$(field requests "$result")
    duration_us=$(field duration_us "$result")
    rps=$(awk -v n="$requests" -v us="$duration_us" 'BEGIN { printf "%.0f", n * 1e6 / us }')
    p50=$(awk -v us="$(field p50_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
    p99=$(awk -v us="$(field p99_us "$result")" 'BEGIN { printf "%.2f", us / 1000 }')
    ROWS+=("| $provider | $scenario | $rps | $p50 | $p99 |")
    # Where the CPU went during the measured run: per request for the server and PostgreSQL, as a
    # share of all CPUs for wrk and for everything else on the machine.
    cpu=$(awk -v b="$before" -v a="$after" -v n="$requests" -v us="$duration_us" -v hz="$CLK_TCK" -v ncpu="$(nproc)" -v pg="$provider" 'BEGIN {
      split(b, x, " "); split(a, y, " ")
      machine = y[1] - x[1]; server = y[2] - x[2]; db = y[3] - x[3]; wrk = y[4] - x[4]
      capacity = us / 1e6 * hz * ncpu
      other = machine - server - db - wrk; if (other < 0) other = 0
      printf "%.2f | %s | %.0f%% | %.0f%% | %.0f%%", server * 1000 / hz / n, (pg == "Postgres") ? sprintf("%.2f", db * 1000 / hz / n) : "in-process",
        100 * machine / capacity, 100 * wrk / capacity, 100 * other / capacity }')
    CPU_ROWS+=("| $provider | $scenario | $cpu |")
    other_pct=${cpu##*| }
    if [[ "${other_pct%\%}" -gt 10 ]]; then
      echo "bench: warning: other processes used about $other_pct of the CPUs during $label; its numbers are low" >&2
      WARNINGS+=("other processes used about $other_pct of the CPUs during $label")
    fi
  done

  rss_end=$(rss_kib "$SERVER_PID" VmRSS)
  rss_peak=$(rss_kib "$SERVER_PID" VmHWM)
  RSS_ROWS+=("| $provider | $(mib "$rss_idle") | $(mib "$rss_end") | $(mib "$rss_peak") |")

  kill -0 "$SERVER_PID" 2>/dev/null || die "$provider: the server died during the run"
  stop_server
  log_summary "$provider" "$SRV_DIR/server.log" >&2
  if [[ "$provider" == Postgres ]]; then stop_postgres; fi
done

{
  echo
  echo "Lanyard $COMMIT, $(nproc) CPUs ($CPU), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (after a $WARMUP warm-up), HTTP/1.1 without TLS, wrk and server on the same machine," \
    "CPUs ${BUSY_BEFORE}% busy before the run"
  echo
  echo "| provider | scenario | requests/s | p50 ms | p99 ms |"
  echo "| --- | --- | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "| provider | scenario | server CPU ms/request | PostgreSQL CPU ms/request | all CPUs busy | wrk | other processes |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${CPU_ROWS[@]}"
  echo
  echo "| provider | RSS idle MiB | RSS after load MiB | peak RSS MiB |"
  echo "| --- | ---: | ---: | ---: |"
  printf '%s\n' "${RSS_ROWS[@]}"
  if [[ ${#WARNINGS[@]} -gt 0 ]]; then
    echo
    printf 'Warning: %s; rerun on a quiet machine.\n' "${WARNINGS[@]}"
  fi
} | tee ${RESULTS_FILE:+"$RESULTS_FILE"}
