#!/usr/bin/env bash
# Lanyard user import/export benchmark: builds the server in Release, then for each database provider
# runs the executable's own verbs in a throwaway working directory against a fresh database:
#   1. `import users.csv --tenant demo` of a generated CSV (USERS rows, no password hashes): all created;
#   2. the same file again: all unchanged (the idempotent path: read, compare, no write);
#   3. `export users --tenant demo --out export.csv`.
# Prints a Markdown table of rows per second as each verb reports it (its own clock: from the first
# row read to the summary, without process start-up and migrations) and, for the imports, rows per
# second of the process's CPU time (what one fully available core would do: the figure to compare
# when the machine is busy). The database server's own CPU (PostgreSQL) is not in it. Exits non-zero
# on any failure.
#
# Usage: ./bench/import.sh          (see bench/README.md)
# Environment:
#   USERS=50000       rows in the generated CSV
#   PROVIDERS="Sqlite Postgres"
#   RESULTS_FILE=path also append the final Markdown table there
#   NO_BUILD=1        skip `dotnet build` (use the existing Release build)
#   KEEP_WORK=1       keep the working directory instead of removing it
set -Eeuo pipefail

USERS=${USERS:-50000}
PROVIDERS=${PROVIDERS:-"Sqlite Postgres"}
RESULTS_FILE=${RESULTS_FILE:-}
NO_BUILD=${NO_BUILD:-}
KEEP_WORK=${KEEP_WORK:-}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
BIN="$ROOT/src/Lanyard.Server/bin/Release/net10.0"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }

WORK=""
PGDIR=""
PG_STARTED=""

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
  stop_postgres
  if [[ -n "$PGDIR" ]]; then rm -rf "$PGDIR"; fi
  if [[ -n "$WORK" && -z "$KEEP_WORK" ]]; then rm -rf "$WORK"; fi
  if [[ -n "$WORK" && -n "$KEEP_WORK" ]]; then echo "bench: kept $WORK" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for tool in dotnet python3; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
[[ "$USERS" =~ ^[0-9]+$ && "$USERS" -ge 1 ]] || die "USERS ($USERS) must be a positive integer"
if [[ " $PROVIDERS " == *" Postgres "* ]]; then
  for tool in initdb pg_ctl; do
    command -v "$tool" >/dev/null || die "$tool (PostgreSQL server binaries) is not on PATH; or run with PROVIDERS=Sqlite"
  done
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-import-bench.XXXXXX")
if [[ $(id -u) -eq 0 ]]; then chmod 0755 "$WORK"; fi

if [[ -z "$NO_BUILD" ]]; then
  log "building src/Lanyard.Server (Release)"
  dotnet build "$ROOT/src/Lanyard.Server" -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; die "dotnet build failed"; }
fi
[[ -f "$BIN/lanyard.dll" ]] || die "$BIN/lanyard.dll not found"

log "generating $USERS users (every Wristband column but roles, no password hash)"
python3 - "$WORK/users.csv" "$USERS" <<'PY'
import csv, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["email", "username", "emailVerified", "externalId", "fullName", "givenName", "familyName", "nickname",
                "displayName", "birthdate", "phoneNumber", "preferredLanguage", "locale", "timeZone", "status"])
    for i in range(count):
        w.writerow([f"user{i}@bench.example", f"user{i}", "true" if i % 2 else "false", f"legacy-{i}", f"Given{i} Family{i}",
                    f"Given{i}", f"Family{i}", f"nick{i}", f"Given {i}", "1985-06-15", "+14155550100", "en", "en-US",
                    "America/New_York", "ACTIVE"])
PY

