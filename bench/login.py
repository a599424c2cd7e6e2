#!/usr/bin/env python3
"""Signs the demo user in through Lanyard's hosted login (authorization code + PKCE) and prints a
refresh token for the demo client. Standard library only.

Usage: login.py HTTPS_PORT DATA_DIR

The login runs over HTTPS because the session and antiforgery cookies are __Host-/Secure cookies.
It connects to 127.0.0.1 and presents the tenant host name in SNI and Host, since *.localhost does
not resolve everywhere; the certificate is checked against the development CA in DATA_DIR.
The code is redeemed on the application host over HTTPS too (any port would do for that step).
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
import urllib.parse

REDIRECT_URI = "https://localhost:6001/auth/callback"


class Conn(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with a chosen SNI / certificate host name."""

    def __init__(self, host_name, port, context):
        super().__init__(host_name, port, context=context, timeout=30)
        self._host_name = host_name

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._host_name)


class Browser:
    def __init__(self, https_port, ca_file):
        self.port = https_port
        self.context = ssl.create_default_context(cafile=ca_file)
        self.cookies = {}  # per host: {name: value}

    def request(self, method, host, target, body=None, headers=None):
        conn = Conn(host, self.port, self.context)
        hdrs = {"Host": f"{host}:{self.port}", "User-Agent": "lanyard-bench-login"}
        jar = self.cookies.setdefault(host, {})
        if jar:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        if headers:
            hdrs.update(headers)
        conn.request(method, target, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        for value in resp.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
        conn.close()
        return resp.status, resp.headers, data


def fail(message):
    print(f"login.py: {message}", file=sys.stderr)
    sys.exit(1)


def expect(status, wanted, step, body=b""):
    if status not in wanted:
        fail(f"{step}: HTTP {status} (wanted {wanted}): {body[:500]!r}")


def hidden_input(page, name):
    for tag in re.findall(r"<input\b[^>]*>", page):
        if re.search(r'\bname="' + re.escape(name) + r'"', tag):
            m = re.search(r'\bvalue="([^"]*)"', tag)
            if m:
                return html.unescape(m.group(1))
    fail(f"login page has no hidden input {name}")


def local_target(location, step):
    """Path and query of a redirect that must stay on the tenant host."""
    parts = urllib.parse.urlsplit(location)
    if parts.netloc and not parts.netloc.startswith("demo-auth.localhost"):
        fail(f"{step}: unexpected redirect to {location}")
    return parts.path + ("?" + parts.query if parts.query else "")


def main():
    if len(sys.argv) != 3:
        fail("usage: login.py HTTPS_PORT DATA_DIR")
    https_port, data_dir = int(sys.argv[1]), sys.argv[2]
    with open(f"{data_dir}/bootstrap.json", encoding="utf-8") as f:
        boot = json.load(f)
    tenant_host = f"{boot['demoTenantName']}-auth.localhost"
    client_id, client_secret = boot["demoClientId"], boot["demoClientSecret"]
    browser = Browser(https_port, f"{data_dir}/dev-ca.pem")

    verifier = secrets.token_urlsafe(48)  # 64 chars of [A-Za-z0-9_-]
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode("ascii")
    state = secrets.token_urlsafe(16)
    query = urllib.parse.urlencode({
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid offline_access email",
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }, quote_via=urllib.parse.quote)

    # 1. authorize -> 302 to the hosted login page
    status, headers, body = browser.request("GET", tenant_host, "/api/v1/oauth2/authorize?" + query)
    expect(status, (302,), "authorize", body)
    login_target = local_target(headers["Location"], "authorize")

    # 2. login page: antiforgery cookie + hidden inputs
    status, headers, body = browser.request("GET", tenant_host, login_target)
    expect(status, (200,), "login page", body)
    page = body.decode("utf-8")
    form = urllib.parse.urlencode({
        "Input.Identifier": boot["demoUserEmail"],
        "Input.Password": boot["demoUserPassword"],
        "Input.ReturnUrl": hidden_input(page, "Input.ReturnUrl"),
        "__lanyard_af": hidden_input(page, "__lanyard_af"),
    })

    # 3. post credentials -> 303 back to authorize, with the session cookie
    status, headers, body = browser.request(
        "POST", tenant_host, login_target, body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": f"https://{tenant_host}:{https_port}"})
    expect(status, (302, 303), "login post", body)
    return_target = local_target(headers["Location"], "login post")

    # 4. authorize again, now signed in -> 302 to the client's redirect URI with the code
    status, headers, body = browser.request("GET", tenant_host, return_target)
    expect(status, (302, 303), "authorize after login", body)
    callback = urllib.parse.urlsplit(headers["Location"])
    params = urllib.parse.parse_qs(callback.query)
    if f"{callback.scheme}://{callback.netloc}{callback.path}" != REDIRECT_URI or "code" not in params:
        fail(f"authorize after login: unexpected redirect {headers['Location']}")
    if params.get("state") != [state]:
        fail("authorize after login: state mismatch")

    # 5. redeem the code on the application host
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode("ascii")).decode("ascii")
    status, headers, body = browser.request(
        "POST", "auth.localhost", "/api/v1/oauth2/token",
        body=urllib.parse.urlencode({
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        }),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": "Basic " + basic})
    expect(status, (200,), "code redemption", body)
    tokens = json.loads(body)
    if not tokens.get("refresh_token"):
        fail(f"code redemption returned no refresh token: {sorted(tokens)}")
    print(tokens["refresh_token"])


if __name__ == "__main__":
    main()
