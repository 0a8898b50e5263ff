"""Commands for people: post events for a system with no tooling, check messages before
posting them, rebuild and compare.

    python -m services.actions.cli post --system black-country events.json
    python -m services.actions.cli check --system black-country messages.ndjson
    python -m services.actions.cli rebuild
    python -m services.actions.cli import --system lincolnshire updates.xlsx --api http://127.0.0.1:8001 [--dry-run]
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, get_args
from uuid import UUID, uuid4

import asyncpg
import httpx
import typer
from aiokafka import AIOKafkaProducer
from rich.progress import MofNCompleteColumn, Progress

from shared.access import bearer_from_environment
from shared.contracts import ContractError, parse_event
from shared.contracts.events import ActionSnapshot
from shared.contracts.topics import dead_letter, system_feedback, system_inbound
from shared.messaging import client_security
from shared.reference import ReferenceData

from . import bulk_import
from .conformance import Live, Outcome, Verdict, check, split_messages
from .rebuild import rebuild_and_compare
from .settings import ActionsSettings

cli = typer.Typer(help="The actions service's commands.", no_args_is_help=True)


def _complete_envelope(obj: dict[str, Any], system: str) -> dict[str, Any]:
    """A person writes the type and data; the envelope's bookkeeping is filled in for them."""
    obj.setdefault("event_id", str(uuid4()))
    obj.setdefault("schema_version", 1)
    obj.setdefault("occurred_at", datetime.now(UTC).isoformat())
    obj.setdefault("correlation_id", obj["event_id"])
    obj.setdefault("source", system)
    if "subject" not in obj and isinstance(obj.get("data"), dict):
        obj["subject"] = obj["data"].get("action_id")
    return obj


async def _post(system: str, events: list[bytes], settings: ActionsSettings) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                **client_security(settings))
    await producer.start()
    try:
        for raw in events:
            subject = json.loads(raw).get("subject") or ""
            await producer.send_and_wait(system_inbound(system), raw, key=subject.encode())
    finally:
        await producer.stop()


@cli.command()
def post(file: Path, system: str = typer.Option(..., help="the system posting, e.g. black-country")) -> None:
    """Post the events in FILE (a JSON object or a list of them) to SYSTEM's inbound topic.

    Each is checked here first so a person sees a mistake at once; the service checks again.
    Refusals from the service arrive on the system's feedback topic.
    """
    settings = ActionsSettings()
    reference = ReferenceData.load(settings.reference_data_path)
    if system not in reference.systems:
        raise typer.BadParameter(f"{system!r} is not a known system: {', '.join(reference.systems)}")
    loaded = json.loads(file.read_text())
    items = loaded if isinstance(loaded, list) else [loaded]
    ready = []
    for i, item in enumerate(items):
        body = json.dumps(_complete_envelope(item, system)).encode()
        try:
            parse_event(body)
        except ContractError as exc:
            typer.echo(f"event {i}: {exc.code}: {exc.reason}", err=True)
            raise typer.Exit(2) from None
        ready.append(body)
    asyncio.run(_post(system, ready, settings))
    typer.echo(f"posted {len(ready)} event(s) to {system_inbound(system)}")


def live_from(api: str, headers: dict[str, str] | None = None) -> Any:
    """The action as it stands in the actions service at ``api`` (its read API; nothing is written),
    asked with ``headers`` (default: the bearer token in ``API_TOKEN``)."""

    def live(action_id: str) -> Live:
        try:
            answer = httpx.get(f"{api.rstrip('/')}/action", params={"id": action_id}, timeout=10,
                               headers=bearer_from_environment() if headers is None else headers)
        except httpx.HTTPError as exc:
            raise typer.BadParameter(f"cannot reach the actions service at {api}: {exc}", param_hint="--api") from None
        if answer.status_code == 404:
            return None, set()
        if answer.status_code != 200:
            raise typer.BadParameter(f"{api}/action?id={action_id} answered {answer.status_code}: {answer.text[:300]}",
                                     param_hint="--api")
        body = answer.json()
        return ActionSnapshot.model_validate(body["action"]), {UUID(h["event_id"]) for h in body["history"]}

    return live


def _say(verdict: Verdict, system: str | None) -> str:
    what = f"{verdict.index}: {verdict.type or '?'} {verdict.subject or '?'}: "
    feedback = system_feedback(system or "<source>")
    if verdict.outcome == "dead-lettered":
        return what + (f"refused {verdict.code}: {verdict.reason} (dead-lettered on {dead_letter('actions')}, "
                       f"the sender told on {feedback})")
    if verdict.outcome == "refused":
        return what + f"refused {verdict.code}: {verdict.reason} (told on {feedback}, kept in the audit trail)"
    if verdict.outcome == "ignored":
        return what + f"ignored, {verdict.note}: the service applies an event once"
    if verdict.outcome == "unchecked":
        return what + f"well formed, from the right system; {verdict.note}"
    return what + "accepted" + (f", {verdict.note}" if verdict.note else "")


