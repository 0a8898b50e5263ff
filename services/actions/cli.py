"""Commands for people: post events for a system with no tooling, rebuild and compare.

    python -m services.actions.cli post --system black-country events.json
    python -m services.actions.cli rebuild
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import typer
from aiokafka import AIOKafkaProducer

from shared.contracts import ContractError, parse_event
from shared.contracts.topics import system_inbound
from shared.messaging import client_security
from shared.reference import ReferenceData

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
