#!/usr/bin/env bash
# Lanyard at scale: does a large database slow the hot paths down? Builds the server in Release, then for
# each database provider:
#   1. SMALL database: the first-run demo data plus SMALL_TENANTS tenants with USERS_PER_TENANT users each;
#      token requests under load with wrk (client_credentials, refresh_token: warm-up, then measured) and
#      LOGINS sequential password logins (bench/login_timing.py);
#   2. LARGE database: tenants and users added straight into the stopped server's database
#      (bench/seed_scale.py; copies of the demo tenant and demo user rows) up to TENANTS tenants and
#      TENANTS x USERS_PER_TENANT users (100,000 and 1,000,000 by default), the same measurements, and
#      the ratio large/small of each p99;
#   3. on the LARGE database, lookups with wrk on LOOKUP_CONNECTIONS connections (bench/paths.lua):
#      list tenants (first page, deep page, sorted, filtered), GET /api/v1/users/{id} for random seeded
#      users, and users by email, in their tenant and application-wide;
#   4. bulk import: bench/import.sh with IMPORT_USERS users (0 skips it).
# Prints Markdown tables. Exits non-zero on any failure, including a single non-2xx answer, a socket
# error or an answer without the expected content.
#
# Usage: ./bench/scale.sh          (see bench/README.md)
# Environment:
#   DURATION=10s        measured wrk run per scenario and lookup
#   WARMUP=5s           unmeasured wrk run before each measured one (0 to skip)
#   CONNECTIONS=32      concurrent connections for the token scenarios
#   THREADS=2           wrk threads for the token scenarios
#   LOOKUP_CONNECTIONS=1  connections (and wrk threads) for the lookups: 1 measures latency without queueing
#   LOGINS=20           measured sequential logins per database (after 2 warm-up ones)
#   SLOW_SAMPLES=5      a lookup that completes fewer requests than this in DURATION is timed with this many
#                       sequential curl requests instead
#   TENANTS=100000      tenants in the large database (besides the demo tenant)
#   SMALL_TENANTS=10    tenants in the small database (besides the demo tenant)
#   USERS_PER_TENANT=10 users of each seeded tenant
#   IMPORT_USERS=20000  users for bench/import.sh; 0 skips it (bench/run.sh runs the import as its own part)
#   PROVIDERS="Sqlite Postgres"
#   RESULTS_FILE=path   also append the final Markdown tables there
#   NO_BUILD=1          skip `dotnet build` (use the existing Release build)
#   KEEP_WORK=1         keep the working directory (server logs, wrk output) instead of removing it
set -Eeuo pipefail

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-5s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
LOOKUP_CONNECTIONS=${LOOKUP_CONNECTIONS:-1}
LOGINS=${LOGINS:-20}
TENANTS=${TENANTS:-100000}
SMALL_TENANTS=${SMALL_TENANTS:-10}
USERS_PER_TENANT=${USERS_PER_TENANT:-10}
IMPORT_USERS=${IMPORT_USERS:-20000}
SLOW_SAMPLES=${SLOW_SAMPLES:-5}
PROVIDERS=${PROVIDERS:-"Sqlite Postgres"}
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
for n in SLOW_SAMPLES LOOKUP_CONNECTIONS LOGINS TENANTS SMALL_TENANTS USERS_PER_TENANT IMPORT_USERS CONNECTIONS THREADS; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || die "$n (${!n}) must be a non-negative integer"
done
[[ "$THREADS" -ge 1 && "$CONNECTIONS" -ge "$THREADS" && "$LOOKUP_CONNECTIONS" -ge 1 && "$LOGINS" -ge 1 && "$SLOW_SAMPLES" -ge 1 ]] \
  || die "need 1 <= THREADS <= CONNECTIONS, LOOKUP_CONNECTIONS >= 1, LOGINS >= 1 and SLOW_SAMPLES >= 1"
