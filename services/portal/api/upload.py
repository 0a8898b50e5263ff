"""Bulk import from the portal, for a system without its own tooling: its system reporter or
senior responsible owner uploads a CSV file or an Excel sheet in the layout of
``services/actions/bulk_import.py``; the page shows every row's outcome (row, column, what was
wrong) before anything is posted; a confirm button posts the good rows.

The rows go through the command's own code (``bulk_import.read_sheet`` and ``plan``: the same
checks, the same event ids made from the system and each row's external id), each checked
against its action as the portal's read model last heard of it, and go out through the
portal's outbox to the system's inbound topic, where the actions service checks them again as
any producer's (its answer to a refused one on the system's feedback topic). The portal may
write every system's inbound topic (``services/platform/acls.py``), so the system is checked
here against the signed-in person's before anything is queued. A row whose event the portal
already queued is said "already posted" and not queued again; the actions service applies an
event id once anyway."""

from __future__ import annotations

import uuid

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.actions import bulk_import
from shared.contracts import parse_event
from shared.contracts.topics import system_inbound
from shared.outbox import add_to_outbox

from .. import persistence
from ..domain import Person, Problem, importing_systems
from ..web import fields, form, form_with_a_file, log, page, portal_of, refused, render, with_problems

TITLE = "Import a sheet of commitments and updates"
MAX_BYTES = 2_000_000  # a region's quarter is a few hundred rows; 2 MB is far more than that
SUFFIXES = (".csv", ".xlsx")


def _not_yours(request: Request, person: Person) -> Response:
    log.warning("security_event", kind="import_without_the_role", person_id=person.person_id)
    return refused(request, person, "You cannot import a sheet",
                   "A system's reporter or its senior responsible owner imports its sheet. Nothing was posted.", 403)


@page
async def import_form(request: Request, person: Person) -> Response:
    systems = importing_systems(person)
    if not systems:
        return _not_yours(request, person)
    return render(request, "import.html.j2", person, title=TITLE, systems=systems, values={},
                  posted=request.query_params.get("posted"), posted_to=request.query_params.get("to"))


async def _read_upload(data: FormData, systems: tuple[str, ...]) -> tuple[str, str, bytes] | list[Problem]:
    """The system, file name and bytes sent, or what is wrong with them, each in words."""
    values, problems = fields(data), []
    system = values.get("system") or (systems[0] if len(systems) == 1 else "")
    if system not in systems:
        problems.append(Problem("system", "Choose the system the sheet is for"))
    sheet = data.get("sheet")
    if not isinstance(sheet, UploadFile) or not sheet.filename:
        return [*problems, Problem("sheet", "Choose a CSV file or an Excel workbook (.xlsx) to upload")]
    name = sheet.filename
    if not name.lower().endswith(SUFFIXES):
        return [*problems, Problem("sheet", f"{name} is not a CSV file or an Excel workbook: the file must end "
                                            ".csv or .xlsx")]
    content = await sheet.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        return [*problems, Problem("sheet", f"{name} is larger than {MAX_BYTES // 1_000_000} MB: split it into "
                                            "smaller sheets")]
    try:
        rows = bulk_import.read_sheet(name, content)
    except bulk_import.BadSheet as wrong:
        return [*problems, Problem("sheet", str(wrong))]
    if not rows:
        return [*problems, Problem("sheet", f"{name} has no rows under its header row")]
    if missing := bulk_import.missing_columns(rows):
        return [*problems, Problem("sheet", f"{name} has no column {', '.join(missing)}: the first row must name "
                                            "the columns of the layout")]
    return problems or (system, name, content)


async def _outcomes(request: Request, system: str, name: str, content: bytes) -> list[bulk_import.RowOutcome]:
    """Every row's outcome as the command's dry run gives it, checked against each action as the
    portal's read model last heard of it and the events the portal already queued (``--api`` for
    the command): a row already posted is said so, a row about an unknown action is refused."""
    rows = bulk_import.read_sheet(name, content)
    async with portal_of(request).database.pool.acquire() as conn:
        standing = await persistence.actions_as_they_stand(conn, sorted({r.get("action_id", "") for r in rows}))
    return bulk_import.plan(rows, system, portal_of(request).reference,
                            lambda action_id: standing.get(action_id, (None, set())))


@form_with_a_file
async def dry_run(request: Request, person: Person, data: FormData) -> Response:
    systems = importing_systems(person)
    if not systems:
        return _not_yours(request, person)
    sent = await _read_upload(data, systems)
    if isinstance(sent, list):
        return with_problems(request, "import.html.j2", person, sent, title=TITLE, systems=systems,
                             values=fields(data))
    system, name, content = sent
    outcomes = await _outcomes(request, system, name, content)
    upload_id = f"up-{uuid.uuid4().hex[:16]}"
    async with portal_of(request).database.transaction() as conn:
        await persistence.save_upload(conn, upload_id, person, system, name, content)
    log.info("import_checked", system=system, person_id=person.person_id, rows=len(outcomes))
    return render(request, "import_outcome.html.j2", person, title="What the import would do", system=system,
                  file_name=name, outcomes=outcomes, upload_id=upload_id, going=sum(o.posts for o in outcomes),
                  bad=sum(o.outcome == "bad" for o in outcomes), summary=bulk_import.summary(outcomes, system, False))


@form
async def confirm(request: Request, person: Person, data: FormData) -> Response:
    """Post the good rows of an upload its person has seen the outcome of: checked again as the
    dry run checked them (the action may have moved on since), then queued."""
    upload_id = request.path_params["upload_id"]
    async with portal_of(request).database.transaction() as conn:
        found = await persistence.upload(conn, upload_id)
        if found is None or found["person_id"] != person.person_id:
            return refused(request, person, "Upload not found", "There is no upload of yours with that reference. "
                                                                "Nothing was posted.", 404)
        system = found["system"]
        if system not in importing_systems(person):
            return _not_yours(request, person)
        posted: int = found["posted"] or 0  # confirmed twice (a double click): posted once
        if found["posted_at"] is None:
            outcomes = await _outcomes(request, system, found["file_name"], found["content"])
            going = [parse_event(o.event) for o in outcomes if o.posts and o.event is not None]
            for event in going:
                await add_to_outbox(conn, system_inbound(system), event)
            posted = len(going)
            await persistence.mark_upload_posted(conn, upload_id, posted)
            log.info("import_posted", system=system, person_id=person.person_id, posted=posted)
    return RedirectResponse(f"/import?posted={posted}&to={system}", status_code=303)
