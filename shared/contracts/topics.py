"""The one registry of topics, their partition keys, who writes and who reads them, and what
each is for (the AsyncAPI documents and the ACLs are derived from it).

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
    description: str = ""  # what the topic is for, in the AsyncAPI documents


class Groups:
    """Consumer groups: one per service, shared by all its instances."""

    ACTIONS = "actions"
    ACCOUNTABILITY = "accountability"
    NOTIFICATIONS = "notifications"
    PORTAL = "portal"


SYSTEM = "system"  # the party that stands for each of the systems in ``writers`` and ``readers``
OPS = "ops"  # the people who run the platform: they read the dead-letter topics

# One topic of each per system, ``{system}`` being its id in the reference data.
SYSTEM_INBOUND = Topic(
    "actions.inbound.{system}", "action id (the envelope's subject)", ev.SYSTEM_COMMANDS,
    writers=(SYSTEM,), readers=("actions",),
    description="Where one system posts its commitments, progress, milestones, measures, amendments, "
    "completions and withdrawals. Only that system may write it (an ACL on the secured listener), "
    "so the topic names the sender: the envelope's source must be the same system id.",
)
SYSTEM_FEEDBACK = Topic(
    "actions.feedback.{system}", "the refused event's subject ('unknown' when it had none)", (ev.InputRejected,),
    writers=("actions",), readers=(SYSTEM,),
    description="Why the actions service refused something the system posted: one input.rejected per "
    "refusal, with the code and reason, the refused event's id and where it sat in the inbound topic. "
    "Only that system may read it, with a consumer group whose name starts with system-<system id>.",
)
PER_SYSTEM_TOPICS = (SYSTEM_INBOUND, SYSTEM_FEEDBACK)


def system_inbound(system: str) -> str:
    """Where one system posts its commitments and progress. Only that system may write it."""
    return SYSTEM_INBOUND.name.format(system=system)


def system_feedback(system: str) -> str:
    """Where a system reads why its input was refused. Only that system may read it."""
    return SYSTEM_FEEDBACK.name.format(system=system)


SYSTEM_INBOUND_PATTERN = r"actions\.inbound\..+"

ACTION_CHANGES = Topic(
    "actions.changes", "action id", (ev.ActionChanged,),
    writers=("actions",), readers=("accountability", "portal"),
    description="Every change the actions service accepted: the action's whole snapshot after it, the "
    "type of the event that caused it and the fields that changed, in the order they were applied.",
)
ACCOUNTABILITY = Topic(
    "accountability.events", "action id (cycle id for cycle events)",
    (ev.ActionStatusChanged, ev.EscalationRaised, ev.EscalationStepped, ev.EscalationResolved,
     ev.CycleOpened, ev.CycleClosed, ev.ReminderDue, ev.AgendaPublished),
    writers=("accountability",), readers=("notifications", "portal"),
    description="What the accountability service decides: each action's status and the reasons for it, "
    "escalations raised, stepped up the ladder and resolved, cycles opened and closed, submission "
    "reminders and the Panel's agendas.",
)
RESPONSES = Topic(
    "governance.responses", "action id",
    (ev.ExplanationReceived, ev.RecoveryPlanReceived, ev.PanelDecisionRecorded, *ev.PEOPLES_ANSWERS,
     *ev.GOOD_PRACTICE, ev.CoverArranged),
    writers=("portal",), readers=("accountability", "notifications"),
    description="What people do through the portal, each act bound to who did it and in which role: an "
    "accountable leader's explanation or recovery plan for a slipping action, a request for more time, a "
    "contested flag, a staff network's concern, the Panel's decisions and the Board's consequences, good "
    "practice nominated, endorsed or declined by the Panel, and put forward for the MIDAS awards, and a "
    "leader naming a delegate or cover for a period.",
)
CLOCK = Topic("governance.clock", "'clock'", (ev.ClockTicked,), writers=("clock",),
              readers=("accountability", "notifications", "portal"), partitions=1,
              description="The governance clock: one tick at a time, with the date and time the services "
              "judge deadlines, grace periods and reminders by (one partition, so ticks stay in order).")
NOTICES = Topic(
    "notifications.events", "escalation, reminder or agenda id",
    (ev.NoticeSent, ev.NoticeFailed, ev.NoticeAcknowledged, ev.NoticeUnacknowledged, ev.NoticeAcknowledgementGiven),
    writers=("notifications", "portal"), readers=("accountability", "notifications", "portal"),
    description="What became of each notice: sent, failed (and whether for good), acknowledged by its "
    "recipient (through the link in it or in the portal), or left unacknowledged past its deadline.",
)
DIRECTORY = Topic("notifications.directory", "person id", (ev.PersonUpdated,),
                  writers=("portal", "admin"), readers=("notifications", "accountability"),
                  description="The directory of people the notices go to: name, contact details, roles, "
                  "channels, systems and whom they may act for. The only topic that carries contact details; "
                  "notifications reads it to write to people, accountability for roles and delegates (it keeps no "
                  "contact details).")


def dead_letter(service: str) -> str:
    """Each service's dead-letter topic: the original bytes, with the reason in headers."""
    return f"{service}.deadletter"


DEAD_LETTER_HEADERS = {
    "dlt-code": "why, as a stable code (not_json, not_an_object, missing_type, unknown_type, unexpected_type, "
                "missing_version, unsupported_version, schema_invalid, bad_identifier, too_large, handler_failed, "
                "clock_backwards, clock_leap)",
    "dlt-reason": "why, in words (at most 2,000 characters)",
    "dlt-service": "the service that refused it",
    "dlt-topic": "the topic the message was read from",
    "dlt-partition": "its partition there",
    "dlt-offset": "its offset there",
}


def dead_letter_topic(service: str) -> Topic:
    """The registry entry of ``service``'s dead-letter topic (no event type: the original bytes)."""
    return Topic(dead_letter(service), "the original message's key", (), writers=(service,), readers=(OPS,),
                 description=f"Everything the {service} service could not take: the original bytes, "
                 "unchanged, with the reason in the dlt-* headers. Read by ops (the ops principal on the "
                 "secured listener); the sender of a system's input is told on its feedback topic as well.")


SERVICES = (Groups.ACTIONS, Groups.ACCOUNTABILITY, Groups.NOTIFICATIONS, Groups.PORTAL)
SHARED_TOPICS = (ACTION_CHANGES, ACCOUNTABILITY, RESPONSES, CLOCK, NOTICES, DIRECTORY)


def all_topic_names(systems: list[str]) -> list[str]:
    """Every topic the project needs for these systems, for creating them at start."""
    names = [t.name for t in SHARED_TOPICS]
    names += [dead_letter(s) for s in SERVICES]
    for system in systems:
        names += [system_inbound(system), system_feedback(system)]
    return names