start_postgres() {
  PGDIR=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-import-bench-pg.XXXXXX")
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PGDIR"; fi
  chmod 0700 "$PGDIR"
  PG_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
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

# lanyard PROVIDER ARGS...: runs a verb of the executable in the provider's working directory; stdout to $OUT, stderr to $ERR
lanyard() {
  local provider=$1
  shift
  local -a env=(DOTNET_ENVIRONMENT=Development DOTNET_NOLOGO=1 "Lanyard__Database__Provider=$provider" Logging__LogLevel__Default=Warning)
  if [[ "$provider" == Postgres ]]; then
    env+=("Lanyard__Database__ConnectionString=Host=127.0.0.1;Port=$PG_PORT;Username=lanyard;Database=lanyard_bench")
  fi
  (cd "$WORK/$provider" && exec env "${env[@]}" dotnet "$BIN/lanyard.dll" --contentRoot "$BIN" "$@") >"$OUT" 2>"$ERR"
}

rate() { # the rows/s figure of an import summary line
  sed -n 's/.*(\([0-9]*\) rows\/s, .*/\1/p' "$1" | tail -1
}

cpu_rate() { # rows per second of CPU time, from an import summary line: what one busy core would do
  sed -n 's/.*: \([0-9]*\) rows, .*, \([0-9.]*\) s of CPU)\..*/\1 \2/p' "$1" | tail -1 | awk '{ printf "%.0f", $1 / ($2 > 0 ? $2 : 0.05) }'
}

ROWS=()
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
for provider in $PROVIDERS; do
  case "$provider" in
    Sqlite) ;;
    Postgres) start_postgres ;;
    *) die "unknown provider $provider (Sqlite or Postgres)" ;;
  esac
  mkdir -p "$WORK/$provider"
  OUT="$WORK/$provider/migrate.out" ERR="$WORK/$provider/migrate.err"
  lanyard "$provider" migrate || { cat "$ERR" >&2; die "$provider: migrate failed"; }

  log "$provider: import of $USERS new users"
  OUT="$WORK/$provider/import.out" ERR="$WORK/$provider/import.err"
  lanyard "$provider" import "$WORK/users.csv" --tenant demo || { cat "$ERR" >&2; die "$provider: import failed"; }
  grep -q "$USERS created" "$OUT" || { cat "$OUT" "$ERR" >&2; die "$provider: not every row was created"; }
  grep -v '^{' "$OUT" >&2
  created=$(rate "$OUT")
  created_cpu=$(cpu_rate "$OUT")

  log "$provider: the same file again"
  OUT="$WORK/$provider/reimport.out" ERR="$WORK/$provider/reimport.err"
  lanyard "$provider" import "$WORK/users.csv" --tenant demo || { cat "$ERR" >&2; die "$provider: re-import failed"; }
  grep -q "$USERS unchanged" "$OUT" || { cat "$OUT" "$ERR" >&2; die "$provider: the re-import changed rows"; }
  grep -v '^{' "$OUT" >&2
  unchanged=$(rate "$OUT")
  unchanged_cpu=$(cpu_rate "$OUT")

  log "$provider: export"
  OUT="$WORK/$provider/export.out" ERR="$WORK/$provider/export.err"
  lanyard "$provider" export users --tenant demo --out "$WORK/$provider/export.csv" || { cat "$ERR" >&2; die "$provider: export failed"; }
  tail -1 "$ERR" >&2
  exported=$(sed -n 's/^Exported \([0-9]*\) users .* in \([0-9.]*\) s\./\1 \2/p' "$ERR" | awk '{ printf "%.0f", $1 / ($2 > 0 ? $2 : 0.05) }')

  ROWS+=("| $provider | $USERS | $created | $created_cpu | $unchanged | $unchanged_cpu | $exported |")
  if [[ "$provider" == Postgres ]]; then stop_postgres; fi
done

{
  echo
  echo "Lanyard $COMMIT, $(nproc) CPUs ($CPU), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $USERS users without password hashes"
  echo
  echo "| provider | users | import, new: users/s | per CPU-second | import again, unchanged: users/s | per CPU-second | export: users/s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  printf '%s\n' "${ROWS[@]}"
} | tee ${RESULTS_FILE:+-a "$RESULTS_FILE"}