[[ "$SMALL_TENANTS" -ge 1 && "$TENANTS" -gt "$SMALL_TENANTS" && "$TENANTS" -ge 100 && "$USERS_PER_TENANT" -ge 1 ]] \
  || die "need 1 <= SMALL_TENANTS < TENANTS, TENANTS >= 100 (the list-tenants pages) and USERS_PER_TENANT >= 1"

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
  for tool in initdb pg_ctl psql; do
    command -v "$tool" >/dev/null || die "$tool (PostgreSQL) is not on PATH; or run with PROVIDERS=Sqlite"
  done
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the throwaway cluster"
  fi
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-scale-bench.XXXXXX")
# PostgreSQL's COPY runs in psql here, but the cluster user must be able to reach the directory.
if [[ $(id -u) -eq 0 ]]; then chmod 0755 "$WORK"; fi

if [[ -z "$NO_BUILD" ]]; then
  log "building src/Lanyard.Server (Release)"
  dotnet build "$ROOT/src/Lanyard.Server" -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; die "dotnet build failed"; }
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

json_field() { # json_field FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

ms() { awk -v us="$1" 'BEGIN { printf "%.2f", us / 1000 }'; }

start_postgres() {
  PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-scale-bench-pg.XXXXXX")
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PGDIR"; fi
  chmod 0700 "$PGDIR"
  PG_PORT=$(free_ports 1)
  log "PostgreSQL: throwaway cluster in $PGDIR on 127.0.0.1:$PG_PORT"
  as_postgres initdb -D "$PGDIR/data" -U lanyard --auth=trust -E UTF8 --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  as_postgres postgres --single -D "$PGDIR/data" postgres >>"$WORK/initdb.log" 2>&1 <<<"CREATE DATABASE lanyard_bench OWNER lanyard;" \
    || { cat "$WORK/initdb.log" >&2; die "creating the database failed"; }
  PG_STARTED=1
  as_postgres pg_ctl -D "$PGDIR/data" -l "$PGDIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDIR" start >/dev/null \
    || { cat "$PGDIR/postgres.log" >&2; die "PostgreSQL did not start"; }
}

pg() { # pg ARGS...: psql on the throwaway database, stopping at the first error
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U lanyard -d lanyard_bench "$@"
}

# start_server PROVIDER: sets SERVER_PID, HTTP_PORT, HTTPS_PORT, SRV_DIR; the working directory (and database) is kept across starts
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
    Lanyard__Throttling__AddressAttempts=100000  # every login comes from one address (see run.sh)
    Logging__LogLevel__Default=Warning
  )
  if [[ "$provider" == Postgres ]]; then
    env+=("Lanyard__Database__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=lanyard;Database=lanyard_bench")
  fi
  log "$provider: starting the server (http 127.0.0.1:$HTTP_PORT, https 127.0.0.1:$HTTPS_PORT) in $SRV_DIR"
  (cd "$SRV_DIR" && exec env "${env[@]}" dotnet "$BIN/lanyard.dll" --contentRoot "$BIN" >>"$SRV_DIR/server.log" 2>&1) &
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

# seed PROVIDER FIRST END SAMPLE_FILE: adds tenants FIRST..END-1 and their users to the stopped server's
# database; sets SEED_SECONDS, TENANT_TOTAL and USER_TOTAL (the application's tenants and users after it)
seed() {
  local provider=$1 first=$2 end=$3 sample=$4 started counts
  log "$provider: writing $((end - first)) tenants and $(((end - first) * USERS_PER_TENANT)) users into the database"
  started=$(date +%s.%N)
  case "$provider" in
    Sqlite)
      counts=$(python3 "$BENCH_DIR/seed_scale.py" sqlite "$SRV_DIR/data/lanyard.db" "$APP_ID" "$DEMO_EMAIL" \
        "$first" "$end" "$USERS_PER_TENANT" "$sample") || die "$provider: seeding failed"
      ;;
    Postgres)
      local dir="$WORK/seed-$first" users_columns tenants_columns
      mkdir -p "$dir"
      python3 "$BENCH_DIR/seed_scale.py" csv "$dir" "$APP_ID" "$DEMO_EMAIL" "$first" "$end" "$USERS_PER_TENANT" "$sample" \
        || die "$provider: generating the rows failed"
      users_columns=$(pg -At -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users'")
      tenants_columns=$(pg -At -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'tenants'")
      python3 "$BENCH_DIR/seed_scale.py" pgsql "$dir" "$users_columns" "$tenants_columns" >"$dir/seed.sql"
      pg -v app="$APP_ID" -v demo_email="$DEMO_EMAIL" -f "$dir/seed.sql" >"$dir/seed.log" 2>&1 \
        || { cat "$dir/seed.log" >&2; die "$provider: seeding failed"; }
      rm -f "$dir/tenants.csv" "$dir/users.csv"
      counts=$(pg -At -F' ' -v app="$APP_ID" <<<"SELECT (SELECT count(*) FROM tenants WHERE application_id = :'app'), (SELECT count(*) FROM users WHERE application_id = :'app');") \
        || die "$provider: counting failed"
      ;;
  esac
  read -r TENANT_TOTAL USER_TOTAL <<<"$counts"
  SEED_SECONDS=$(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  [[ "$TENANT_TOTAL" -gt "$end" && "$USER_TOTAL" -ge $((end * USERS_PER_TENANT)) ]] \
    || die "$provider: $TENANT_TOTAL tenants and $USER_TOTAL users after seeding; expected more than $end and $((end * USERS_PER_TENANT))"
  log "$provider: the application now has $TENANT_TOTAL tenants and $USER_TOTAL users (seeded in $SEED_SECONDS s)"
}

database_size() { # the database's size on disk in MiB
  case "$1" in
    Sqlite) du -cm "$SRV_DIR/data"/lanyard.db* | awk 'END { print $1 }' ;;
    Postgres) pg -At -c "SELECT pg_database_size(current_database()) / 1048576" ;;
  esac
}

