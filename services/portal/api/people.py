"""Who is who, for administrators: add and change people, their sign-in subject, roles and
systems. Every save is published on the directory topic (notifications writes to people by it)."""

from __future__ import annotations

from typing import Any

import asyncpg
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from shared.contracts import events as ev
from shared.contracts.topics import DIRECTORY, Groups
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import FormProblems, Person, Problem, Role, may_administer, read_person
from ..web import all_values, form, log, page, portal_of, refused, render, with_problems


def directory_entry(person: Person) -> ev.PersonUpdated:
    """What notifications needs to know of a person: how to reach them, their roles and systems."""
    return ev.PersonUpdated.new(source=Groups.PORTAL, subject=person.person_id, data=ev.Person(
        person_id=person.person_id, name=person.name, email=person.email,
        roles=sorted(r.value for r in person.roles) if person.active else [], systems=list(person.systems),
        delegate_for=list(person.delegate_for) if person.active else []))


def _not_allowed(request: Request, person: Person) -> Response:
    log.warning("security_event", kind="administration_without_the_role", person_id=person.person_id)
    return refused(request, person, "You cannot change who is who",
                   "Only the portal's administrators can add or change people.", 403)


def _form_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"roles": list(Role), "systems": portal_of(request).reference.systems, **extra}


@page
async def people(request: Request, person: Person) -> Response:
    if not may_administer(person):
        return _not_allowed(request, person)
    async with portal_of(request).database.pool.acquire() as conn:
        found = await persistence.everyone(conn)
    return render(request, "people.html.j2", person, title="People", people=found,
                  saved=request.query_params.get("saved"))


@page
async def person_form(request: Request, person: Person) -> Response:
    if not may_administer(person):
        return _not_allowed(request, person)
    person_id = request.path_params.get("person_id")
    editing = None
    if person_id is not None:
        async with portal_of(request).database.pool.acquire() as conn:
            editing = await persistence.person(conn, person_id)
        if editing is None:
            return refused(request, person, "Person not found", "There is no one with that id.", 404)
    return render(request, "person.html.j2", person, **_form_context(
        request, title="Change a person" if editing else "Add a person", editing=editing, values=None))


@form
async def save_person(request: Request, person: Person, data: FormData) -> Response:
    if not may_administer(person):
        return _not_allowed(request, person)
    values = all_values(data)
    editing = request.path_params.get("person_id")
    if editing is not None:
        values["person-id"] = [editing]
    title = "Change a person" if editing else "Add a person"
    async with portal_of(request).database.transaction() as conn:
        try:
            wanted = read_person(values, portal_of(request).reference.systems, await persistence.person_ids(conn))
            await _check_unique(conn, wanted.person_id, wanted.subject, editing is None)
        except FormProblems as wrong:
            return with_problems(request, "person.html.j2", person, wrong.problems,
                                 **_form_context(request, title=title, editing=None, values=values))
        saved = await persistence.save_person(conn, wanted, by=person.person_id)
        await add_to_outbox(conn, DIRECTORY.name, directory_entry(saved))
    log.info("person_saved", person_id=saved.person_id, by=person.person_id)
    return RedirectResponse(f"/people?saved={saved.person_id}", status_code=303)


async def _check_unique(conn: asyncpg.Connection, person_id: str, subject: str | None, adding: bool) -> None:
    problems = []
    if adding and await persistence.person(conn, person_id) is not None:
        problems.append(Problem("person-id", f"Someone already has the id {person_id}; change them instead"))
    if subject and (other := await persistence.subject_taken_by(conn, subject, person_id)):
        problems.append(Problem("subject", f"{other} already signs in as {subject}"))
    if problems:
        raise FormProblems(problems)
