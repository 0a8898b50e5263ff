"""Machine credentials for the HTTP APIs (``shared/access.py``): the one helper the stack, the
scripted cycle, the command-line tools and the tests use to hold tokens and call the APIs.

    .venv/bin/python -m tools.api_keys new --name system-black-country --role system --system black-country

prints a fresh token (give it to the client, once) and the ``API_CLIENTS`` entry each service lists
for it (only the token's SHA-256). To rotate a token: make a new one for the same name, add its
digest to the client's ``token_sha256`` beside the old one, restart the services, hand the token
over, and once the client uses it, delete the old digest and restart again.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer

from shared.access import ACTING_ROLE_HEADER, ApiClient, ApiRole, bearer, new_client

# The development stack's clients: a tool with the Panel's, the Board's and ops' rights (the scripted
# cycle, the board report command), the portal, and each system.
REGION = "region"
PORTAL = "portal"
NOTIFICATIONS = "notifications"  # reads the Board's report, to attach it to the cycle's close


def system_client(system: str) -> str:
    return f"system-{system}"


@dataclass
class ApiKeys:
    """Tokens by client name, and the entries the services list for them."""

    tokens: dict[str, str] = field(default_factory=dict)
    clients: list[ApiClient] = field(default_factory=list)

    @classmethod
    def development(cls, systems: list[str]) -> ApiKeys:
        keys = cls()
        keys.add(REGION, [ApiRole.PANEL, ApiRole.BOARD, ApiRole.OPS])
        keys.add(PORTAL, [ApiRole.PORTAL])
        keys.add(NOTIFICATIONS, [ApiRole.BOARD])
        for role in (ApiRole.OPS, ApiRole.PANEL, ApiRole.BOARD):
            keys.add(role.value, [role])
        for system in systems:
            keys.add(system_client(system), [ApiRole.SYSTEM], system)
        return keys

    def add(self, name: str, roles: list[ApiRole], system: str | None = None) -> None:
        token, client = new_client(name, roles, system)
        self.tokens[name] = token
        self.clients.append(client)

    def headers(self, name: str = REGION, acting_role: str | None = None) -> dict[str, str]:
        """What ``name`` sends with each request (the portal: and the role its person acts in)."""
        found = bearer(self.tokens[name])
        return found | {ACTING_ROLE_HEADER: acting_role} if acting_role else found

    def env(self) -> dict[str, str]:
        """The services' ``API_CLIENTS``: digests only."""
        return {"API_CLIENTS": json.dumps([c.model_dump(mode="json") for c in self.clients])}

    def write(self, path: Path) -> Path:
        """The tokens in a file only its owner reads (mode 0600), for a person trying the stack."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "w") as out:
            json.dump(self.tokens, out, indent=2)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
        return path


cli = typer.Typer(add_completion=False, help="Machine credentials for the services' HTTP APIs.")


@cli.command()
def new(name: Annotated[str, typer.Option(help="the client, e.g. system-black-country")],
        role: Annotated[list[ApiRole], typer.Option(help="system, panel, board, ops or portal")],
        system: Annotated[str | None, typer.Option(help="a system client's system id")] = None) -> None:
    """A fresh token, and the API_CLIENTS entry that accepts it."""
    token, client = new_client(name, role, system)
    typer.echo(f"token (give it to {name}, once; it is not kept): {token}")
    typer.echo(f"API_CLIENTS entry: {json.dumps(client.model_dump(mode='json'))}")


if __name__ == "__main__":
    cli()
