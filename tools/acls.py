"""Who may do what on the secured broker, derived from the topic registry.

Every party gets only what its topics need: a system writes its own inbound topic and
reads its own feedback topic, nothing else; a service reads its inputs, writes its
outputs and its dead-letter topic, and uses its own consumer group; ``ops`` reads the
dead-letter topics (the registry names it their reader) with consumer groups of its own.

Idempotent producers (every producer here uses ``enable_idempotence=True``) need no
``IdempotentWrite`` on the cluster since Kafka 3.0 (KIP-679): ``InitProducerId`` without
a transactional id is allowed to any principal with WRITE on some topic. The secured
tests prove it on Kafka 4.1, so the cluster ACL is not granted.

aiokafka has no ACL calls; confluent-kafka's admin client does. It connects to the
broker's loopback PLAINTEXT listener, whose ANONYMOUS principal is the super user.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
from tools.kafka import ScramUser

READ, WRITE, DESCRIBE = "READ", "WRITE", "DESCRIBE"
TOPIC, GROUP = "TOPIC", "GROUP"
LITERAL, PREFIXED = "LITERAL", "PREFIXED"


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
    return [system_principal(s) for s in systems] + [party_principal(p) for p in registry_parties()]


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
    # The actions service takes every system's input (a pattern subscription, so systems
    # added later are covered) and tells each system why its input was refused.
    actions = service_principal(Groups.ACTIONS)
    may_read(actions, system_inbound(""), PREFIXED)
    may_write(actions, system_feedback(""), PREFIXED)
    return sorted(grants)


def _binding(grant: Grant) -> AclBinding:
    return AclBinding(
        ResourceType[grant.resource], grant.name, ResourcePatternType[grant.pattern],
        f"User:{grant.principal}", "*", AclOperation[grant.operation], AclPermissionType.ALLOW,
    )


def apply_acls(admin_bootstrap: str, grants: list[Grant], timeout: float = 30.0) -> None:
    """Create ``grants`` (idempotent: Kafka keeps one copy of an identical ACL)."""
    admin = AdminClient({"bootstrap.servers": admin_bootstrap, "log_level": 3})  # errors only
    futures = admin.create_acls([_binding(g) for g in grants], request_timeout=timeout)
    failed = []
    for binding, future in futures.items():
        try:
            future.result(timeout)
        except Exception as exc:  # noqa: BLE001 - collected, then reported together
            failed.append(f"{binding}: {exc}")
    if failed:
        raise RuntimeError("creating ACLs failed:\n" + "\n".join(failed))
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
