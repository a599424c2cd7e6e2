#!/usr/bin/env python3
"""Times sequential password logins of the demo user with bench/login.py's flow (authorization code +
PKCE through the hosted login page over HTTPS, then the code redeemed for tokens). Standard library only.

Usage: login_timing.py HTTPS_PORT DATA_DIR WARMUP COUNT

Runs WARMUP unmeasured logins, then COUNT measured ones, one after another, in this process (no process
start-up in the figures). Prints one line per measured login, "LOGIN_MS <milliseconds>", and last
"REFRESH_TOKEN <token>" of the final login. A login is five HTTPS requests, each on a new connection
(authorize, login page, credentials, authorize again, token), so its time includes five TLS handshakes
besides the password hash.
"""
import contextlib
import io
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import login  # noqa: E402  (bench/login.py)


def one_login(port: str, data_dir: str) -> str:
    sys.argv = ["login.py", port, data_dir]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        login.main()
    return out.getvalue().strip()


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: login_timing.py HTTPS_PORT DATA_DIR WARMUP COUNT")
    port, data_dir, warmup, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    token = ""
    for _ in range(warmup):
        token = one_login(port, data_dir)
    for _ in range(count):
        started = time.perf_counter()
        token = one_login(port, data_dir)
        print(f"LOGIN_MS {(time.perf_counter() - started) * 1000:.2f}", flush=True)
    if not token:
        sys.exit("login_timing.py: no refresh token")
    print(f"REFRESH_TOKEN {token}")


if __name__ == "__main__":
    main()
