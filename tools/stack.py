"""The whole stack on one machine, without Docker, in one command.

    python -m tools.stack up

starts Kafka and PostgreSQL (or uses ``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL``),
creates every topic, runs the four services (the portal with the development identity server
it signs people in through) and the clock as child processes, prints where everything is, and
stops all of it on Ctrl-C or SIGTERM. ``running_stack()`` is the
same as a context manager, for end-to-end tests and the demo script. This module
assembles the stack; the servers come from ``tools.servers`` and the child processes are
``tools.processes``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from services.platform.acls import ScramUser, grant_project_acls, principals, service_principal
from services.platform.topics import ensure_project_topics
from services.portal.cli import save_all
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.api_keys import NOTIFICATIONS, PORTAL, ApiKeys
from tools.certificates import write_secret
from tools.kafka import KafkaServer
from tools.oidc import OidcServer
from tools.portal_cast import as_json, identity_server, portal_people
from tools.ports import free_port
from tools.processes import Process, wait_until_ready
from tools.servers import database_url, run_sync, start_mail_folder, start_servers


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    default_port: int
    database_env: str  # the settings field's environment name, see shared/settings.py

    @property
    def app(self) -> str:
        return f"services.{self.name}.app:create_app"

    def is_built(self) -> bool:
        try:
            return importlib.util.find_spec(f"services.{self.name}.app") is not None
        except ModuleNotFoundError:
            return False


SERVICES = (
    ServiceSpec("actions", 8001, "ACTIONS_DATABASE_URL"),
    ServiceSpec("accountability", 8002, "ACCOUNTABILITY_DATABASE_URL"),
    ServiceSpec("notifications", 8003, "NOTIFICATIONS_DATABASE_URL"),
    ServiceSpec("portal", 8004, "PORTAL_DATABASE_URL"),
)
PIPELINE = ("actions", "accountability", "notifications")  # the services events flow through, without people
IDENTITY_PORT = 8090  # the development identity server, with fixed ports (as in docker compose)
CLOCK_MODULE = "services.platform.clock"


class StackError(RuntimeError):
    """Some part of the stack did not start; the message says which and why."""


@dataclass
class Stack:
    """What ``running_stack`` started, and where to reach it."""

    kafka_bootstrap: str
    postgres_url: str  # admin DSN of the server holding the services' databases
    database_urls: dict[str, str]
    logs_dir: Path
    services: dict[str, Process] = field(default_factory=dict)
    clock: Process | None = None
    timings: dict[str, float] = field(default_factory=dict)  # seconds from start, per part
    problems: dict[str, str] = field(default_factory=dict)
    # Secured mode: ``kafka_bootstrap`` stays the loopback super-user listener (for
    # tests and ops); services, systems and the clock log in on ``sasl_bootstrap``.
    sasl_bootstrap: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)  # principal -> password
    ca_file: Path | None = None  # secured mode: the CA the SASL_SSL listener's certificate is checked against
    identity: OidcServer | None = None  # the development identity server, with the portal
    # the HTTP APIs' clients (tools/api_keys.py): tools call with api_keys.headers(), the services know the digests
    api_keys: ApiKeys = field(default_factory=ApiKeys)

    def url(self, service: str) -> str:
        process = self.services[service]
        assert process.url is not None
        return process.url

    def describe(self) -> str:
        lines = [f"Kafka       {self.kafka_bootstrap}  (ready at {self.timings.get('kafka', 0):.1f}s)"]
        if self.sasl_bootstrap:
            lines.append(f"Kafka SASL  {self.sasl_bootstrap}  SASL_SSL (SCRAM-SHA-512 over TLS, CA {self.ca_file}), "
                         f"ACLs on; {len(self.credentials)} principals in {self.logs_dir / 'credentials.env'} (0600)")
        else:
            lines.append("Kafka       NOT SECURED (--insecure-development): no logins, no ACLs, no TLS")
        lines += [f"PostgreSQL  {_hide_password(self.postgres_url)}  (ready at {self.timings.get('postgres', 0):.1f}s)",
                  f"topics      created at {self.timings.get('topics', 0):.1f}s"]
        if self.identity is not None:
            lines.append(f"identity    {self.identity.issuer}  (development sign-in, no passwords; ready at "
                         f"{self.timings.get('identity', 0):.1f}s)")
        for name, process in self.services.items():
            state = (f"ready at {process.ready_after:.1f}s" if process.ready_after is not None
                     else f"NOT RUNNING: {process.problem}")
            lines.append(f"{name:<16}{process.url}  {state}  log {process.log_file}")
        if self.clock is not None:
            state = "running" if self.clock.problem is None else f"NOT RUNNING: {self.clock.problem}"
            lines.append(f"{'clock':<16}{state}  log {self.clock.log_file}")
        elif "clock" in self.problems:
            lines.append(f"{'clock':<16}NOT STARTED: {self.problems['clock']}")
        if self.api_keys.tokens:
            lines.append(f"API tokens  {len(self.api_keys.tokens)} clients in {self.logs_dir / 'api-tokens.json'} "
                         "(Authorization: Bearer ...)")
        lines.append(f"stack ready in {self.timings.get('ready', 0):.1f}s; logs in {self.logs_dir}")
        return "\n".join(lines)


def _hide_password(url: str) -> str:
    """A database URL fit for a terminal: the password is not printed (it is in the services' environment)."""
    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _login(stack: Stack, principal: str) -> dict[str, str]:
    """The settings variables (shared/settings.py) that make a process log in as ``principal``."""
    if not stack.sasl_bootstrap:
        return {}
    return {"KAFKA_SASL_USERNAME": principal, "KAFKA_SASL_PASSWORD": stack.credentials[principal],
            "KAFKA_SSL_CAFILE": str(stack.ca_file)}


def _check_request(services: tuple[str, ...], secured: bool, kafka_bootstrap: str | None) -> None:
    known = sorted(s.name for s in SERVICES)
    unknown = set(services) - set(known)
    if unknown:
        raise StackError(f"unknown services {sorted(unknown)}; the stack knows {known}")
    if secured and kafka_bootstrap:
        raise StackError("secured mode starts its own broker: SCRAM users are created when it is formatted")


def _credentials(systems: list[str], secured: bool, secured_broker: tuple[KafkaServer, dict[str, str]] | None
                 ) -> tuple[bool, KafkaServer | None, dict[str, str]]:
    """Whether the broker is secured, the secured broker given (if any) and each principal's password."""
    if secured_broker is not None:
        given_broker, credentials = secured_broker
        return True, given_broker, credentials
    return secured, None, ({name: secrets.token_urlsafe(18) for name in principals(systems)} if secured else {})


def _prepare_broker(kafka_bootstrap: str, systems: list[str], secured: bool, credentials: dict[str, str],
                    logs: Path) -> None:
    """Every topic; in secured mode every ACL, and the passwords written beside the logs."""
    run_sync(ensure_project_topics(kafka_bootstrap, systems))
    if secured:
        grant_project_acls(kafka_bootstrap, systems)
        write_secret(logs / "credentials.env", "".join(f"{name}={secret}\n" for name, secret in credentials.items()))


def _environment(stack: Stack, reference_data: Path, ports: dict[str, int],
                 extra_env: dict[str, str] | None) -> dict[str, str]:
    """What every child process is started with (before its own port and login). The portal's
    address is known before it starts: it is where sign-in comes back to, and where notices link."""
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": stack.sasl_bootstrap or stack.kafka_bootstrap,
           "REFERENCE_DATA_PATH": str(reference_data), "PYTHONUNBUFFERED": "1",
           "PORTAL_PUBLIC_URL": f"http://127.0.0.1:{ports['portal']}",
           # a stack on this machine: notices rightly link to 127.0.0.1, which a deployment refuses
           "DEVELOPMENT_MODE": "1",
           "PORTAL_ACCOUNTABILITY_URL": f"http://127.0.0.1:{ports['accountability']}",
           # secrets of this run only: a stack never starts on a default one
           "WEBHOOK_SECRET": secrets.token_urlsafe(32), "ACK_LINK_SECRET": secrets.token_urlsafe(32),
           **stack.api_keys.env(), "PORTAL_ACCOUNTABILITY_TOKEN": stack.api_keys.tokens[PORTAL],
           "NOTIFICATIONS_ACCOUNTABILITY_URL": f"http://127.0.0.1:{ports['accountability']}",
           "NOTIFICATIONS_ACCOUNTABILITY_TOKEN": stack.api_keys.tokens[NOTIFICATIONS]}
    for spec in SERVICES:
        env[spec.database_env] = stack.database_urls[spec.name]
    if stack.identity is not None:
        # A developer's stack on plain http: the development identity server, cookies without Secure.
        env |= {"PORTAL_OIDC_DISCOVERY_URL": stack.identity.discovery_url,
                "PORTAL_OIDC_CLIENT_SECRET": "development-stack", "PORTAL_DEVELOPMENT_MODE": "1"}
    return env | (extra_env or {})


