"""The one registry of topics, their partition keys, who writes and who reads them.

Partition keys keep every event about one action in one partition, so each action's
events are applied in order while instances of a service share the partitions.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import events as ev
from .envelope import Event


@dataclass(frozen=True)
class Topic:
    name: str
    key: str  # what the partition key is, in words; always the envelope's subject
    events: tuple[type[Event], ...]
    writers: tuple[str, ...]
    readers: tuple[str, ...]
    partitions: int = 3


class Groups:
    """Consumer groups: one per service, shared by all its instances."""

    ACTIONS = "actions"
    ACCOUNTABILITY = "accountability"
    NOTIFICATIONS = "notifications"
    PORTAL = "portal"


def system_inbound(system: str) -> str:
    """Where one system posts its commitments and progress. Only that system may write it."""
    return f"actions.inbound.{system}"


def system_feedback(system: str) -> str:
    """Where a system reads why its input was refused. Only that system may read it."""
    return f"actions.feedback.{system}"


SYSTEM_INBOUND_PATTERN = r"actions\.inbound\..+"

ACTION_CHANGES = Topic(
    "actions.changes", "action id", (ev.ActionChanged,),
    writers=("actions",), readers=("accountability", "portal"),
)
ACCOUNTABILITY = Topic(
    "accountability.events", "action id (cycle id for cycle events)",
    (ev.ActionStatusChanged, ev.EscalationRaised, ev.EscalationStepped, ev.EscalationResolved,
     ev.CycleOpened, ev.CycleClosed, ev.ReminderDue, ev.AgendaPublished),
    writers=("accountability",), readers=("notifications", "portal"),
)
RESPONSES = Topic(
    "governance.responses", "action id",
    (ev.ExplanationReceived, ev.RecoveryPlanReceived, ev.PanelDecisionRecorded, *ev.PEOPLES_ANSWERS),
    writers=("portal",), readers=("accountability", "notifications"),
)
CLOCK = Topic("governance.clock", "'clock'", (ev.ClockTicked,), writers=("clock",),
              readers=("accountability", "notifications", "portal"), partitions=1)
NOTICES = Topic(
    "notifications.events", "escalation, reminder or agenda id",
    (ev.NoticeSent, ev.NoticeFailed, ev.NoticeAcknowledged, ev.NoticeUnacknowledged, ev.NoticeAcknowledgementGiven),
    writers=("notifications", "portal"), readers=("accountability", "notifications", "portal"),
)
DIRECTORY = Topic("notifications.directory", "person id", (ev.PersonUpdated,),
                  writers=("portal", "admin"), readers=("notifications", "accountability"))


def dead_letter(service: str) -> str:
    """Each service's dead-letter topic: the original bytes, with the reason in headers."""
    return f"{service}.deadletter"


SERVICES = (Groups.ACTIONS, Groups.ACCOUNTABILITY, Groups.NOTIFICATIONS, Groups.PORTAL)
SHARED_TOPICS = (ACTION_CHANGES, ACCOUNTABILITY, RESPONSES, CLOCK, NOTICES, DIRECTORY)


def all_topic_names(systems: list[str]) -> list[str]:
    """Every topic the project needs for these systems, for creating them at start."""
    names = [t.name for t in SHARED_TOPICS]
    names += [dead_letter(s) for s in SERVICES]
    for system in systems:
        names += [system_inbound(system), system_feedback(system)]
    return names
