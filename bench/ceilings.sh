#!/usr/bin/env bash
# Lanyard hardware ceilings: what this machine allows for the two costs that bound the protocol figures,
# measured with the crypto stack Lanyard uses (.NET's System.Security.Cryptography on OpenSSL) by the
# small console program in bench/Ceilings:
#   - RS256 signatures per second (RSA 2048, SHA-256, PKCS#1 v1.5, over a 600-byte JWT signing input):
#     every issued JWT costs one;
#   - PBKDF2-HMAC-SHA256 hashes per second at Lanyard's iteration count (16-byte salt, 32-byte hash, as
#     Features/Users/PasswordHasher.cs): every password login costs one;
# each on one thread and on one thread per core at once, as timed loops after a warm-up. Prints a Markdown
# table and one machine-readable line for bench/run.sh:
#   BENCH_CEILING cores=.. rs256_per_core=.. rs256_all_cores=.. pbkdf2_per_core=.. pbkdf2_all_cores=.. pbkdf2_iterations=..
# (per_core: the one-thread figure; all_cores: all threads together). With openssl on PATH it also prints
# `openssl speed rsa2048` signs per second as a cross-check of the .NET figure.
#
# Usage: ./bench/ceilings.sh          (see bench/README.md)
# Environment:
#   CEILING_SECONDS=3   measured loop per figure
#   CEILING_WARMUP=1    unmeasured loop before each measured one
#   PBKDF2_ITERATIONS   default: Lanyard's default (Passwords:Pbkdf2Iterations in Hosting/ServerSettings.cs)
#   RESULTS_FILE=path   also append the final output there
#   CEILING_ONLY=pbkdf2-all-cores   only the PBKDF2 hashes on one thread per core, printed as the single line
#                       `BENCH_CEILING pbkdf2_all_cores=..` and nothing else (bench/run.sh, after each login flow)
#   NO_BUILD=1          skip `dotnet build` of bench/Ceilings (use the existing Release build)
set -Eeuo pipefail

CEILING_SECONDS=${CEILING_SECONDS:-3}
CEILING_WARMUP=${CEILING_WARMUP:-1}
CEILING_ONLY=${CEILING_ONLY:-}
RESULTS_FILE=${RESULTS_FILE:-}
NO_BUILD=${NO_BUILD:-}

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
PROJECT="$BENCH_DIR/Ceilings"
BIN="$PROJECT/bin/Release/net10.0"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf '\nbench: FAILED: %s\n' "$*" >&2; exit 1; }

