#!/usr/bin/env bash
# Runs every test of Lanyard. Installs what the suite needs and is missing (PostgreSQL server binaries,
# Chromium, Node packages) where it can, or stops with a message that says what to install.
# PostgreSQL tests run against a throwaway cluster the test kit creates in a temp folder; with CI=true
# a missing PostgreSQL fails the run instead of skipping those tests.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '==> %s\n' "$*"; }
fail() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

command -v dotnet >/dev/null 2>&1 || fail "the .NET SDK is required (https://dot.net); install .NET 10 and run again."

apt_updated=0
apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    return 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && return 0
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null 2>&1
}

if [ -z "${LANYARD_TEST_POSTGRES:-}" ] && ! have_postgres; then
  apt_install postgresql || true
  have_postgres || {
    if [ "${CI:-}" = "true" ]; then
      fail "PostgreSQL server binaries (initdb, pg_ctl) are missing and could not be installed; install the 'postgresql' package."
    fi
    say "PostgreSQL is not installed: its tests will be reported as skipped (install 'postgresql' to run them)."
  }
fi

# The Express sample runs on Node with the real @wristband/express-auth package (its tests run npm ci).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm || fail "Node.js and npm are required for the Express sample's end-to-end tests (install 'nodejs' and 'npm')."
fi

# Install exactly what the sample's package-lock.json pins, once, before the tests start.
if [ ! -d samples/express-wristband/node_modules/@wristband/express-auth ]; then
  say "npm ci (samples/express-wristband)"
  (cd samples/express-wristband && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in samples/express-wristband (is the npm registry reachable?)."
fi

# The test mailbox (a real SMTP server on loopback that email tests read from) runs on Node too.
if [ ! -d tests/mailbox/node_modules/smtp-server ] || [ ! -d tests/mailbox/node_modules/mailparser ]; then
  say "npm ci (tests/mailbox)"
  (cd tests/mailbox && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci failed in tests/mailbox (is the npm registry reachable?)."
fi

# Browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
if ! command -v chromium >/dev/null 2>&1; then
  apt_install chromium || say "Chromium is not installed and could not be installed; browser tests will fail (install 'chromium')."
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say "dotnet build"
dotnet build Lanyard.slnx -c Release -warnaserror --nologo -v quiet

say "dotnet test"
# One test project at a time: the browser tests and the server tests each keep both cores busy, and
# sharing them made browser timeouts flaky on a 2-core machine.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test --solution Lanyard.slnx -c Release --no-build --max-parallel-test-modules 1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line, summed over every test project.
sum() { grep -E "^[[:space:]]+$1: [0-9]+" "$log" | awk '{ s += $2 } END { print s + 0 }'; }
total=$(sum total); failed=$(sum failed); passed=$(sum succeeded); skipped=$(sum skipped)
echo
if [ "$total" -eq 0 ]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
