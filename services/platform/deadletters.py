"""A way back from the dead-letter topic, once the cause is fixed.

    python -m services.platform.deadletters list --service actions [--code unsupported_version]
    python -m services.platform.deadletters redrive --service actions --code unsupported_version \\
        [--topic actions.inbound.black-country] [--partition 0] [--from-offset 10] [--to-offset 20] [--dry-run]

Every dead letter holds the original bytes and key, and in its headers where the record came from
(``dlt-topic``, ``dlt-partition``, ``dlt-offset``) and why it was refused (``dlt-code``,
``dlt-reason``). ``list`` shows them; ``redrive`` publishes the chosen ones again, bytes and key
unchanged, to the topic they came from, where the service's consumer takes them like any other
record. Chosen by code, by original topic and partition, and by a range of original offsets.

Idempotent by event id: each event id is re-driven once per run, and every consumer applies an event
id once (``shared.db.first_time``), so re-driving a letter twice, or one whose event was applied
since, changes nothing. A letter with no event id (bytes that were never an event) cannot be made
idempotent and is not re-driven. Re-driven records carry ``redriven-from: <dead-letter topic>/
<partition>@<offset>``. On the secured broker ``list`` runs as ``ops`` (reads dead
letters, writes nothing) and ``redrive`` as ``ops-redrive`` (reads them, writes the services'
input topics): KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD / KAFKA_SSL_CAFILE.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Annotated

import typer
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from shared.contracts.topics import SERVICES, dead_letter
from shared.messaging import client_security
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class DeadLetter:
    partition: int  # where it sits in the dead-letter topic
    offset: int
    topic: str  # where it came from
    original_partition: int
    original_offset: int
    code: str
    reason: str
    key: bytes | None
    value: bytes
    event_id: str | None

    @property
    def where(self) -> str:
        return f"{self.topic}/{self.original_partition}@{self.original_offset}"


def letter_of(partition: int, offset: int, key: bytes | None, value: bytes | None,
              headers: list[tuple[str, bytes]] | None) -> DeadLetter:
    h = {k: v.decode(errors="replace") for k, v in headers or ()}
    return DeadLetter(partition, offset, h.get("dlt-topic", ""), int(h.get("dlt-partition", -1)),
                      int(h.get("dlt-offset", -1)), h.get("dlt-code", ""), h.get("dlt-reason", ""), key,
                      value or b"", _event_id(value))


def _event_id(value: bytes | None) -> str | None:
    with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
        found = json.loads(value or b"")["event_id"]
        return str(found) if isinstance(found, str) and found else None
    return None


async def read_dead_letters(settings: ServiceSettings, service: str) -> list[DeadLetter]:
    """Every dead letter of ``service``, up to the topic's current end."""
    topic = dead_letter(service)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False,
                                **client_security(settings))
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not parts:
            await consumer._client.force_metadata_update()  # a fresh client may not know the topic yet
            parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        ends = {tp: end for tp, end in (await consumer.end_offsets(parts)).items() if end > 0}
        letters: list[DeadLetter] = []
        if not ends:
            return letters
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        waiting = set(ends)
        while waiting:
            for tp, records in (await consumer.getmany(*waiting, timeout_ms=1000)).items():
                letters += [letter_of(tp.partition, r.offset, r.key, r.value, r.headers) for r in records
                            if r.offset < ends[tp]]
            waiting = {tp for tp in waiting if await consumer.position(tp) < ends[tp]}
        return sorted(letters, key=lambda d: (d.topic, d.original_partition, d.original_offset))
    finally:
        await consumer.stop()


def select(letters: list[DeadLetter], *, code: str | None = None, topic: str | None = None,
           partition: int | None = None, from_offset: int | None = None,
           to_offset: int | None = None) -> list[DeadLetter]:
    """The letters matching every criterion given (offsets are the original ones, inclusive)."""
    return [d for d in letters
            if (code is None or d.code == code) and (topic is None or d.topic == topic)
            and (partition is None or d.original_partition == partition)
            and (from_offset is None or d.original_offset >= from_offset)
            and (to_offset is None or d.original_offset <= to_offset)]