admin_token() { # prints a fresh access token of the Application Admin Client
  local out="$WORK/token.json" code
  code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 30 -X POST -u "$ADMIN_ID:$ADMIN_SECRET" \
    -H "Host: auth.localhost" --data-urlencode grant_type=client_credentials \
    "http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token") || die "token request failed"
  [[ "$code" == 200 ]] || die "token endpoint answered HTTP $code: $(head -c 300 "$out")"
  json_field "$out" access_token
}

# run_wrk LABEL SCRIPT PATH DURATION OUTFILE WRK_ARGS...: runs wrk, fails on any error, leaves BENCH_RESULT in OUTFILE;
# fails when no request completed unless ALLOW_NONE is set (a warm-up of a lookup slower than the warm-up)
run_wrk() {
  local label=$1 script=$2 path=$3 duration=$4 out=$5
  shift 5
  wrk "$@" -d"$duration" --timeout 10s --latency -s "$BENCH_DIR/$script" "http://127.0.0.1:$HTTP_PORT$path" >"$out" 2>&1 \
    || { cat "$out" >&2; die "$label: wrk failed"; }
  local result key
  result=$(grep '^BENCH_RESULT ' "$out" || true)
  [[ -n "$result" ]] || { cat "$out" >&2; die "$label: no BENCH_RESULT line in wrk's output"; }
  for key in status_errors connect_errors read_errors write_errors timeouts mismatches; do
    if [[ "$result" == *" $key="* && "$result" != *" $key=0"* ]]; then
      cat "$out" >&2
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then tail -n 30 "$SRV_DIR/server.log" >&2; die "$label: the server exited during the run"; fi
      die "$label: wrk reported errors: $result"
    fi
  done
  [[ -n "${ALLOW_NONE:-}" || "$result" != *" requests=0 "* ]] || { cat "$out" >&2; die "$label: no request completed"; }
}

field() { # field NAME "BENCH_RESULT ..." -> value
  sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"
}

# measure LABEL SCRIPT PATH WRK_ARGS...: warm-up and measured wrk runs; sets RPS, P50, P99, MAX (ms)
measure() {
  local label=$1 script=$2 path=$3
  shift 3
  if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
    log "$label: warm-up, $WARMUP"
    ALLOW_NONE=1 run_wrk "$label (warm-up)" "$script" "$path" "$WARMUP" "$WORK/warmup.txt" "$@"
  fi
  log "$label: wrk $* -d$DURATION"
  local out="$WORK/wrk-${label//[^A-Za-z0-9_-]/_}.txt" result
  ALLOW_NONE=${MEASURE_ALLOW_NONE:-} run_wrk "$label" "$script" "$path" "$DURATION" "$out" "$@"
  grep -v '^BENCH_RESULT ' "$out" >&2
  result=$(grep '^BENCH_RESULT ' "$out")
  COMPLETED=$(field requests "$result")
  RPS=$(awk -v n="$(field requests "$result")" -v us="$(field duration_us "$result")" 'BEGIN { printf "%.0f", n * 1e6 / us }')
  P50=$(ms "$(field p50_us "$result")")
  P99=$(ms "$(field p99_us "$result")")
  MAX=$(ms "$(field max_us "$result")")
}

