#!/usr/bin/env bash
# Lanyard list-tenants benchmark: builds the server in Release, then for each database provider starts
# it in a throwaway working directory (Development: the demo application and tenant), stops it, writes
# TENANTS tenants of the demo application straight into its database (bench/seed_tenants.py: copies of
# the demo tenant row with their own ids, names and timestamps), starts it again and times
# GET /api/v1/applications/{id}/tenants with an admin client's token, REQUESTS sequential requests per
# case over one keep-alive connection (curl's %{time_total}):
#   first     count=50
#   deep      start_index=TENANTS-99&count=50 (99901 with the default)
#   sort      sort_by=displayName:desc&count=50
#   filter    query=name sw "t4242"&count=50
# Prints a Markdown table of p50, p99 and max in milliseconds. Exits non-zero on any failure,
# including a single non-200 answer, or a totalResults below TENANTS for the unfiltered cases.
#
# Usage: ./bench/tenants.sh          (see bench/README.md)
# Environment:
#   TENANTS=100000    tenants written into the database (besides the demo tenant)
#   REQUESTS=200      measured requests per case (after WARMUP unmeasured ones)
#   WARMUP=20
#   PROVIDERS="Sqlite Postgres"
#   RESULTS_FILE=path also write the final Markdown table there
#   NO_BUILD=1        skip `dotnet build` (use the existing Release build)
#   KEEP_WORK=1       keep the working directory (server logs, answers) instead of removing it
set -Eeuo pipefail

TENANTS=${TENANTS:-100000}
REQUESTS=${REQUESTS:-200}
WARMUP=${WARMUP:-20}
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
for n in TENANTS REQUESTS WARMUP; do
  [[ "${!n}" =~ ^[0-9]+$ ]] || die "$n (${!n}) must be a non-negative integer"
done
[[ "$TENANTS" -ge 100 ]] || die "TENANTS ($TENANTS) must be at least 100 (the deep page is the last 100)"
[[ "$REQUESTS" -ge 1 ]] || die "REQUESTS must be at least 1"
if [[ " $PROVIDERS " == *" Postgres "* ]]; then
  for tool in initdb pg_ctl psql; do
    command -v "$tool" >/dev/null || die "$tool (PostgreSQL) is not on PATH; or run with PROVIDERS=Sqlite"
  done
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the throwaway cluster"
  fi
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-tenants-bench.XXXXXX")
if [[ $(id -u) -eq 0 ]]; then chmod 0755 "$WORK"; fi

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

json_field() { # json_field FILE KEY
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"
}

