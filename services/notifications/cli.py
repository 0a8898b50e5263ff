"""Admin commands: the directory, and notices that could not be delivered.

    python -m services.notifications.cli person add --id p-sro-bc --name "A Person" \
        --email a.person@example.org --role sro --system black-country --channel email
    python -m services.notifications.cli notices failed
    python -m services.notifications.cli notices resend --notice n-... [--notice ...] | --recipient p-... | --all
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import asyncpg
import typer
from pydantic import ValidationError

from shared.contracts.events import Person as PersonPayload
from shared.db import Database

from . import persistence as db
from .app import MIGRATIONS
from .domain import person_from_event
from .settings import NotificationsSettings

T = TypeVar("T")
app = typer.Typer(help="Notifications service administration.", no_args_is_help=True)
person_app = typer.Typer(help="The directory of people and roles.", no_args_is_help=True)
app.add_typer(person_app, name="person")
notices_app = typer.Typer(help="Notices refused for good, and sending them again once the cause is fixed.",
                          no_args_is_help=True)
app.add_typer(notices_app, name="notices")
DatabaseUrl = Annotated[str | None, typer.Option(envvar="NOTIFICATIONS_DATABASE_URL")]


async def _in_transaction(database_url: str | None, work: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
    database = Database(database_url or NotificationsSettings().database_url, [MIGRATIONS], max_size=1)
    await database.open()
    try:
        async with database.transaction() as conn:
            return await work(conn)
    finally:
        await database.close()


async def _add(person: PersonPayload, database_url: str | None) -> None:
    await _in_transaction(database_url, lambda conn: db.upsert_person(conn, person_from_event(person),
                                                                      datetime.now(UTC)))


@person_app.command("add")
def add(
    person_id: Annotated[str, typer.Option("--id", help="opaque person id used in events")],
    name: Annotated[str, typer.Option(help="how notices address them")],
    email: Annotated[str | None, typer.Option(help="email address")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Teams/Slack incoming webhook URL")] = None,
    role: Annotated[list[str] | None, typer.Option(help="sro, panel_chair, board_secretary (repeatable)")] = None,
    system: Annotated[list[str] | None, typer.Option(help="system id, for SROs (repeatable)")] = None,
    channel: Annotated[list[str] | None, typer.Option(help="email or webhook, in order of preference")] = None,
    database_url: DatabaseUrl = None,
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
    asyncio.run(_add(person, database_url))
    typer.echo(f"person {person_id} saved")  # the id only: no names or addresses on the console log


@notices_app.command("failed")
def failed(database_url: DatabaseUrl = None) -> None:
    """List the notices refused for good (person ids only), with why."""
    rows = asyncio.run(_in_transaction(database_url, lambda conn: db.find_notices(conn, status="failed",
                                                                                 limit=10_000)))
    for row in rows:
        typer.echo(f"{row['notice_id']}\t{row['kind']}\t{row['recipient']}\t{row['channel']}\t{row['about']}\t"
                   f"{row['last_error'] or ''}")
    typer.echo(f"{len(rows)} notice(s) not delivered", err=True)


@notices_app.command("resend")
def resend(
    notice: Annotated[list[str] | None, typer.Option("--notice", help="a notice id (repeatable)")] = None,
    recipient: Annotated[str | None, typer.Option(help="every undeliverable notice to this person id")] = None,
    every: Annotated[bool, typer.Option("--all", help="every undeliverable notice")] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Send undeliverable notices again once the cause is fixed (the directory corrected, the
    mailbox back). The running service sends them, with the notice ids they always had."""
    if not (notice or recipient or every):
        typer.echo("error: choose notices with --notice, --recipient or --all", err=True)
        raise typer.Exit(2)
    rows = asyncio.run(_in_transaction(database_url, lambda conn: db.resend(conn, notice_ids=notice or None,
                                                                           recipient=recipient)))
    for row in rows:
        typer.echo(row["notice_id"])
    typer.echo(f"{len(rows)} notice(s) queued to be sent again", err=True)


if __name__ == "__main__":
    app()
