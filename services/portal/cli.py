"""Who is who, from the command line (for scripts; people use the administrator's page):

    python -m services.portal.cli person add --id p-lead-bc-1 --name "A Leader" --subject lead1.bc \
        --email a.leader@example.org --role leader
    python -m services.portal.cli people load people.json   # a list of such people, as JSON

The same rules as the page, and the same effect: saved in the portal's database and queued for
notifications.directory (the running portal's outbox relay publishes it).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from shared.contracts.topics import DIRECTORY
from shared.db import Database
from shared.outbox import add_to_outbox
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA

from . import persistence
from .api.people import directory_entry
from .domain import FormProblems, read_person

MIGRATIONS = Path(__file__).with_name("migrations")
BY = "command line"
DatabaseUrl = Annotated[str, typer.Option(envvar="PORTAL_DATABASE_URL", help="the portal's database")]
ReferencePath = Annotated[Path, typer.Option(envvar="REFERENCE_DATA_PATH", help="the systems")]

app = typer.Typer(help="The portal's people: who is who.", no_args_is_help=True)
person_app = typer.Typer(help="One person.", no_args_is_help=True)
people_app = typer.Typer(help="Many people at once.", no_args_is_help=True)
app.add_typer(person_app, name="person")
app.add_typer(people_app, name="people")


def as_form(person: dict[str, Any]) -> dict[str, list[str]]:
    """A person as JSON (``id``, ``name``, ``subject``, ``email``, ``roles``, ``systems``,
    ``delegate_for``, ``active``) in the shape the administrator's form sends."""
    return {"person-id": [str(person.get("id", ""))], "name": [str(person.get("name", ""))],
            "subject": [str(person.get("subject") or "")], "email": [str(person.get("email") or "")],
            "roles": list(person.get("roles", [])), "systems": list(person.get("systems", [])),
            "delegate-for": [",".join(person.get("delegate_for", []))],
            "active": ["yes"] if person.get("active", True) else []}


async def save_all(people: list[dict[str, Any]], database_url: str, reference: Path) -> list[str]:
    """Save every person in one transaction, or none; the problems of the first refused, else ''."""
    systems = list(ReferenceData.load(reference).systems)
    database = Database(database_url, [MIGRATIONS], max_size=1)
    await database.open()
    try:
        async with database.transaction() as conn:
            known = set(await persistence.person_ids(conn)) | {str(p.get("id", "")) for p in people}
            forms = []
            for person in people:
                try:
                    forms.append(read_person(as_form(person), systems, known))
                except FormProblems as wrong:
                    return [f"{person.get('id', '?')}: {p.field}: {p.message}" for p in wrong.problems]
            subjects = [f.subject for f in forms if f.subject]
            twice = sorted({x for x in subjects if subjects.count(x) > 1})
            taken = [f"{f.person_id}: subject: {other} already signs in as {f.subject}" for f in forms
                     if f.subject and (other := await persistence.subject_taken_by(conn, f.subject, f.person_id))]
            if twice or taken:
                return [f"subject {x} is given to more than one person" for x in twice] + taken
            for form in forms:
                saved = await persistence.save_person(conn, form, by=BY)
                await add_to_outbox(conn, DIRECTORY.name, directory_entry(saved))
    finally:
        await database.close()
    return []


def _run(people: list[dict[str, Any]], database_url: str, reference: Path) -> None:
    problems = asyncio.run(save_all(people, database_url, reference))
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(2)
    typer.echo(f"{len(people)} saved")  # counts and ids only: no names or addresses on the console


@person_app.command("add")
def add(
    person_id: Annotated[str, typer.Option("--id", help="the id events name the person by")],
    name: Annotated[str, typer.Option(help="their name")],
    database_url: DatabaseUrl,
    subject: Annotated[str | None, typer.Option(help="the identity provider's subject they sign in as")] = None,
    email: Annotated[str | None, typer.Option(help="where notices go")] = None,
    role: Annotated[list[str] | None, typer.Option(help="leader, sro, delegate, panel_chair... (repeatable)")] = None,
    system: Annotated[list[str] | None, typer.Option(help="a system the role covers (repeatable)")] = None,
    delegate_for: Annotated[list[str] | None, typer.Option(help="a leader's id, for a delegate")] = None,
    reference: ReferencePath = DEFAULT_REFERENCE_DATA,
) -> None:
    """Add or change one person."""
    _run([{"id": person_id, "name": name, "subject": subject, "email": email, "roles": role or [],
           "systems": system or [], "delegate_for": delegate_for or []}], database_url, reference)


@people_app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="a JSON list of people", exists=True, dir_okay=False)],
    database_url: DatabaseUrl,
    reference: ReferencePath = DEFAULT_REFERENCE_DATA,
) -> None:
    """Add or change every person in a JSON file, all or none."""
    _run(json.loads(file.read_text()), database_url, reference)


if __name__ == "__main__":
    app()
