#!/usr/bin/env python3
"""Authorization-code logins against Lanyard or the peer (node-oidc-provider), for bench/run.sh.
Standard library only.

Usage:
  login.py HTTPS_PORT DATA_DIR                   one Lanyard login; prints its refresh token (the old form)
  login.py TARGET... tokens COUNT [CLIENT]       one password login, then COUNT code flows on that session
                                                 (no password); prints "refresh_token access_token" per line
  login.py TARGET... flows K WARMUP_S DURATION_S K threads each running full flows with a password login
                                                 on a fresh cookie jar; prints one BENCH_FLOWS line
TARGET is `lanyard HTTPS_PORT DATA_DIR` or `peer PORT BOOTSTRAP_JSON`. CLIENT picks the peer's client
(web, webStatic, userinfo); Lanyard always uses its demo client.

A full flow: GET authorize -> redirect to the login form -> GET the form -> POST email and password ->
redirect back to authorize -> redirect to the client's redirect URI with the code -> POST the code with
the PKCE verifier and client_secret_basic to the token endpoint, which answers with access, ID and refresh
tokens. Each thread keeps one keep-alive connection per host, as a browser and a backend would.

Lanyard's login runs over HTTPS because its session and antiforgery cookies are __Host-/Secure cookies:
this connects to 127.0.0.1 and presents the tenant host name in SNI and Host, since *.localhost does not
resolve everywhere, and checks the certificate against the development CA in DATA_DIR. The peer runs on
plain HTTP (its cookies are not Secure there), so the Lanyard flow also pays for TLS.
"""

import base64
import hashlib
import html
import http.client
import json
import re
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse

LANYARD_REDIRECT_URI = "https://localhost:6001/auth/callback"


class FlowError(Exception):
    pass


class TlsConn(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with a chosen SNI / certificate host name."""

    def __init__(self, host_name, port, context):
        super().__init__(host_name, port, context=context, timeout=60)
        self._host_name = host_name

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._host_name)


class Browser:
    """Cookie jar per host and one keep-alive connection per host."""

    def __init__(self, port, tls_context=None):
        self.port = port
        self.tls = tls_context
        self.cookies = {}
        self.conns = {}

    def new_session(self):
        self.cookies = {}

    def _conn(self, host):
        conn = self.conns.get(host)
        if conn is None:
            conn = TlsConn(host, self.port, self.tls) if self.tls else http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conns[host] = conn
        return conn

    def request(self, method, host, target, body=None, headers=None):
        hdrs = {"Host": f"{host}:{self.port}", "User-Agent": "lanyard-bench-login"}
        jar = self.cookies.setdefault(host, {})
        if jar:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        if headers:
            hdrs.update(headers)
        for attempt in (1, 2):
            conn = self._conn(host)
            try:
                conn.request(method, target, body=body, headers=hdrs)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed while idle; a fresh one is what a browser uses.
                conn.close()
                self.conns.pop(host, None)
                if attempt == 2:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            self.conns.pop(host, None)
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            cookie_value = rest.split(";", 1)[0]
            expired = re.search(r";\s*expires=Thu, 01 Jan 1970", value, re.I) or re.search(r";\s*max-age=0\b", value, re.I)
            if expired or cookie_value == "":
                jar.pop(name.strip(), None)
            else:
                jar[name.strip()] = cookie_value
        return resp.status, resp.headers, data

    def close(self):
        for conn in self.conns.values():
            conn.close()
        self.conns = {}


def expect(status, wanted, step, body=b""):
    if status not in wanted:
        raise FlowError(f"{step}: HTTP {status} (wanted {wanted}): {body[:300]!r}")


def hidden_input(page, name):
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(r'\bname="' + re.escape(name) + r'"', tag):
            m = re.search(r'\bvalue="([^"]*)"', tag)
            if m:
                return html.unescape(m.group(1))
    raise FlowError(f"login page has no hidden input {name}")


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
    return verifier, challenge


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode("ascii")).decode("ascii")


class Target:
    """What differs between Lanyard and the peer: hosts, paths, client and the login form's fields."""

    def flow(self, browser, with_password):
        """Authorize (logging in if asked to) and redeem the code; returns the token response."""
        verifier, challenge = pkce()
        state = secrets.token_urlsafe(16)
        query = urllib.parse.urlencode({
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": self.scope,
            "state": state,
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }, quote_via=urllib.parse.quote)
        status, headers, body = browser.request("GET", self.login_host, self.authorize_path + "?" + query)
        expect(status, (302, 303), "authorize", body)
        location = headers["Location"]
        if not location.startswith(self.redirect_uri):
            if not with_password:
                raise FlowError(f"authorize on a signed-in session asked for a login: {location}")
            location = self.login(browser, self.local_target(location, "authorize"))
        callback = urllib.parse.urlsplit(location)
        params = urllib.parse.parse_qs(callback.query)
        if f"{callback.scheme}://{callback.netloc}{callback.path}" != self.redirect_uri or "code" not in params:
            raise FlowError(f"authorize: unexpected redirect {location}")
        if params.get("state") != [state]:
            raise FlowError("authorize: state mismatch")
        status, headers, body = browser.request(
            "POST", self.token_host, self.token_path,
            body=urllib.parse.urlencode({
                "grant_type": "authorization_code",
                "code": params["code"][0],
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            }),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(self.client_id, self.client_secret)})
        expect(status, (200,), "code redemption", body)
        tokens = json.loads(body)
        for key in ("access_token", "id_token", "refresh_token"):
            if not tokens.get(key):
                raise FlowError(f"code redemption returned no {key}: {sorted(tokens)}")
        return tokens

    def local_target(self, location, step):
        parts = urllib.parse.urlsplit(location)
        if parts.netloc and parts.hostname != self.login_host:
            raise FlowError(f"{step}: unexpected redirect to {location}")
        return parts.path + ("?" + parts.query if parts.query else "")