def _start_services(stack: Stack, cleanup: ExitStack, services: tuple[str, ...], env: dict[str, str],
                    ports: dict[str, int]) -> None:
    specs = {s.name: s for s in SERVICES}
    stack.api_keys.write(stack.logs_dir / "api-tokens.json")
    if "SMTP_HOST" not in env:  # notifications is ready only with an SMTP server to talk to
        env = env | start_mail_folder(cleanup, stack.logs_dir / "notices")
    for name in services:
        spec, port = specs[name], ports[name]
        process = Process(name, [sys.executable, "-m", "faststream", "run", spec.app, "--factory",
                                 "--host", "127.0.0.1", "--port", str(port)], stack.logs_dir / f"{name}.log", port)
        stack.services[name] = process
        if not spec.is_built():
            process.problem = f"services/{name}/app.py does not exist yet"
            continue
        process.start({**env, **_login(stack, service_principal(name))})
        cleanup.callback(process.stop)


def _start_identity(cleanup: ExitStack, services: tuple[str, ...], systems: list[str], fixed_ports: bool,
                    started: float, timings: dict[str, float]) -> OidcServer | None:
    """The development identity server the portal signs people in through, when the portal is among
    ``services``; its sign-in page lists the demonstration's people."""
    if "portal" not in services:
        return None
    server = identity_server(systems, port=IDENTITY_PORT if fixed_ports else 0)
    cleanup.callback(server.stop)
    timings["identity"] = time.monotonic() - started
    return server


