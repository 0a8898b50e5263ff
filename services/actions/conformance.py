"""What the actions service would answer to a system's messages, without posting them.

Each message goes through what the service runs: ``parse_event`` with the service's accepted
types (a message that fails is dead-lettered, code and reason told on the feedback topic), the
once-only rule on ``event_id``, then the rules (``domain.decide``), which refuse with a code and
a reason on the feedback topic. So the answers are the service's own, word for word.

What the rules need beside the message is the action as it stands. Here it is what the earlier
messages of the same input made of it, or, when a lookup is given (``--api``), the live action
read from the service. Without either, a message about an action the input never committed to
is checked as far as it can be (its form, its sender, its subject) and said to be unchecked for
the rest; a commitment is checked fully but for ``duplicate_action`` (the action may exist).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

from shared.contracts import ContractError, Event, parse_event
from shared.contracts import events as ev
from shared.reference import ReferenceData

from .domain import Refusal, decide

Outcome = Literal["accepted", "refused", "dead-lettered", "ignored", "unchecked"]
# The action as it stands and the ids of the events already applied to it; (None, ...) when it does not exist.
Live = tuple[ev.ActionSnapshot | None, set[UUID]]


@dataclass(frozen=True)
class Verdict:
    index: int  # from 1, in the order the messages were given
    outcome: Outcome
    type: str | None = None
    subject: str | None = None
    code: str = ""
    reason: str = ""
    note: str = ""

    @property
    def refused(self) -> bool:
        return self.outcome in ("refused", "dead-lettered")


def split_messages(raw: bytes) -> list[bytes]:
    """A JSON array of messages, one JSON value, or one message per line (as kcat posts a file)."""
    try:
        whole = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return [line for line in raw.splitlines() if line.strip()]
    if isinstance(whole, list):
        return [json.dumps(item).encode() for item in whole]
    return [raw.strip()]


def _peek(raw: bytes) -> tuple[str | None, str | None]:
    """The type and subject a message claims, when it is readable enough to say."""
    try:
        obj: Any = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, None
    if not isinstance(obj, dict):
        return None, None
    kind, subject = obj.get("type"), obj.get("subject")
    return (kind if isinstance(kind, str) else None), (subject if isinstance(subject, str) else None)


def check(messages: list[bytes], reference: ReferenceData, *, system: str | None = None,
          live: Callable[[str], Live] | None = None) -> list[Verdict]:
    """A verdict per message. ``system``: the system whose inbound topic they go to (default:
    each message's own source); ``live``: the action as it stands in the service."""
    state: dict[str, Live] = {}
    first_seen: dict[UUID, int] = {}
    verdicts = []
    for index, raw in enumerate(messages, 1):
        try:
            event = parse_event(raw, accept=ev.SYSTEM_COMMANDS)
        except ContractError as refused:
            verdicts.append(Verdict(index, "dead-lettered", *_peek(raw), refused.code, refused.reason))
            continue
        verdicts.append(_judge(index, event, system or event.source, reference, state, first_seen, live))
    return verdicts


def _judge(index: int, event: Event, sender: str, reference: ReferenceData, state: dict[str, Live],
           first_seen: dict[UUID, int], live: Callable[[str], Live] | None) -> Verdict:
    said = {"type": event.type, "subject": event.subject}
    if event.event_id in first_seen:
        return Verdict(index, "ignored", **said, note=f"same event_id as message {first_seen[event.event_id]}")
    first_seen[event.event_id] = index
    known = event.subject in state or live is not None
    if event.subject not in state and live is not None:
        state[event.subject] = live(event.subject)
    current, applied = state.get(event.subject, (None, set()))
    if event.event_id in applied:
        return Verdict(index, "ignored", **said, note="the service has already applied this event_id")
    outcome = decide(current, event, sender, reference)
    if isinstance(outcome, Refusal):
        if outcome.code == "unknown_action" and not known:
            return Verdict(index, "unchecked", **said, note=f"the rules that need action {event.subject!r} as it "
                           "stands were not checked: commit to it earlier in the same input, or give --api")
        return Verdict(index, "refused", **said, code=outcome.code, reason=outcome.reason)
    state[event.subject] = (outcome.snapshot, applied | {event.event_id})
    note = "" if known else f"if action {event.subject!r} does not exist yet (else duplicate_action; see --api)"
    return Verdict(index, "accepted", **said, note=note)