start_postgres() {
  PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-tenants-bench-pg.XXXXXX")
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

# start_server PROVIDER: sets SERVER_PID and HTTP_PORT; the working directory (and database) is kept across starts
start_server() {
  local provider=$1 https_port
  SRV_DIR="$WORK/$provider"
  mkdir -p "$SRV_DIR"
  read -r HTTP_PORT https_port < <(free_ports 2)
  local -a env=(
    DOTNET_ENVIRONMENT=Development
    DOTNET_NOLOGO=1
    DOTNET_CLI_TELEMETRY_OPTOUT=1
    "Lanyard__Endpoints__HttpPort=$HTTP_PORT"
    "Lanyard__Endpoints__HttpsPort=$https_port"
    "Lanyard__Database__Provider=$provider"
    Logging__LogLevel__Default=Warning
  )
  if [[ "$provider" == Postgres ]]; then
    env+=("Lanyard__Database__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=lanyard;Database=lanyard_bench")
  fi
  log "$provider: starting the server (http 127.0.0.1:$HTTP_PORT) in $SRV_DIR"
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

# seed PROVIDER APPLICATION_ID: writes TENANTS tenants into the stopped server's database
seed() {
  local provider=$1 app=$2 total
  log "$provider: writing $TENANTS tenants into the database"
  local started=$SECONDS
  case "$provider" in
    Sqlite)
      total=$(python3 "$BENCH_DIR/seed_tenants.py" sqlite "$SRV_DIR/data/lanyard.db" "$app" "$TENANTS") \
        || die "$provider: seeding failed"
      ;;
    Postgres)
      python3 "$BENCH_DIR/seed_tenants.py" csv "$WORK/tenants.csv" "$app" "$TENANTS" || die "$provider: generating the rows failed"
      # Copies of the demo tenant (the application's oldest), like the SQLite path; then VACUUM (ANALYZE),
      # which autovacuum would do on its own within a minute of such a bulk insert: done here, the measured
      # requests do not depend on whether it ran yet (before it, an index-only scan still reads the table).
      pg -v app="$app" >"$WORK/seed-pg.log" 2>&1 <<SQL || { cat "$WORK/seed-pg.log" >&2; die "$provider: seeding failed"; }
BEGIN;
CREATE TEMP TABLE seed (id text, name text, display_name text, created_at timestamptz, updated_at timestamptz);
\copy seed FROM '$WORK/tenants.csv' WITH (FORMAT csv)
INSERT INTO tenants (id, application_id, name, normalized_name, display_name, description, logo_url, status, type,
                     signup_enabled, allowed_signup_email_domains, custom_domain, custom_domain_verified,
                     public_metadata, restricted_metadata, created_at, updated_at, version)
SELECT s.id, t.application_id, s.name, lower(s.name), s.display_name, NULL, NULL, t.status, t.type,
       t.signup_enabled, t.allowed_signup_email_domains, NULL, false, NULL, NULL, s.created_at, s.updated_at, t.version
FROM seed s
CROSS JOIN (SELECT * FROM tenants WHERE application_id = :'app' ORDER BY created_at LIMIT 1) t;
COMMIT;
VACUUM (ANALYZE) tenants;
SQL
      total=$(pg -At -v app="$app" <<<"SELECT count(*) FROM tenants WHERE application_id = :'app';") || die "$provider: counting failed"
      ;;
  esac
  [[ "$total" -gt "$TENANTS" ]] || die "$provider: the application has $total tenants after seeding, expected more than $TENANTS"
  SEED_SECONDS=$((SECONDS - started))
  log "$provider: the application now has $total tenants (seeded in ${SEED_SECONDS} s)"
}

admin_token() { # prints a fresh access token of the Application Admin Client
  local out="$WORK/token.json" code
  code=$(curl -sS -o "$out" -w '%{http_code}' --max-time 30 -X POST -u "$ADMIN_ID:$ADMIN_SECRET" \
    -H "Host: auth.localhost" --data-urlencode grant_type=client_credentials \
    "http://127.0.0.1:$HTTP_PORT/api/v1/oauth2/token") || die "token request failed"
  [[ "$code" == 200 ]] || die "token endpoint answered HTTP $code: $(head -c 300 "$out")"
  json_field "$out" access_token
}