def _start_clock(stack: Stack, cleanup: ExitStack, env: dict[str, str]) -> None:
    if importlib.util.find_spec(CLOCK_MODULE) is None:
        stack.problems["clock"] = f"{CLOCK_MODULE} does not exist yet; no clock ticks"
        return
    stack.clock = Process("clock", [sys.executable, "-m", CLOCK_MODULE], stack.logs_dir / "clock.log")
    stack.clock.start({**env, **_login(stack, service_principal("clock"))})
    cleanup.callback(stack.clock.stop)


def _settle(stack: Stack, services: tuple[str, ...], started: float, ready_timeout: float, strict: bool) -> None:
    """Wait for every service to be ready, record what is not running and why; ``strict``
    raises ``StackError`` when a service failed to start."""
    wait_until_ready(list(stack.services.values()), started, ready_timeout)
    if stack.clock is not None and (code := stack.clock.exited()) is not None:
        stack.clock.problem = f"exited with code {code}; last log lines:\n{stack.clock.log_tail()}"
    for name, process in stack.services.items():
        if process.problem:
            stack.problems[name] = process.problem
    if stack.clock is not None and stack.clock.problem:
        stack.problems["clock"] = stack.clock.problem
    stack.timings["ready"] = time.monotonic() - started

    failed = [n for n in services if stack.services[n].problem]
    if strict and failed:
        raise StackError("services failed to start: " + ", ".join(failed) + "\n\n" + "\n\n".join(
            f"== {n}: {stack.services[n].problem}" for n in failed))


@contextmanager
def running_stack(
    services: tuple[str, ...] = tuple(s.name for s in SERVICES),
    *,
    fixed_ports: bool = False,
    logs_dir: Path | None = None,
    with_clock: bool = True,
    strict: bool = True,
    ready_timeout: float = 90.0,
    extra_env: dict[str, str] | None = None,
    reference_data: Path = DEFAULT_REFERENCE_DATA,
    kafka_bootstrap: str | None = None,
    postgres_url: str | None = None,
    database_suffix: str = "",
    secured: bool = False,
    secured_broker: tuple[KafkaServer, dict[str, str]] | None = None,
) -> Iterator[Stack]:
    """Start the stack, yield it, stop everything on the way out (also on errors).

    ``fixed_ports`` uses 8001-8004 and 8090 for the identity server (for a person); otherwise
    free ports (for tests). The identity server starts when the portal is among ``services``.
    ``kafka_bootstrap`` / ``postgres_url`` (an admin DSN) use servers that already run,
    as do the ``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL`` variables; ``database_suffix``
    keeps several stacks on one PostgreSQL apart.
    ``secured`` starts a broker of its own with SCRAM-SHA-512 logins and the project's
    ACLs (``services.platform.acls``): each service and the clock log in as their principal;
    ``secured_broker`` (a running secured ``KafkaServer`` and each principal's password)
    is used instead of starting one.
    ``strict`` raises ``StackError`` when a service fails to start, after stopping the rest;
    without it the failure is in ``Stack.problems``. Unless ``SMTP_HOST`` is given, an SMTP
    server keeps every e-mail in ``<logs>/notices/`` (notifications needs one to be ready)."""
    started = time.monotonic()
    _check_request(services, secured, kafka_bootstrap)
    logs = logs_dir or Path(tempfile.mkdtemp(prefix="governance-stack-"))
    logs.mkdir(parents=True, exist_ok=True)
    systems = list(ReferenceData.load(reference_data).systems)
    secured, given_broker, credentials = _credentials(systems, secured, secured_broker)
    users = [ScramUser(name, password) for name, password in credentials.items()] if secured else None

    with ExitStack() as cleanup:
        timings: dict[str, float] = {}
        databases = [f"{s.name}{database_suffix}" for s in SERVICES]
        kafka_bootstrap, kafka, admin_url = start_servers(cleanup, given_broker or kafka_bootstrap, users,
                                                           postgres_url, databases, logs, started, timings)
        kafka = kafka or given_broker
        _prepare_broker(kafka_bootstrap, systems, secured, credentials, logs)
        timings["topics"] = time.monotonic() - started
        stack = Stack(kafka_bootstrap, admin_url,
                      {s.name: database_url(admin_url, d) for s, d in zip(SERVICES, databases, strict=True)},
                      logs, timings=timings, credentials=credentials, api_keys=ApiKeys.development(systems),
                      identity=_start_identity(cleanup, services, systems, fixed_ports, started, timings))
        if secured:
            assert kafka is not None
            stack.sasl_bootstrap, stack.ca_file = kafka.sasl_bootstrap, kafka.ca_file
        ports = {s.name: s.default_port if fixed_ports else free_port() for s in SERVICES}
        env = _environment(stack, reference_data, ports, extra_env)
        _start_services(stack, cleanup, services, env, ports)
        if with_clock:
            _start_clock(stack, cleanup, env)
        _settle(stack, services, started, ready_timeout, strict)
        yield stack


