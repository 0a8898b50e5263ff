"""The scripted story says what it means, and keeps a record of it.

A step the services refuse fails the main command loudly: systems post through Kafka, so a refusal
comes back as an ``input.rejected`` on the system's feedback topic (people's acts through the portal
are checked by ``recorded``, which waits for accountability to keep them). ``story.json`` records
each e-mail (governance date, recipient, actions, kinds), each escalation's steps with their dates,
and each answer and decision with who and when."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.contracts import events as ev
from shared.contracts import parse_event
from shared.contracts.topics import system_feedback
from tools.cycle_portal import until


async def refusals(bootstrap: str, systems: list[str], quiet_seconds: float = 1.5) -> list[ev.InputRejected]:
    """Every refusal so far, read until the feedback topics have been quiet for ``quiet_seconds``."""
    consumer = AIOKafkaConsumer(*(system_feedback(s) for s in systems), bootstrap_servers=bootstrap,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list[ev.InputRejected] = []
    try:
        while batch := await consumer.getmany(timeout_ms=int(quiet_seconds * 1000)):
            events = [parse_event(r.value) for records in batch.values() for r in records]
            found += [e for e in events if isinstance(e, ev.InputRejected)]
    finally:
        await consumer.stop()
    return found


async def fail_on_refusals(bootstrap: str, systems: list[str]) -> None:
    """Raise, naming each refused step, if the services refused anything the story posted."""
    found = await refusals(bootstrap, systems)
    if found:
        steps = "; ".join(f"{e.source}: {e.data.rejected_type or 'an event'} about {e.subject} refused "
                          f"({e.data.code}: {e.data.reason})" for e in found)
        raise RuntimeError(f"the services refused scripted steps ({len(found)}): {steps}")


ACTS = ("explanation", "recovery plan", "more time asked", "flag contested", "panel decision", "board consequence",
        "staff network concern", "staff network challenge", "staff network support")


def write_story(story: Any, out: Path) -> None:
    """``story.json``: what happened, in the order and on the dates it happened."""
    histories: dict[str, list[dict[str, Any]]] = story.histories
    steps = {a: [{k: h.get(k) for k in ("on", "what", "step", "previous_step", "respond_by")}
                 for h in history if h["what"].startswith("escalation ")] for a, history in histories.items()}
    acts = [{"action_id": a, "what": h["what"], "who": h.get("by") or h.get("from"), "on": h["on"]}
            for a, history in histories.items() for h in history if h["what"] in ACTS]
    (out / "story.json").write_text(json.dumps({
        "statuses": story.statuses, "escalations": story.escalations, "agenda": story.agenda,
        "emails": [{"governance_date": n.get("governance_date"), "to": n["to"], "actions": n.get("action"),
                    "kinds": n.get("kind"), "subject": n["subject"], "file": n["file"]} for n in story.notices],
        "notices": story.notices, "escalation_steps": {a: s for a, s in steps.items() if s},
        "acts": sorted(acts, key=lambda x: (x["on"], x["action_id"])), "cycles": story.cycles,
        "portal": story.portal}, indent=2, default=str))


async def received(folder: Any, kind: str) -> None:
    """Wait until an e-mail of ``kind`` (its X-Governance-Kind) has reached the story's SMTP server."""
    async def there() -> bool:
        return any(kind in str(n.get("kind") or "") for n in folder.received)

    await until(there, f"an e-mail of kind {kind} to arrive")


def live(message: str) -> None:
    """A live line for the daily ticks, a new line for everything else."""
    if message[:4].isdigit():
        sys.stdout.write("\r" + message.ljust(100))
    else:
        sys.stdout.write("\n" + message + "\n")
    sys.stdout.flush()


async def caught_up(bootstrap: str, group: str, topic: str, within: float = 60.0) -> None:
    """Wait until consumer ``group`` has handled everything on ``topic`` (its committed offsets reach the
    ends): the notifications service hears each day's escalations before the clock moves on, so a
    person's day is one e-mail however busy the machine is."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        await consumer.topics()  # fetches the cluster's metadata
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        ends = await consumer.end_offsets(parts)
        async with asyncio.timeout(within):
            while True:
                done = await admin.list_consumer_group_offsets(group, partitions=parts)
                if all(ends[p] == 0 or (p in done and done[p].offset >= ends[p]) for p in parts):
                    return
                await asyncio.sleep(0.1)
    finally:
        await consumer.stop()
        await admin.close()