# measure LABEL QUERY MIN_TOTAL [SHOWN]: WARMUP + REQUESTS sequential GETs over one keep-alive connection;
# appends a table row to ROWS
measure() {
  local label=$1 query=$2 min_total=$3 shown=${4:-$2} dir="$WORK/$PROVIDER-$1"
  mkdir -p "$dir"
  local url="http://127.0.0.1:$HTTP_PORT/api/v1/applications/$APP_ID/tenants?$query"
  local token
  token=$(admin_token)
  # One curl process, one connection: its %{time_total} is the request alone, without process start-up or TCP connect.
  {
    printf 'header = "Host: auth.localhost"\nheader = "Authorization: Bearer %s"\nheader = "Accept: application/json"\n' "$token"
    printf 'max-time = 30\n'
    for i in $(seq 1 $((WARMUP + REQUESTS))); do
      printf 'url = "%s"\noutput = "%s/%d.json"\n' "$url" "$dir" "$i"
    done
  } >"$dir/curl.cfg"
  log "$PROVIDER/$label: $WARMUP + $REQUESTS requests: GET ...tenants?$shown"
  curl -sS --config "$dir/curl.cfg" -w '%{http_code} %{time_total}\n' >"$dir/times.txt" 2>"$dir/curl.err" \
    || {
      tail -n 5 "$dir/curl.err" >&2
      if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 30 "$SRV_DIR/server.log" >&2
        die "$PROVIDER/$label: the server exited during the run (its log is above)"
      fi
      die "$PROVIDER/$label: curl failed"
    }
  local row
  row=$(python3 - "$dir" "$WARMUP" "$REQUESTS" "$min_total" "$PROVIDER" "$label" "$shown" <<'PY'
import json, math, sys
directory, warmup, requests, min_total, provider, label, query = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:]
lines = open(f"{directory}/times.txt").read().split("\n")[:-1]
if len(lines) != warmup + requests:
    sys.exit(f"{provider}/{label}: {len(lines)} answers, expected {warmup + requests}")
times = []
for i, line in enumerate(lines, start=1):
    code, seconds = line.split()
    body = open(f"{directory}/{i}.json", encoding="utf-8").read()
    if code != "200":
        sys.exit(f"{provider}/{label}: request {i} answered HTTP {code}: {body[:300]}")
    page = json.loads(body)
    total, items = page.get("totalResults"), page.get("items")
    if not isinstance(total, int) or total < min_total or not isinstance(items, list) or (min_total and not items):
        sys.exit(f"{provider}/{label}: request {i}: totalResults {total} (need >= {min_total}), {len(items or [])} items")
    if i > warmup:
        times.append(float(seconds) * 1000)
times.sort()
def pct(p):  # nearest rank
    return times[max(0, math.ceil(p / 100 * len(times)) - 1)]
print(f"| {provider} | {label} | `{query}` | {total} | {len(items)} | {pct(50):.1f} | {pct(99):.1f} | {times[-1]:.1f} |")
PY
) || die "$PROVIDER/$label: a check failed (answers kept in $dir with KEEP_WORK=1)"
  echo "$row" >&2
  ROWS+=("$row")
}

# ---------------------------------------------------------------------------------------------
# Run

ROWS=()
LOADS=()
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
DEEP_START=$((TENANTS - 99))
FILTER_MIN=$((TENANTS >= 42430 ? 1 : 0)) # names are t00000, t00001, ...: "t4242" matches t42420-t42429

for PROVIDER in $PROVIDERS; do
  case "$PROVIDER" in
    Sqlite) ;;
    Postgres) start_postgres ;;
    *) die "unknown provider $PROVIDER (Sqlite or Postgres)" ;;
  esac

  start_server "$PROVIDER" # first start: migrations and the Development demo data
  APP_ID=$(json_field "$SRV_DIR/data/bootstrap.json" applicationId)
  stop_server
  mv "$SRV_DIR/server.log" "$SRV_DIR/server-first-start.log" # its migration-history "errors" are the first start's normal path
  seed "$PROVIDER" "$APP_ID"
  start_server "$PROVIDER"
  boot="$SRV_DIR/data/bootstrap.json"
  [[ "$(json_field "$boot" applicationId)" == "$APP_ID" ]] || die "$PROVIDER: the second start made a new application"
  ADMIN_ID=$(json_field "$boot" adminClientId)
  ADMIN_SECRET=$(json_field "$boot" adminClientSecret)

  measure first "count=50" "$TENANTS"
  measure deep "start_index=$DEEP_START&count=50" "$TENANTS"
  measure sort "sort_by=displayName%3Adesc&count=50" "$TENANTS" "sort_by=displayName:desc&count=50"
  measure filter "query=name%20sw%20%22t4242%22&count=50" "$FILTER_MIN" 'query=name sw "t4242"&count=50'
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
  echo "Lanyard $COMMIT, $(nproc) CPUs ($CPU), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$TENANTS seeded tenants, $REQUESTS sequential requests per case after $WARMUP warm-up ones, one keep-alive" \
    "HTTP/1.1 connection without TLS, curl and server on the same machine. Load average before: $LOAD_BEFORE;" \
    "after each provider: $(IFS=';'; echo "${LOADS[*]}")"
  echo
  echo "| provider | case | query | totalResults | items | p50 ms | p99 ms | max ms |"
  echo "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
} | tee ${RESULTS_FILE:+"$RESULTS_FILE"}