cli = typer.Typer(help="Run the governance stack on this machine, without Docker.", no_args_is_help=True)


@cli.callback()
def _main() -> None:
    """Commands for the native stack."""


def _load_demo_people(stack: Stack) -> None:
    """The scripted cycle's cast in the portal, as its command line loads people; each signs in at the
    identity server with the username its sign-in page lists."""
    cast = portal_people(list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems))
    problems = run_sync(save_all(as_json(cast), stack.database_urls["portal"], DEFAULT_REFERENCE_DATA))
    if problems:
        typer.secho("the demonstration's people were not loaded: " + "; ".join(problems), fg="red", err=True)
        return
    typer.echo(f"portal      {len(cast)} people of the demonstration; sign in as one of them (for example "
               f"{cast[0].username}) at {stack.url('portal')}")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@cli.command()
def up(
    service: Annotated[list[str] | None,
                       typer.Option("--service", "-s", help="only these services (repeatable)")] = None,
    no_clock: Annotated[bool, typer.Option("--no-clock", help="do not start the clock process")] = False,
    logs: Annotated[Path | None,
                    typer.Option(help="folder for every process's log (default: a temporary one)")] = None,
    strict: Annotated[bool, typer.Option(help="stop everything if any service fails to start")] = False,
    insecure_development: Annotated[bool, typer.Option(
        "--insecure-development", help="a development stack: Kafka without TLS, logins or ACLs (secured by "
        "default: SASL_SSL with SCRAM-SHA-512, one principal per system and service, the project's ACLs)")] = False,
    free_ports: Annotated[bool, typer.Option(help="any free ports instead of 8001-8004 and 8090")] = False,
    demo_people: Annotated[bool, typer.Option(
        help="who is who in the portal: the demonstration's people, published on the directory")] = False,
) -> None:
    """Start Kafka, PostgreSQL, the topics, the services and the clock; stop all on Ctrl-C."""
    # SIGTERM (systemd, kill) ends the stack as Ctrl-C does; SIGINT is set explicitly
    # because a shell starting the command in the background leaves it ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    chosen = tuple(service) if service else tuple(s.name for s in SERVICES)
    typer.echo(f"starting {', '.join(chosen)} ...")
    try:
        with running_stack(chosen, fixed_ports=not free_ports, logs_dir=logs, with_clock=not no_clock,
                           strict=strict, secured=not insecure_development) as stack:
            typer.echo(stack.describe())
            if demo_people and "portal" in stack.services:
                _load_demo_people(stack)
            if stack.problems:
                typer.secho(f"{len(stack.problems)} part(s) not running; see above", fg="yellow", err=True)
            typer.echo("running; Ctrl-C stops everything")
            reported: set[str] = set()
            while True:
                time.sleep(1)
                for process in [*stack.services.values(), *([stack.clock] if stack.clock else [])]:
                    code = process.exited()
                    if process.popen is not None and code is not None and process.name not in reported:
                        reported.add(process.name)
                        typer.secho(f"{process.name} stopped with code {code}; log {process.log_file}:\n"
                                    f"{process.log_tail(1500)}", fg="red", err=True)
    except StackError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("stopping ...")
    typer.echo("stopped")


if __name__ == "__main__":
    cli()
