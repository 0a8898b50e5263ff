"""A real OpenID Connect provider for development and tests: navikt's mock-oauth2-server, from
Maven Central jars, started as Kafka is (``tools/kafka.py``).

It publishes a discovery document and its signing keys (JWKS), runs the authorization code flow
with PKCE (S256) and shows a sign-in page; it issues signed ID tokens for whoever signs in. It
checks no password: it stands in for an NHS organisation's identity provider, and listens on
loopback only. The portal trusts it exactly as it would trust the real one (discovery, keys,
issuer, audience, nonce), and keeps for itself who each signed-in subject is.

    python -m tools.oidc            # start one, print where it is, stop on Ctrl-C
"""

from __future__ import annotations

import html
import json
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import typer

from tools.java import maven_jars, stop_process
from tools.ports import free_port

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "oidc"
LIB = DEPLOY / "lib"
MAIN_CLASS = "no.nav.security.mock.oauth2.StandaloneMockOAuth2ServerKt"
ISSUER_ID = "midlands"  # the first path element names the issuer


def server_version() -> str:
    jars = sorted(LIB.glob("mock-oauth2-server-*.jar"))
    return jars[0].name.removeprefix("mock-oauth2-server-").removesuffix(".jar") if jars else "unknown"


def ensure_jars() -> Path:
    """Resolve the server's jars with Maven once; later runs reuse deploy/oidc/lib."""
    return maven_jars(DEPLOY / "pom.xml", LIB, "mock-oauth2-server-*.jar", "the OpenID Connect server's jars")


@dataclass(frozen=True)
class DemoUser:
    """Someone the sign-in page lists, so a person trying the demo knows whom to sign in as."""

    username: str  # becomes the ID token's subject
    name: str
    role: str  # in words: "Accountable leader, Black Country"


@dataclass
class OidcServer:
    """One mock-oauth2-server process on a free loopback port, in a temporary folder."""

    users: list[DemoUser] = field(default_factory=list)
    workdir: Path | None = None
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _tmp: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/{ISSUER_ID}"

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    @property
    def log_file(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "server.log"

    def start(self, timeout: float = 60.0) -> OidcServer:
        lib = ensure_jars()
        self._tmp = Path(tempfile.mkdtemp(prefix="oidc-", dir=self.workdir))
        self.port = self.port or free_port()
        login_page = self._tmp / "login.html"
        login_page.write_text(sign_in_page(self.users), encoding="utf-8")
        config = {"interactiveLogin": True, "httpServer": "NettyWrapper", "loginPagePath": str(login_page)}
        env = {"PATH": "/usr/bin:/bin", "SERVER_HOSTNAME": "127.0.0.1", "SERVER_PORT": str(self.port),
               "JSON_CONFIG": json.dumps(config), "LOG_LEVEL": "WARN"}
        java = shutil.which("java") or "java"
        with open(self.log_file, "wb") as out:
            self.process = subprocess.Popen(
                [java, "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", f"{lib}/*", MAIN_CLASS],
                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=self._tmp, start_new_session=True,
            )
        self._wait_for_discovery(timeout)
        return self

    def _wait_for_discovery(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                break
            try:
                answer = httpx.get(self.discovery_url, timeout=1.0)
                if answer.status_code == 200 and answer.json().get("issuer") == self.issuer:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        tail = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
        self.stop()
        raise RuntimeError(f"the OpenID Connect server did not answer {self.discovery_url} in {timeout}s:\n{tail}")

    def stop(self) -> None:
        stop_process(self.process, 15)
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def sign_in_page(users: list[DemoUser]) -> str:
    """The identity server's sign-in page: a form posting ``username`` to itself (the server
    reads it), and the demo people one may sign in as."""
    rows = "".join(
        f"<tr><td><code>{html.escape(u.username)}</code></td><td>{html.escape(u.name)}</td>"
        f"<td>{html.escape(u.role)}</td></tr>" for u in users)
    options = "".join(f'<option value="{html.escape(u.username)}">' for u in users)
    table = ("<h2>People in the demonstration</h2><table><caption>Sign in as one of these people"
             "</caption><thead><tr><th scope='col'>Username</th><th scope='col'>Name</th>"
             f"<th scope='col'>Role</th></tr></thead><tbody>{rows}</tbody></table>") if users else ""
    return _SIGN_IN.format(options=options, table=table)


_SIGN_IN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - development identity server</title>
<style>
body {{ font-family: Arial, sans-serif; margin: 0 auto; max-width: 40rem; padding: 1rem; color: #212b32;
       line-height: 1.5; }}
label {{ display: block; font-weight: bold; margin-bottom: .25rem; }}
input {{ font-size: 1.1rem; padding: .4rem; width: 100%; box-sizing: border-box; border: 2px solid #4c6272; }}
input:focus, button:focus {{ outline: 4px solid #ffeb3b; }}
button {{ margin-top: 1rem; font-size: 1.1rem; padding: .6rem 1.2rem; background: #007f3b; color: #fff;
         border: 0; border-bottom: 4px solid #00401e; }}
table {{ border-collapse: collapse; width: 100%; margin-top: 1rem; }}
th, td {{ text-align: left; border-bottom: 1px solid #d8dde0; padding: .3rem; vertical-align: top; }}
.warning {{ border-left: 8px solid #ffb81c; background: #fff9c4; padding: .5rem 1rem; }}
</style></head>
<body><main>
<h1>Sign in</h1>
<p class="warning">This is the development identity server. It asks for no password and must never be
used outside a developer's machine or a test.</p>
<form method="post">
<label for="username">Username</label>
<input id="username" name="username" type="text" required autocomplete="username" list="people">
<datalist id="people">{options}</datalist>
<button type="submit">Sign in</button>
</form>
{table}
</main></body></html>
"""


def main(port: int = typer.Option(0, help="the port to listen on; a free one when 0")) -> None:  # pragma: no cover
    """Start the identity server on loopback, print where it is, stop on Ctrl-C."""
    t0 = time.monotonic()
    server = OidcServer(port=port).start()
    print(f"mock-oauth2-server {server_version()} in {time.monotonic() - t0:.1f}s; "
          f"discovery {server.discovery_url}; log {server.log_file}")
    try:
        signal.pause()
    finally:
        server.stop()


if __name__ == "__main__":
    typer.run(main)