# probe LABEL PATH CHECK: one GET with the admin token; the JSON answer must pass the Python expression CHECK on `body`
probe() {
  local label=$1 path=$2 check=$3 out="$WORK/probe.json" code
  code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 60 -H "Host: auth.localhost" -H "Authorization: $BENCH_AUTHORIZATION" \
    -H "Accept: application/json" "http://127.0.0.1:$HTTP_PORT$path") || die "$label: probe request failed"
  [[ "$code" == 200 ]] || die "$label: probe answered HTTP $code: $(head -c 300 "$out")"
  python3 - "$out" "$check" <<'PY' || die "$label: the probe's answer failed the check ($check): $(head -c 300 "$out")"
import json, sys
body = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2], {"body": body}) else 1)
PY
}

# protocol PROVIDER DATABASE: logins, then client_credentials and refresh_token under load; appends rows
protocol() {
  local provider=$1 database=$2 label out
  label="$provider/$database/password_login"
  log "$label: 2 warm-up logins, then $LOGINS sequential logins (bench/login_timing.py)"
  out="$WORK/logins-$provider-$database.txt"
  python3 "$BENCH_DIR/login_timing.py" "$HTTPS_PORT" "$SRV_DIR/data" 2 "$LOGINS" >"$out" || die "$label: login failed"
  local refresh_token
  refresh_token=$(sed -n 's/^REFRESH_TOKEN //p' "$out")
  [[ -n "$refresh_token" ]] || die "$label: no refresh token"
  read -r rps p50 p99 max < <(python3 - "$out" <<'PY'
import math, sys
times = sorted(float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("LOGIN_MS "))
pct = lambda p: times[max(0, math.ceil(p / 100 * len(times)) - 1)]  # nearest rank
print(f"{1000 * len(times) / sum(times):.1f} {pct(50):.2f} {pct(99):.2f} {times[-1]:.2f}")
PY
)
  echo "$label: $LOGINS logins, p50 $p50 ms, p99 $p99 ms, max $max ms" >&2
  PROTO_ROWS+=("| $provider | $database | password login, sequential | $rps | $p50 | $p99 |")
  P99S["$provider/$database/password_login"]=$p99
  RATES["$provider/$database/password_login"]=$rps

  local admin_basic demo_basic scenario
  admin_basic=$(printf '%s:%s' "$ADMIN_ID" "$ADMIN_SECRET" | base64 -w0)
  demo_basic=$(printf '%s:%s' "$DEMO_CLIENT_ID" "$DEMO_CLIENT_SECRET" | base64 -w0)
  for scenario in client_credentials refresh_token; do
    case "$scenario" in
      client_credentials) export BENCH_AUTHORIZATION="Basic $admin_basic" BENCH_BODY="grant_type=client_credentials" ;;
      refresh_token) export BENCH_AUTHORIZATION="Basic $demo_basic" BENCH_BODY="grant_type=refresh_token&refresh_token=$refresh_token" ;;
    esac
    export BENCH_HOST=auth.localhost
    label="$provider/$database/$scenario"
    local code
    code=$(curl -sS -o "$WORK/probe.json" -w '%{http_code}' --max-time 10 -X POST -H "Host: auth.localhost" \
      -H "Content-Type: application/x-www-form-urlencoded" -H "Authorization: $BENCH_AUTHORIZATION" --data-raw "$BENCH_BODY" \
      "http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token") || die "$label: probe request failed"
    [[ "$code" == 200 ]] && grep -q '"access_token":"ey' "$WORK/probe.json" || die "$label: probe answered HTTP $code: $(head -c 300 "$WORK/probe.json")"
    measure "$label" token.lua /api/v1/oauth2/token -t"$THREADS" -c"$CONNECTIONS"
    PROTO_ROWS+=("| $provider | $database | $scenario | $RPS | $P50 | $P99 |")
    P99S["$provider/$database/$scenario"]=$P99
    RATES["$provider/$database/$scenario"]=$RPS
  done
}

