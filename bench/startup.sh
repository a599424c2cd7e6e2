#!/usr/bin/env bash
# Start-up benchmark: time from launching the server to its first 200 on /readyz, on SQLite, in three variants:
# "build" is `dotnet build -c Release` (every method compiled by the JIT as it is first called, as with
# `dotnet run`), "publish" is `dotnet publish -c Release -r linux-x64 -p:PublishReadyToRun=true` (precompiled),
# both in Development; "deployed" is that publish as the operator guide's production checklist runs it: Production,
# with a generated master key and admin secret, migrations applied on start (no development CA or certificates, no
# demo data, no validation of the service container at build, JSON logs). "first" is an empty data
# directory (migrations, signing keys; in Development also the development CA, certificates and demo data);
# "warm" is a second start on the data the first one left, which also reports the resident memory (VmRSS) after it
# has idled IDLE_S seconds (default 10: the background workers' first passes start 2 s after the database is
# ready, and the release of start-up's memory follows the first quiet 2 s).
# A benchmark, not a test: it prints figures and asserts none.
# Usage: ./bench/startup.sh [runs]   (default 5)
# A/B against another commit: BASELINE=DIR ./bench/startup.sh [runs], where DIR holds that commit's ReadyToRun publish
# (the same publish command, run in a worktree of it); then only the publishes are timed, this tree's and the
# baseline's in turn, run by run, so that both see the same minutes of a machine whose speed drifts.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
IDLE_S=${IDLE_S:-10}
MASTER_KEY=$(head -c 32 /dev/urandom | base64)
ADMIN_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '/+=')
if [[ -n "${BASELINE:-}" && ! -f "${BASELINE}/lanyard.dll" ]]; then
  echo "BASELINE=$BASELINE holds no lanyard.dll (a ReadyToRun publish of the other commit)" >&2; exit 2
fi
WORK=$(mktemp -d)
PID=""
cleanup() { [[ -n "$PID" ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

[[ -n "${BASELINE:-}" ]] || dotnet build src/Lanyard.Server -c Release -v quiet --nologo >/dev/null
dotnet publish src/Lanyard.Server -c Release -r linux-x64 --self-contained false -p:PublishReadyToRun=true \
  -o "$WORK/publish" -v quiet --nologo >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tls=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# start VARIANT BIN DIR [rss]: prints milliseconds from launch to the first 200 on /readyz (with "rss": and the MiB
# resident IDLE_S seconds later), then stops the server
start() {
  local variant=$1 bin=$2 dir=$3 t0 t1 rss="" mode=(DOTNET_ENVIRONMENT=Development)
  if [[ $variant == deployed ]]; then
    mode=(DOTNET_ENVIRONMENT=Production Lanyard__Secrets__MasterKey="$MASTER_KEY" Lanyard__Bootstrap__AdminClientSecret="$ADMIN_SECRET"
      Lanyard__Database__AutoMigrate=true)
  fi
  t0=$(date +%s%N)
  (cd "$dir" && exec env "${mode[@]}" Lanyard__Endpoints__HttpPort="$port" Lanyard__Endpoints__HttpsPort="$tls" \
      Logging__LogLevel__Default=Warning dotnet "$bin/lanyard.dll" --contentRoot "$bin" >"$dir/server.log" 2>&1) &
  PID=$!
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/readyz" || true)" == 200 ]]; do
    kill -0 "$PID" 2>/dev/null || { tail -n 30 "$dir/server.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s%N)
  if [[ "${4:-}" == rss ]]; then
    sleep "$IDLE_S"
    rss=$(awk '/^VmRSS:/ { printf " %.1f", $2 / 1024 }' "/proc/$PID/status")
  fi
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  echo "$(( (t1 - t0) / 1000000 ))$rss"
}

printf '| build | run | first start (empty data) ms | warm start ms | warm start, RSS after %s s idle, MiB |\n| --- | ---: | ---: | ---: | ---: |\n' "$IDLE_S"
# run VARIANT BIN I: one first start and one warm start of BIN in a new data directory
run() {
  local dir="$WORK/$1$3" first warm rss
  mkdir -p "$dir"
  first=$(start "$1" "$2" "$dir"); read -r warm rss < <(start "$1" "$2" "$dir" rss)
  printf '| %s | %d | %d | %d | %s |\n' "$1" "$3" "$first" "$warm" "$rss"
}

if [[ -n "${BASELINE:-}" ]]; then
  for i in $(seq 1 "$RUNS"); do
    run publish "$WORK/publish" "$i"
    run baseline "$(cd "$BASELINE" && pwd)" "$i"
  done
  exit 0
fi

for variant in build publish deployed; do
  if [[ $variant == build ]]; then bin="$PWD/src/Lanyard.Server/bin/Release/net10.0"; else bin="$WORK/publish"; fi
  for i in $(seq 1 "$RUNS"); do
    run "$variant" "$bin" "$i"
  done
done