@dataclass
class Redriven:
    sent: list[DeadLetter]
    without_event_id: list[DeadLetter]
    repeated: list[DeadLetter]  # the same event id chosen twice: sent once


async def redrive(settings: ServiceSettings, service: str, letters: list[DeadLetter], *,
                  dry_run: bool = False) -> Redriven:
    """Publish each chosen letter back to the topic it came from, once per event id, in the order
    it first arrived there."""
    report = Redriven([], [], [])
    seen: set[str] = set()
    for letter in letters:
        if letter.event_id is None or not letter.topic:
            report.without_event_id.append(letter)
        elif letter.event_id in seen:
            report.repeated.append(letter)
        else:
            seen.add(letter.event_id)
            report.sent.append(letter)
    if dry_run or not report.sent:
        return report
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True,
                                **client_security(settings))
    await producer.start()
    try:
        for letter in report.sent:
            origin = f"{dead_letter(service)}/{letter.partition}@{letter.offset}".encode()
            await producer.send_and_wait(letter.topic, letter.value, key=letter.key,
                                         headers=[("content-type", b"application/json"), ("redriven-from", origin)])
    finally:
        await producer.stop()
    return report


cli = typer.Typer(help="Dead letters: list them, and re-drive them once the cause is fixed.", no_args_is_help=True)
Service = Annotated[str, typer.Option(help=f"whose dead letters: {', '.join(SERVICES)}")]
Code = Annotated[str | None, typer.Option(help="only this dlt-code (e.g. unsupported_version)")]
Topic = Annotated[str | None, typer.Option(help="only letters from this original topic")]
Partition = Annotated[int | None, typer.Option(help="only letters from this original partition")]
FromOffset = Annotated[int | None, typer.Option(help="only letters from this original offset on")]
ToOffset = Annotated[int | None, typer.Option(help="only letters up to this original offset")]


@cli.command("list")
def list_letters(service: Service, code: Code = None, topic: Topic = None, partition: Partition = None,
                 from_offset: FromOffset = None, to_offset: ToOffset = None) -> None:
    """One line per dead letter: where it came from, its code, event id and reason."""
    letters = select(asyncio.run(read_dead_letters(ServiceSettings(), service)), code=code, topic=topic,
                     partition=partition, from_offset=from_offset, to_offset=to_offset)
    for d in letters:
        typer.echo(f"{d.where}\t{d.code}\t{d.event_id or '-'}\t{d.reason[:200]}")
    typer.echo(f"{len(letters)} dead letter(s)", err=True)


@cli.command("redrive")
def redrive_letters(service: Service, code: Code = None, topic: Topic = None, partition: Partition = None,
                    from_offset: FromOffset = None, to_offset: ToOffset = None,
                    dry_run: Annotated[bool, typer.Option("--dry-run", help="say what would go, send nothing")] = False,
                    ) -> None:
    """Publish the chosen dead letters again to the topics they came from, once per event id."""
    settings = ServiceSettings()
    chosen = select(asyncio.run(read_dead_letters(settings, service)), code=code, topic=topic,
                    partition=partition, from_offset=from_offset, to_offset=to_offset)
    report = asyncio.run(redrive(settings, service, chosen, dry_run=dry_run))
    for d in report.sent:
        typer.echo(f"{'would re-drive' if dry_run else 're-driven'}\t{d.where}\t{d.code}\t{d.event_id}")
    for d in report.without_event_id:
        typer.echo(f"not re-driven (no event id)\t{d.where}\t{d.code}", err=True)
    typer.echo(f"{len(report.sent)} re-driven, {len(report.repeated)} repeated event id(s) sent once, "
               f"{len(report.without_event_id)} without an event id left", err=True)


if __name__ == "__main__":
    cli()