class Lanyard(Target):
    def __init__(self, https_port, data_dir):
        with open(f"{data_dir}/bootstrap.json", encoding="utf-8") as f:
            boot = json.load(f)
        self.port = int(https_port)
        self.tls = ssl.create_default_context(cafile=f"{data_dir}/dev-ca.pem")
        self.login_host = f"{boot['demoTenantName']}-auth.localhost"
        self.token_host = "auth.localhost"
        self.authorize_path = "/api/v1/oauth2/authorize"
        self.token_path = "/api/v1/oauth2/token"
        self.client_id, self.client_secret = boot["demoClientId"], boot["demoClientSecret"]
        self.email, self.password = boot["demoUserEmail"], boot["demoUserPassword"]
        self.redirect_uri = LANYARD_REDIRECT_URI
        self.scope = "openid offline_access email"

    def browser(self):
        return Browser(self.port, self.tls)

    def login(self, browser, login_target):
        status, headers, body = browser.request("GET", self.login_host, login_target)
        expect(status, (200,), "login page", body)
        page = body.decode("utf-8")
        form = urllib.parse.urlencode({
            "Input.Identifier": self.email,
            "Input.Password": self.password,
            "Input.ReturnUrl": hidden_input(page, "Input.ReturnUrl"),
            "__lanyard_af": hidden_input(page, "__lanyard_af"),
        })
        status, headers, body = browser.request(
            "POST", self.login_host, login_target, body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{self.login_host}:{self.port}"})
        expect(status, (302, 303), "login post", body)
        status, headers, body = browser.request("GET", self.login_host, self.local_target(headers["Location"], "login post"))
        expect(status, (302, 303), "authorize after login", body)
        return headers["Location"]


class Peer(Target):
    def __init__(self, port, bootstrap, client="web"):
        with open(bootstrap, encoding="utf-8") as f:
            boot = json.load(f)
        self.port = int(port)
        self.login_host = self.token_host = "127.0.0.1"
        self.authorize_path, self.token_path = "/auth", "/token"
        self.client_id, self.client_secret = boot["clients"][client]["id"], boot["clients"][client]["secret"]
        self.email, self.password = boot["user"]["email"], boot["user"]["password"]
        self.redirect_uri = boot["redirectUri"]
        # 'api' is the resource server's scope, for the JWT access token; the userinfo client has none.
        self.scope = "openid offline_access email" + ("" if client == "userinfo" else " api")

    def browser(self):
        return Browser(self.port)

    def login(self, browser, login_target):
        status, headers, body = browser.request("GET", self.login_host, login_target)
        expect(status, (200,), "login page", body)
        action = re.search(r'<form method="post" action="([^"]+)"', body.decode("utf-8"))
        if not action:
            raise FlowError("login page has no form")
        form = urllib.parse.urlencode({"username": self.email, "password": self.password})
        status, headers, body = browser.request(
            "POST", self.login_host, html.unescape(action.group(1)), body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        expect(status, (302, 303), "login post", body)
        status, headers, body = browser.request("GET", self.login_host, self.local_target(headers["Location"], "login post"))
        expect(status, (302, 303), "authorize after login", body)
        return headers["Location"]


def parse_target(args):
    if args[0] == "lanyard":
        return Lanyard(args[1], args[2]), args[3:]
    if args[0] == "peer":
        rest = args[3:]
        client = rest[2] if len(rest) >= 3 and rest[0] == "tokens" else "web"
        return Peer(args[1], args[2], client), rest
    raise FlowError(f"unknown target {args[0]} (lanyard or peer)")


def issue_tokens(target, count):
    """One password login, then `count` code flows on that session, four at a time."""
    first = target.browser()
    results = [target.flow(first, with_password=True)]
    cookies = first.cookies
    first.close()
    lock = threading.Lock()
    errors = []

    def work(n):
        browser = target.browser()
        browser.cookies = {host: dict(jar) for host, jar in cookies.items()}
        try:
            for _ in range(n):
                tokens = target.flow(browser, with_password=False)
                with lock:
                    results.append(tokens)
        except Exception as e:  # reported below; the run fails
            errors.append(e)
        finally:
            browser.close()

    remaining = count - 1
    threads = [threading.Thread(target=work, args=(remaining // 4 + (1 if i < remaining % 4 else 0),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    for tokens in results:
        print(tokens["refresh_token"], tokens["access_token"])


def run_flows(target, concurrency, warmup, duration):
    """`concurrency` threads each running full flows (fresh cookie jar, password login) back to back."""
    start = time.monotonic()
    measure_from = start + warmup
    measure_to = measure_from + duration
    lock = threading.Lock()
    latencies, errors = [], []

    def work():
        browser = target.browser()
        try:
            while time.monotonic() < measure_to and not errors:
                browser.new_session()
                t0 = time.monotonic()
                try:
                    target.flow(browser, with_password=True)
                except Exception as e:
                    with lock:
                        errors.append(f"{type(e).__name__}: {e}")
                    return
                t1 = time.monotonic()
                # Throughput counts the flows that complete inside the measured window (a flow started
                # in the warm-up counts when it ends after it), as a load generator's requests/s does.
                if measure_from <= t1 <= measure_to:
                    with lock:
                        latencies.append(t1 - t0)
        finally:
            browser.close()

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"login.py: {len(errors)} flow(s) failed; first: {errors[0]}", file=sys.stderr)
    elif not latencies:
        print("login.py: no flow completed inside the measured window; run longer", file=sys.stderr)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(round(p / 100 * len(latencies) + 0.5)) - 1)] * 1000 if latencies else 0

    print(f"BENCH_FLOWS flows={len(latencies)} duration_s={duration:.3f} rate={len(latencies) / duration:.2f}"
          f" p50_ms={pct(50):.1f} p99_ms={pct(99):.1f} max_ms={(latencies[-1] * 1000 if latencies else 0):.1f} errors={len(errors)}")
    return 1 if errors or not latencies else 0


def main():
    args = sys.argv[1:]
    try:
        if len(args) == 2 and args[0].isdigit():
            target = Lanyard(args[0], args[1])
            browser = target.browser()
            print(target.flow(browser, with_password=True)["refresh_token"])
            browser.close()
            return 0
        target, rest = parse_target(args)
        if rest and rest[0] == "tokens":
            issue_tokens(target, int(rest[1]))
            return 0
        if rest and rest[0] == "flows":
            return run_flows(target, int(rest[1]), float(rest[2]), float(rest[3]))
        raise FlowError("usage: see the top of login.py")
    except (FlowError, OSError, KeyError, ValueError, IndexError) as e:
        print(f"login.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