WORK=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v dotnet >/dev/null || die "dotnet is not on PATH"
for n in CEILING_SECONDS CEILING_WARMUP; do
  [[ "${!n}" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$n (${!n}) must be a number of seconds"
done

# Lanyard's own default, read from the source so the two cannot drift apart.
if [[ -z "${PBKDF2_ITERATIONS:-}" ]]; then
  PBKDF2_ITERATIONS=$(sed -n 's/.*"Passwords:Pbkdf2Iterations", \([0-9_]*\),.*/\1/p' "$ROOT/src/Lanyard.Server/Hosting/ServerSettings.cs" | head -1 | tr -d _)
  [[ -n "$PBKDF2_ITERATIONS" ]] || { PBKDF2_ITERATIONS=600000; echo "bench: note: Lanyard's default iteration count not found in ServerSettings.cs; using 600000" >&2; }
fi
[[ "$PBKDF2_ITERATIONS" =~ ^[0-9]+$ && "$PBKDF2_ITERATIONS" -ge 1 ]] || die "PBKDF2_ITERATIONS ($PBKDF2_ITERATIONS) must be a positive integer"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/lanyard-ceilings.XXXXXX")

if [[ -z "$NO_BUILD" || ! -f "$BIN/ceilings.dll" ]]; then
  log "building bench/Ceilings (Release)"
  dotnet build "$PROJECT" -c Release -nologo -v quiet >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; die "dotnet build of bench/Ceilings failed"; }
fi
[[ -f "$BIN/ceilings.dll" ]] || die "$BIN/ceilings.dll not found"

if [[ -n "$CEILING_ONLY" ]]; then
  [[ "$CEILING_ONLY" == pbkdf2-all-cores ]] || die "CEILING_ONLY ($CEILING_ONLY) must be pbkdf2-all-cores"
  DOTNET_NOLOGO=1 dotnet "$BIN/ceilings.dll" "$CEILING_SECONDS" "$CEILING_WARMUP" "$PBKDF2_ITERATIONS" "$CEILING_ONLY" >"$WORK/ceilings.txt" \
    || die "the ceilings program failed"
  sed -n 's/^CEILING pbkdf2 threads=[0-9]* .*per_second=\([0-9.]*\)$/BENCH_CEILING pbkdf2_all_cores=\1/p' "$WORK/ceilings.txt"
  exit 0
fi

log "RS256 and PBKDF2 ($PBKDF2_ITERATIONS iterations): ${CEILING_WARMUP} s warm-up and ${CEILING_SECONDS} s measured, on 1 thread and on $(nproc)"
DOTNET_NOLOGO=1 dotnet "$BIN/ceilings.dll" "$CEILING_SECONDS" "$CEILING_WARMUP" "$PBKDF2_ITERATIONS" >"$WORK/ceilings.txt" \
  || die "the ceilings program failed"
cat "$WORK/ceilings.txt" >&2

OPENSSL_SIGNS=""
if command -v openssl >/dev/null; then
  log "cross-check: openssl speed -seconds 3 rsa2048 (one process, one core)"
  if openssl speed -seconds 3 rsa2048 >"$WORK/openssl.txt" 2>&1; then
    # The summary line: "rsa 2048 bits 0.000255s 0.000008s 3918.4 122857.1" (sign s, verify s, sign/s, verify/s).
    # OpenSSL 3.2+ prints more columns (encrypt, decrypt); sign/s is then the 3rd numeric column after the times.
    OPENSSL_SIGNS=$(awk '/^rsa +2048 bits/ { for (i = 4; i <= NF; i++) if ($i !~ /s$/) { print $i; exit } }' "$WORK/openssl.txt")
    OPENSSL_VERSION=$(openssl version | awk '{ print $2 }')
  else
    echo "bench: note: openssl speed failed; no cross-check" >&2
  fi
fi

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$WORK/ceilings.txt" "$PBKDF2_ITERATIONS" "${OPENSSL_SIGNS:-}" "${OPENSSL_VERSION:-}" \
  "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)" \
  "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$CEILING_SECONDS" "$CEILING_WARMUP" "$LOAD_BEFORE" "$LOAD_AFTER" >"$WORK/out.md" <<'PY'
import sys
path, iterations, openssl_signs, openssl_version, cpu, commit, seconds, warmup, load_before, load_after = sys.argv[1:]
env, rates = {}, {}
for line in open(path):
    parts = line.split()
    if not parts:
        continue
    if parts[0] == "CEILING_ENV":
        env = dict(p.split("=", 1) for p in parts[1:])
    elif parts[0] == "CEILING":
        fields = dict(p.split("=", 1) for p in parts[2:])
        rates[(parts[1], int(fields["threads"]))] = float(fields["per_second"])
cores = int(env["cores"])
one = lambda name: rates[(name, 1)]
every = lambda name: rates[(name, cores)]
print()
print(f"Lanyard {commit}, {cores} CPUs ({cpu}), .NET {env['runtime']} on OpenSSL {env['openssl']}, "
      f"{seconds} s measured after {warmup} s warm-up per figure; load average before {load_before}, after {load_after} "
      "(the all-cores figures need idle cores)")
print()
print(f"| ceiling | 1 thread /s | ms per operation | {cores} threads /s | scaling |")
print("| --- | ---: | ---: | ---: | ---: |")
for name, label in (("rs256", "RS256 signature (RSA 2048, 600-byte input)"),
                    ("pbkdf2", f"PBKDF2-HMAC-SHA256 password hash ({int(iterations):,} iterations)")):
    fmt = "{:.0f}" if name == "rs256" else "{:.2f}"
    print(f"| {label} | {fmt.format(one(name))} | {1000 / one(name):.2f} | {fmt.format(every(name))} | "
          f"{every(name) / one(name):.2f}x |")
if openssl_signs:
    print()
    print(f"Cross-check: `openssl speed -seconds 3 rsa2048` (OpenSSL {openssl_version}, one core): {float(openssl_signs):.0f} signs/s; "
          f".NET on one thread: {one('rs256'):.0f}/s ({one('rs256') / float(openssl_signs):.0%}).")
print()
print(f"BENCH_CEILING cores={cores} rs256_per_core={one('rs256'):.0f} rs256_all_cores={every('rs256'):.0f} "
      f"pbkdf2_per_core={one('pbkdf2'):.2f} pbkdf2_all_cores={every('pbkdf2'):.2f} pbkdf2_iterations={iterations}")
PY
if [[ -n "$RESULTS_FILE" ]]; then
  tee -a "$RESULTS_FILE" <"$WORK/out.md"
else
  cat "$WORK/out.md"
fi
