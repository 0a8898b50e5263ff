"""Who may do what on the secured broker, derived from the topic registry; and the one-shot job
that sets it up (the compose stack's ``access-init``):

    python -m services.platform.acls --admin-bootstrap 127.0.0.1:9092

creates a SCRAM-SHA-512 user for every principal, its password from ``SCRAM_PASSWORD_<PRINCIPAL>``
(``password_variable``; ``python -m tools.secrets`` writes them all), and grants every ACL. A
missing password stops it before anything changes, naming the variables.

Every party gets only what its topics need: a system writes its own inbound topic and
reads its own feedback topic, nothing else; a service reads its inputs, writes its
outputs and its dead-letter topic, and uses its own consumer group; ``ops`` reads the
dead-letter topics (the registry names it their reader) with consumer groups of its own,
and writes nothing. Re-driving dead letters (``services.platform.deadletters``) writes the
services' input topics, a stronger right used rarely: it is a principal of its own,
``ops-redrive``, whose password stays with whoever may re-drive.

Idempotent producers (every producer here uses ``enable_idempotence=True``) need no
``IdempotentWrite`` on the cluster since Kafka 3.0 (KIP-679): ``InitProducerId`` without
a transactional id is allowed to any principal with WRITE on some topic. The secured
tests prove it on Kafka 4.1, so the cluster ACL is not granted.

aiokafka has no ACL or SCRAM calls; confluent-kafka's admin client has both. It connects to the
broker's loopback PLAINTEXT listener, whose ANONYMOUS principal is the super user: in compose the
job shares the broker's network namespace for that, and nothing else can reach it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

# confluent_kafka.admin re-exports these from private modules without declaring them
# (no __all__, no "as"), so mypy's strict mode does not see them as exported.
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from shared.contracts.topics import (
    OPS,
    SERVICES,
    SHARED_TOPICS,
    Groups,
    dead_letter_topic,
    system_feedback,
    system_inbound,
)
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA

OPS_REDRIVE = f"{OPS}-redrive"  # re-drives dead letters: reads them, writes the services' inputs
SCRAM_ITERATIONS = 8192  # Kafka's minimum is 4096; its command-line tools default to 4096

READ, WRITE, DESCRIBE = "READ", "WRITE", "DESCRIBE"
TOPIC, GROUP = "TOPIC", "GROUP"
LITERAL, PREFIXED = "LITERAL", "PREFIXED"


@dataclass
class ScramUser:
    name: str
    password: str


def system_principal(system: str) -> str:
    return f"system-{system}"


def service_principal(service: str) -> str:
    return f"svc-{service}"


def party_principal(party: str) -> str:
    """The principal of a party the registry names: ``ops`` is people, not a service."""
    return OPS if party == OPS else service_principal(party)


@dataclass(frozen=True, order=True)
class Grant:
    """One ALLOW rule: ``principal`` may do ``operation`` on a topic or group ``name``."""

    principal: str
    resource: str  # TOPIC or GROUP
    name: str
    operation: str  # READ, WRITE or DESCRIBE
    pattern: str = LITERAL  # or PREFIXED: every name starting with ``name``


def registry_parties() -> list[str]:
    """Every non-system party the registry names as a writer or reader (services, clock, panel, ops...)."""
    parties = set(SERVICES)
    for topic in (*SHARED_TOPICS, *map(dead_letter_topic, SERVICES)):
        parties |= set(topic.writers) | set(topic.readers)
    return sorted(parties)


def principals(systems: Iterable[str]) -> list[str]:
    return [system_principal(s) for s in systems] + [party_principal(p) for p in registry_parties()] + [OPS_REDRIVE]


def scram_users(systems: Iterable[str], password_for: Callable[[str], str]) -> list[ScramUser]:
    """One SCRAM-SHA-512 user per system and per registry party, ``password_for(principal)``."""
    return [ScramUser(name, password_for(name)) for name in principals(systems)]


def project_acls(systems: Iterable[str]) -> list[Grant]:
    grants: set[Grant] = set()

    def may_write(who: str, topic: str, pattern: str = LITERAL) -> None:
        grants.update({Grant(who, TOPIC, topic, WRITE, pattern), Grant(who, TOPIC, topic, DESCRIBE, pattern)})

    def may_read(who: str, topic: str, pattern: str = LITERAL) -> None:
        grants.update({Grant(who, TOPIC, topic, READ, pattern), Grant(who, TOPIC, topic, DESCRIBE, pattern)})

    for system in systems:
        who = system_principal(system)
        may_write(who, system_inbound(system))
        # The portal's upload page posts a sheet for a system whose reporter or SRO is signed in
        # (services/portal/api/upload.py checks that person's system before anything is queued).
        may_write(service_principal(Groups.PORTAL), system_inbound(system))
        may_read(who, system_feedback(system))
        # A system's own tools pick their group names; the prefix keeps them apart from others'.
        grants.add(Grant(who, GROUP, who, READ, PREFIXED))

    for topic in SHARED_TOPICS:
        for writer in topic.writers:
            may_write(service_principal(writer), topic.name)
        for reader in topic.readers:
            may_read(service_principal(reader), topic.name)
    for service in SERVICES:
        who = service_principal(service)
        grants.add(Grant(who, GROUP, service, READ))
        dead = dead_letter_topic(service)
        for writer in dead.writers:
            may_write(party_principal(writer), dead.name)
        for reader in dead.readers:
            may_read(party_principal(reader), dead.name)
    # Ops' own tools pick their group names, as a system's do: the prefix keeps them apart.
    grants.add(Grant(OPS, GROUP, OPS, READ, PREFIXED))
    grants |= _redrive_grants()
    # The actions service takes every system's input (a pattern subscription, so systems
    # added later are covered) and tells each system why its input was refused.
    actions = service_principal(Groups.ACTIONS)
    may_read(actions, system_inbound(""), PREFIXED)
    may_write(actions, system_feedback(""), PREFIXED)
    return sorted(grants)


def _redrive_grants() -> set[Grant]:
    """``ops-redrive`` reads every dead-letter topic and writes back to where dead letters come from:
    every topic a service reads (a system's inbound topics for the actions service). It reads
    with assigned partitions, no consumer group."""
    read = {(dead_letter_topic(s).name, LITERAL, op) for s in SERVICES for op in (READ, DESCRIBE)}
    origins = [(t.name, LITERAL) for t in SHARED_TOPICS if t.readers] + [(system_inbound(""), PREFIXED)]
    written = {(name, pattern, op) for name, pattern in origins for op in (WRITE, DESCRIBE)}
    return {Grant(OPS_REDRIVE, TOPIC, name, op, pattern) for name, pattern, op in read | written}


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        ResourceType[grant.resource], grant.name, ResourcePatternType[grant.pattern],
        f"User:{grant.principal}", "*", AclOperation[grant.operation], AclPermissionType.ALLOW,
    )


def _all_done(futures: dict[Any, Any], timeout: float, what: str) -> None:
    """Wait for every request of one admin call; every failure is reported together, not just the first."""
    failed = []
    for request, future in futures.items():
        try:
            future.result(timeout)
        except Exception as exc:  # noqa: BLE001 - collected, then reported together
            failed.append(f"{request}: {exc}")
    if failed:
        raise RuntimeError(f"{what} failed:\n" + "\n".join(failed))


def apply_acls(admin_bootstrap: str, grants: list[Grant], timeout: float = 30.0) -> None:
    """Create ``grants`` (idempotent: Kafka keeps one copy of an identical ACL)."""
    admin = AdminClient({"bootstrap.servers": admin_bootstrap, "log_level": 3})  # errors only
    _all_done(admin.create_acls([_binding(g) for g in grants], request_timeout=timeout), timeout, "creating ACLs")
    _wait_until_enforced(admin, len(grants), timeout)


def _wait_until_enforced(admin: AdminClient, expected: int, timeout: float) -> None:
    """create_acls returns once the controller accepted them; the broker's authorizer learns
    of them a moment later, and a client that connects in between is refused. The broker
    answers describe_acls from the authorizer itself, so seeing them there means enforced."""
    # None matches any name, principal and host (as documented); the annotations say str.
    every = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]
                             AclOperation.ANY, AclPermissionType.ANY)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(admin.describe_acls(every, request_timeout=timeout).result(timeout)) >= expected:
            return
        time.sleep(0.1)
    raise RuntimeError(f"ACLs not enforced by the broker within {timeout}s")


def grant_project_acls(admin_bootstrap: str, systems: Iterable[str]) -> list[Grant]:
    """Grant every ACL the project needs on the broker reached at ``admin_bootstrap``."""
    grants = project_acls(list(systems))
    apply_acls(admin_bootstrap, grants)
    return grants


def password_variable(principal: str) -> str:
    """The environment variable holding ``principal``'s SCRAM password: ``svc-actions`` ->
    ``SCRAM_PASSWORD_SVC_ACTIONS``."""
    return "SCRAM_PASSWORD_" + principal.upper().replace("-", "_")


def create_scram_users(admin_bootstrap: str, users: list[ScramUser], timeout: float = 30.0) -> None:
    """Create (or change the password of) each SCRAM-SHA-512 user: rotating a password is running
    this again with the new one."""
    admin = AdminClient({"bootstrap.servers": admin_bootstrap, "log_level": 3})
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    _all_done(admin.alter_user_scram_credentials(
        [UserScramCredentialUpsertion(u.name, info, u.password.encode()) for u in users], request_timeout=timeout),
        timeout, "creating SCRAM users")


def users_from_environment(systems: list[str], environ: dict[str, str]) -> list[ScramUser]:
    """Every principal's user with its password from ``environ``; raises naming every missing one."""
    missing = [password_variable(p) for p in principals(systems) if not environ.get(password_variable(p))]
    if missing:
        raise RuntimeError(f"no password for {len(missing)} principal(s): set {', '.join(missing)} "
                           "(python -m tools.secrets writes them all)")
    return [ScramUser(p, environ[password_variable(p)]) for p in principals(systems)]


def main(
    admin_bootstrap: Annotated[str, typer.Option(help="the broker's loopback PLAINTEXT listener (its super user)")],
    reference_data: Annotated[Path, typer.Option(envvar="REFERENCE_DATA_PATH")] = DEFAULT_REFERENCE_DATA,
) -> None:
    """Create every principal's SCRAM user and grant every ACL (idempotent: run it again to rotate)."""
    systems = list(ReferenceData.load(reference_data).systems)
    try:
        users = users_from_environment(systems, dict(os.environ))
    except RuntimeError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None
    create_scram_users(admin_bootstrap, users)
    grants = grant_project_acls(admin_bootstrap, systems)
    typer.echo(f"{len(users)} SCRAM users and {len(grants)} ACLs on {admin_bootstrap}")


if __name__ == "__main__":
    typer.run(main)
