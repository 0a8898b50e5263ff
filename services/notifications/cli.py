"""Admin commands for the directory.

    python -m services.notifications.cli person add --id p-sro-bc --name "A Person" \
        --email a.person@example.org --role sro --system black-country --channel email
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer
from pydantic import ValidationError

from shared.contracts.events import Person as PersonPayload
from shared.db import Database

from . import persistence as db
from .app import MIGRATIONS
from .domain import person_from_event
from .settings import NotificationsSettings

app = typer.Typer(help="Notifications service administration.", no_args_is_help=True)
person_app = typer.Typer(help="The directory of people and roles.", no_args_is_help=True)
app.add_typer(person_app, name="person")


async def _add(person: PersonPayload, database_url: str) -> None:
    database = Database(database_url, [MIGRATIONS], max_size=1)
    await database.open()
    try:
        async with database.transaction() as conn:
            await db.upsert_person(conn, person_from_event(person), datetime.now(UTC))
    finally:
        await database.close()


@person_app.command("add")
def add(
    person_id: Annotated[str, typer.Option("--id", help="opaque person id used in events")],
    name: Annotated[str, typer.Option(help="how notices address them")],
    email: Annotated[str | None, typer.Option(help="email address")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Teams/Slack incoming webhook URL")] = None,
    role: Annotated[list[str] | None, typer.Option(help="sro, panel_chair, board_secretary (repeatable)")] = None,
    system: Annotated[list[str] | None, typer.Option(help="system id, for SROs (repeatable)")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="email or webhook, in order of preference")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="NOTIFICATIONS_DATABASE_URL")] = None,
) -> None:
    """Add or replace a person in the directory."""
    try:
        person = PersonPayload.model_validate({
            "person_id": person_id, "name": name, "email": email, "webhook_url": webhook_url,
            "roles": role or [], "systems": system or [], "channels": channel or ["email"]})
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: {'.'.join(map(str, err['loc']))}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    asyncio.run(_add(person, database_url or NotificationsSettings().database_url))
    typer.echo(f"person {person_id} saved")  # the id only: no names or addresses on the console log


if __name__ == "__main__":
    app()