@cli.command("check")
def check_messages(
    file: Annotated[str, typer.Argument(help="messages: a JSON array, or one JSON object per line; - for stdin")],
    system: Annotated[str | None, typer.Option(
        help="the system whose inbound topic they would go to (default: each message's source)")] = None,
    api: Annotated[str | None, typer.Option(
        help="the actions service's URL, e.g. http://127.0.0.1:8001, to check against each action as it "
             "stands (read only; the system's API token in the API_TOKEN variable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per message")] = False,
) -> None:
    """Say for each message whether the actions service would accept it and, if not, the code and
    reason it would give. Nothing is posted. Exit 1 when any would be refused."""
    if file == "-":
        raw = sys.stdin.buffer.read()
    elif Path(file).is_file():
        raw = Path(file).read_bytes()
    else:
        raise typer.BadParameter(f"no file {file!r}", param_hint="FILE")
    reference = ReferenceData.load(ActionsSettings().reference_data_path)
    if system is not None and system not in reference.systems:
        typer.echo(f"note: {system!r} is not one of the region's systems, so there is no topic "
                   f"{system_inbound(system)}; the ids are: {', '.join(reference.systems)}", err=True)
    verdicts = check(split_messages(raw), reference, system=system, live=live_from(api) if api else None)
    for verdict in verdicts:
        typer.echo(json.dumps(asdict(verdict)) if as_json else _say(verdict, system))
    if not as_json:
        counts = Counter(v.outcome for v in verdicts)
        typer.echo(f"{len(verdicts)} message(s): " + ", ".join(f"{counts[o]} {o}" for o in get_args(Outcome)))
    if any(v.refused for v in verdicts):
        raise typer.Exit(1)


@cli.command("import")
def import_sheet(
    file: Annotated[Path, typer.Argument(help="a .csv file or an .xlsx sheet in the layout of "
                                              "services/actions/bulk_import.py", exists=True, dir_okay=False)],
    system: Annotated[str, typer.Option(help="the system importing, e.g. lincolnshire")],
    api: Annotated[str | None, typer.Option(
        help="the actions service's URL: rows already applied are not posted again, and every row is checked "
             "against its action as it stands")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="say every row's outcome; post nothing")] = False,
) -> None:
    """Import a sheet of commitments and updates: every row's outcome first (row, column, what was
    wrong for a bad one), then the good rows posted. Exit 1 when any row is bad."""
    settings = ActionsSettings()
    reference = ReferenceData.load(settings.reference_data_path)
    if system not in reference.systems:
        raise typer.BadParameter(f"{system!r} is not a known system: {', '.join(reference.systems)}")
    outcomes = bulk_import.plan(bulk_import.read_rows(file), system, reference, live_from(api) if api else None)
    for outcome in outcomes:
        typer.echo(outcome.line())
    going = [o.event for o in outcomes if o.posts and o.event is not None]
    if going and not dry_run:
        asyncio.run(_post_with_progress(system, going, settings))
    typer.echo(bulk_import.summary(outcomes, system, posted=not dry_run))
    if any(o.outcome == "bad" for o in outcomes):
        raise typer.Exit(1)


async def _post_with_progress(system: str, events: list[bytes], settings: ActionsSettings) -> None:
    """Post one by one, keyed by action, behind a progress bar (a long sheet takes a while)."""
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                **client_security(settings))
    await producer.start()
    try:
        with Progress(*Progress.get_default_columns(), MofNCompleteColumn(), transient=True) as progress:
            task = progress.add_task(f"posting to {system_inbound(system)}", total=len(events))
            for raw in events:
                await producer.send_and_wait(system_inbound(system), raw, key=json.loads(raw)["subject"].encode())
                progress.advance(task)
    finally:
        await producer.stop()


@cli.command()
def rebuild() -> None:
    """Rebuild every action from the audit trail and compare with the live state."""
    settings = ActionsSettings()

    async def run() -> bool:
        conn = await asyncpg.connect(settings.database_url)
        try:
            report = await rebuild_and_compare(conn, ReferenceData.load(settings.reference_data_path))
        finally:
            await conn.close()
        typer.echo(f"rebuilt {report.rebuilt} actions, live {report.live}")
        for action_id, why in report.differences.items():
            typer.echo(f"DIFFERS {action_id}: {why}")
        return report.identical

    if not asyncio.run(run()):
        raise typer.Exit(1)
    typer.echo("identical")


if __name__ == "__main__":
    cli()