# lookup PROVIDER CASE SHOWN PATHS_FILE EXPECT PROBE_CHECK: random paths from PATHS_FILE with wrk; appends a row.
# A lookup so slow that wrk completes fewer than SLOW_SAMPLES requests in DURATION (a table scan) is timed
# instead with SLOW_SAMPLES sequential requests (curl, one keep-alive connection), and the row says so.
lookup() {
  local provider=$1 case=$2 shown=$3 paths=$4 expect=$5 check=$6 how="wrk"
  export BENCH_AUTHORIZATION="Bearer $(admin_token)" BENCH_PATHS="$paths" BENCH_EXPECT="$expect" BENCH_HOST=auth.localhost
  probe "$provider/$case" "$(shuf -n1 "$paths")" "$check"
  MEASURE_ALLOW_NONE=1 measure "$provider/large/$case" paths.lua "$(head -1 "$paths")" -t1 -c"$LOOKUP_CONNECTIONS"
  if [[ "$COMPLETED" -lt "$SLOW_SAMPLES" ]]; then
    log "$provider/large/$case: only $COMPLETED requests in $DURATION; timing $SLOW_SAMPLES sequential requests with curl instead"
    sequential "$provider/large/$case" "$paths" "$expect"
    how="curl, $SLOW_SAMPLES sequential"
  fi
  LOOKUP_ROWS+=("| $provider | $case | \`$shown\` | $(wc -l <"$paths") | $how | $RPS | $P50 | $P99 | $MAX |")
  unset BENCH_PATHS BENCH_EXPECT
}

# sequential LABEL PATHS_FILE EXPECT: SLOW_SAMPLES GETs of random paths over one keep-alive connection (one curl
# process; %{time_total} per request); every answer must be 200 and contain EXPECT; sets RPS, P50, P99, MAX
sequential() {
  local label=$1 paths=$2 expect=$3 dir="$WORK/sequential-${1//[^A-Za-z0-9_-]/_}"
  mkdir -p "$dir"
  {
    printf 'header = "Host: auth.localhost"\nheader = "Authorization: %s"\nheader = "Accept: application/json"\nmax-time = 120\n' "$BENCH_AUTHORIZATION"
    local i=0 path
    while read -r path; do
      i=$((i + 1))
      printf 'url = "http://127.0.0.1:%s%s"\noutput = "%s/%d.json"\n' "$HTTP_PORT" "$path" "$dir" "$i"
    done < <(shuf -n "$SLOW_SAMPLES" "$paths")
  } >"$dir/curl.cfg"
  curl -sS --config "$dir/curl.cfg" -w '%{http_code} %{time_total}\n' >"$dir/times.txt" 2>"$dir/curl.err" \
    || { tail -n 5 "$dir/curl.err" >&2; die "$label: curl failed"; }
  read -r RPS P50 P99 MAX < <(python3 - "$dir" "$expect" <<'PY' || die "$label: a sequential request failed (answers in $dir with KEEP_WORK=1)"
import math, sys
directory, expect = sys.argv[1], sys.argv[2]
times = []
for i, line in enumerate(open(f"{directory}/times.txt").read().split("\n")[:-1], start=1):
    code, seconds = line.split()
    body = open(f"{directory}/{i}.json", encoding="utf-8").read()
    if code != "200" or expect not in body:
        sys.exit(f"request {i}: HTTP {code}: {body[:300]}")
    times.append(float(seconds) * 1000)
total = sum(times)
times.sort()
pct = lambda p: times[max(0, math.ceil(p / 100 * len(times)) - 1)]  # nearest rank
print(f"{1000 * len(times) / total:.1f} {pct(50):.2f} {pct(99):.2f} {times[-1]:.2f}")
PY
)
}

