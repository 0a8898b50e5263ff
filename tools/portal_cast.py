"""The people of the demonstration as the portal and the identity server know them: the
scripted cycle's cast (``tools.cycle_cast``) and the people only the portal needs (a Panel
member, a Board member, a staff network lead per system, an administrator), each with the
username they sign in with at the development identity server (``tools.oidc``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.cycle_cast import people as cycle_people
from tools.oidc import DemoUser, OidcServer

ADMINISTRATOR = "p-administrator"
PANEL_MEMBER = "p-panel-member"
BOARD_MEMBER = "p-board-member"

ROLE_WORDS = {
    "leader": "Accountable leader", "sro": "Senior responsible owner", "delegate": "Delegate",
    "panel_chair": "Chair of the Panel", "panel_member": "Panel member", "board_member": "People Board member",
    "board_secretary": "People Board secretary", "panel_secretary": "Panel secretary",
    "staff_network_lead": "Staff network lead",
    "system_reporter": "System reporter", "administrator": "Administrator",
}


@dataclass(frozen=True)
class CastMember:
    person_id: str
    name: str
    email: str
    roles: tuple[str, ...]
    systems: tuple[str, ...] = field(default=())

    @property
    def username(self) -> str:
        """The subject the identity server puts in their ID token: their e-mail's local part."""
        return self.email.split("@", 1)[0]


def staff_network_lead(system: str) -> str:
    return f"p-network-{system}"


def portal_people(systems: list[str]) -> list[CastMember]:
    cast = [CastMember(p.person_id, p.name, p.email or f"{p.person_id}@example.org", tuple(p.roles),
                       tuple(p.systems)) for p in cycle_people(systems)]
    cast += [
        CastMember(ADMINISTRATOR, "Portal Administrator", "administrator@example.org", ("administrator",)),
        CastMember(PANEL_MEMBER, "Panel Member", "panel.member@example.org", ("panel_member",)),
        CastMember(BOARD_MEMBER, "Board Member", "board.member@example.org", ("board_member",)),
    ]
    cast += [CastMember(staff_network_lead(s), f"Staff Network Lead {s}", f"network.{s}@example.org",
                        ("staff_network_lead",), (s,)) for s in systems]
    return cast


def demo_users(cast: list[CastMember]) -> list[DemoUser]:
    """The sign-in page's list: who each username is, in words."""
    return [DemoUser(c.username, c.name, ", ".join(
        ROLE_WORDS.get(r, r) + (f" ({', '.join(c.systems)})" if c.systems else "") for r in c.roles))
        for c in cast]


def as_json(cast: list[CastMember]) -> list[dict[str, object]]:
    """The cast as ``python -m services.portal.cli people load`` reads it."""
    return [{"id": c.person_id, "name": c.name, "subject": c.username, "email": c.email, "roles": list(c.roles),
             "systems": list(c.systems)} for c in cast]


def identity_server(systems: list[str], port: int = 0) -> OidcServer:
    """The development identity server, started, its sign-in page listing the demonstration's people."""
    return OidcServer(users=demo_users(portal_people(systems)), port=port).start()