# lookups PROVIDER: list tenants and user lookups on the large database
lookups() {
  local provider=$1 dir="$WORK/paths-$1" tenants_path="/api/v1/applications/$APP_ID/tenants"
  mkdir -p "$dir"
  local deep=$((TENANT_TOTAL - 99)) last=$((TENANTS - 1)) width index filter filtered
  # seed_scale.py names tenants t + at least five digits; the filter takes the ten names that share all but
  # the last digit, about 42% into the large seed (t4242 with the defaults: t42420..t42429).
  width=${#last}
  if [[ "$width" -lt 5 ]]; then width=5; fi
  index=$((TENANTS * 4242 / 10000 / 10 * 10))
  if [[ "$index" -lt "$SMALL_TENANTS" ]]; then index=$(((SMALL_TENANTS + 9) / 10 * 10)); fi
  filter=$(printf "t%0${width}d" "$index")
  filter=${filter%?}
  filtered=$((TENANTS - index < 10 ? TENANTS - index : 10))
  echo "$tenants_path?count=50" >"$dir/first"
  echo "$tenants_path?start_index=$deep&count=50" >"$dir/deep"
  echo "$tenants_path?sort_by=displayName%3Adesc&count=50" >"$dir/sort"
  echo "$tenants_path?query=name%20sw%20%22$filter%22&count=50" >"$dir/filter"
  lookup "$provider" "tenants: first page" "tenants?count=50" "$dir/first" "\"totalResults\":$TENANT_TOTAL," \
    "body['totalResults'] == $TENANT_TOTAL and len(body['items']) == 50"
  lookup "$provider" "tenants: deep page" "tenants?start_index=$deep&count=50" "$dir/deep" "\"totalResults\":$TENANT_TOTAL," \
    "body['totalResults'] == $TENANT_TOTAL and len(body['items']) == 50"
  lookup "$provider" "tenants: sorted" "tenants?sort_by=displayName:desc&count=50" "$dir/sort" "\"totalResults\":$TENANT_TOTAL," \
    "body['totalResults'] == $TENANT_TOTAL and len(body['items']) == 50"
  lookup "$provider" "tenants: filtered" "tenants?query=name sw \"$filter\"&count=50" "$dir/filter" "\"totalResults\":$filtered," \
    "body['totalResults'] == $filtered"

  # Users: random seeded users from the seed's sample ("user_id tenant_id email" lines).
  python3 - "$LARGE_SAMPLE" "$dir" "$APP_ID" <<'PY'
import sys, urllib.parse
sample, directory, app = sys.argv[1], sys.argv[2], sys.argv[3]
with open(sample) as f, open(f"{directory}/by-id", "w") as by_id, open(f"{directory}/by-email", "w") as by_email, \
        open(f"{directory}/by-email-app", "w") as by_email_app:
    for line in f:
        user_id, tenant_id, email = line.split()
        query = urllib.parse.quote(f'email eq "{email}"', safe="")
        by_id.write(f"/api/v1/users/{user_id}\n")
        by_email.write(f"/api/v1/tenants/{tenant_id}/users?query={query}\n")
        by_email_app.write(f"/api/v1/applications/{app}/users?query={query}\n")
PY
  lookup "$provider" "user by id" "users/{id}" "$dir/by-id" '"email":"t' "body['email'].endswith('@bench.example')"
  lookup "$provider" "users by email, in a tenant" "tenants/{tenantId}/users?query=email eq \"...\"" "$dir/by-email" \
    '"totalResults":1,' "body['totalResults'] == 1 and body['items'][0]['email'].endswith('@bench.example')"
  lookup "$provider" "users by email, application-wide" "applications/{id}/users?query=email eq \"...\"" "$dir/by-email-app" \
    '"totalResults":1,' "body['totalResults'] == 1 and body['items'][0]['email'].endswith('@bench.example')"
}

# ---------------------------------------------------------------------------------------------
# Run

declare -A P99S RATES
PROTO_ROWS=()
RATIO_ROWS=()
SEED_ROWS=()
LOOKUP_ROWS=()
LOADS=()
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

for PROVIDER in $PROVIDERS; do
  case "$PROVIDER" in
    Sqlite) ;;
    Postgres) start_postgres ;;
    *) die "unknown provider $PROVIDER (Sqlite or Postgres)" ;;
  esac

  start_server "$PROVIDER" # first start: migrations and the Development demo data
  boot="$SRV_DIR/data/bootstrap.json"
  APP_ID=$(json_field "$boot" applicationId)
  ADMIN_ID=$(json_field "$boot" adminClientId)
  ADMIN_SECRET=$(json_field "$boot" adminClientSecret)
  DEMO_CLIENT_ID=$(json_field "$boot" demoClientId)
  DEMO_CLIENT_SECRET=$(json_field "$boot" demoClientSecret)
  DEMO_EMAIL=$(json_field "$boot" demoUserEmail)
  stop_server
  mv "$SRV_DIR/server.log" "$SRV_DIR/server-first-start.log" # its migration-history "errors" are the first start's normal path

  seed "$PROVIDER" 0 "$SMALL_TENANTS" "$WORK/sample-small-$PROVIDER.txt"
  SEED_ROWS+=("| $PROVIDER | small | $TENANT_TOTAL | $USER_TOTAL | $SEED_SECONDS | $(database_size "$PROVIDER") |")
  start_server "$PROVIDER"
  protocol "$PROVIDER" small
  stop_server

  LARGE_SAMPLE="$WORK/sample-large-$PROVIDER.txt"
  seed "$PROVIDER" "$SMALL_TENANTS" "$TENANTS" "$LARGE_SAMPLE"
  SEED_ROWS+=("| $PROVIDER | large | $TENANT_TOTAL | $USER_TOTAL | $SEED_SECONDS | $(database_size "$PROVIDER") |")
  start_server "$PROVIDER"
  [[ "$(json_field "$SRV_DIR/data/bootstrap.json" applicationId)" == "$APP_ID" ]] || die "$PROVIDER: the server made a new application"
  protocol "$PROVIDER" large
  for scenario in client_credentials refresh_token password_login; do
    small=${P99S["$PROVIDER/small/$scenario"]} large=${P99S["$PROVIDER/large/$scenario"]}
    RATIO_ROWS+=("| $PROVIDER | $scenario | $small | $large | $(awk -v a="$small" -v b="$large" 'BEGIN { printf "%.2f", b / a }') | $(awk -v a="${RATES["$PROVIDER/small/$scenario"]}" -v b="${RATES["$PROVIDER/large/$scenario"]}" 'BEGIN { printf "%.2f", b / a }') |")
  done
  lookups "$PROVIDER"
  LOADS+=("$PROVIDER: $(cut -d' ' -f1-3 /proc/loadavg)")

  kill -0 "$SERVER_PID" 2>/dev/null || die "$PROVIDER: the server died during the run"
  stop_server
  if grep -q '"LogLevel":"\(Error\|Critical\)"' "$SRV_DIR/server.log"; then
    echo "bench: note: the $PROVIDER server logged errors; see $SRV_DIR/server.log (KEEP_WORK=1)" >&2
  fi
  if [[ "$PROVIDER" == Postgres ]]; then stop_postgres; fi
done

{
  echo
  echo "Lanyard $COMMIT, $(nproc) CPUs ($CPU), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)." \
    "Small database: the demo data and $SMALL_TENANTS tenants; large: $TENANTS tenants; $USERS_PER_TENANT users per tenant." \
    "Tokens: wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up; logins: $LOGINS sequential after 2;" \
    "lookups: wrk -t1 -c$LOOKUP_CONNECTIONS -d$DURATION after a $WARMUP warm-up. HTTP/1.1 without TLS (logins over HTTPS)," \
    "all on the same machine. Load average before: $LOAD_BEFORE; after each provider: $(IFS=';'; echo "${LOADS[*]}")"
  echo
  echo "| provider | database | tenants | users | seeded in s | size MiB |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${SEED_ROWS[@]}"
  echo
  echo "| provider | database | scenario | requests/s | p50 ms | p99 ms |"
  echo "| --- | --- | --- | ---: | ---: | ---: |"
  printf '%s\n' "${PROTO_ROWS[@]}"
  echo
  echo "| provider | scenario | p99 ms, small | p99 ms, large | p99 ratio large/small (target <= 1.25) | requests/s ratio large/small |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${RATIO_ROWS[@]}"
  echo
  echo "| provider | lookup on the large database | request | distinct paths | measured with | requests/s | p50 ms | p99 ms | max ms |"
  echo "| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${LOOKUP_ROWS[@]}"
} | tee ${RESULTS_FILE:+-a "$RESULTS_FILE"}

if [[ "$IMPORT_USERS" -gt 0 ]]; then
  log "bulk import: bench/import.sh with $IMPORT_USERS users"
  USERS=$IMPORT_USERS PROVIDERS=$PROVIDERS NO_BUILD=1 RESULTS_FILE=$RESULTS_FILE KEEP_WORK=$KEEP_WORK "$BENCH_DIR/import.sh" \
    || die "bench/import.sh failed"
fi
