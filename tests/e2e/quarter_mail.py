"""Reading the quarter's e-mails as their readers do: each .eml the cycle's SMTP server kept, as its
plain text and HTML, with the headers that say its governance date, kinds and actions."""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email import policy
from pathlib import Path
from typing import Any

URL = re.compile(r"https?://\S+")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
NOTICE_ID = re.compile(r"\b[ngd]-[0-9a-f]{24}\b")
ACTION_ID = re.compile(r"\b[a-z]+(?:-[a-z]+)*-ap\d\b")
DATE_IN_WORDS = re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|"
                           r"November|December) \d{4}\b")


@dataclass(frozen=True)
class Mail:
    file: str
    to: str
    subject: str
    day: str  # the governance date (X-Governance-Date)
    kinds: tuple[str, ...]
    actions: tuple[str, ...]
    text: str
    html: str
    attachments: tuple[tuple[str, bytes], ...] = ()  # (file name, content)

    @property
    def words(self) -> str:
        """What the reader reads: the subject and the text, without the links' addresses."""
        return URL.sub("", f"{self.subject}\n{self.text}")


def quarter(story: Any) -> list[Mail]:
    folder = Path(story.report).parent / "notices"
    found = []
    for n in story.notices:
        message = email.message_from_bytes((folder / n["file"]).read_bytes(), policy=policy.default)
        text, html = message.get_body(("plain",)), message.get_body(("html",))
        assert text is not None and html is not None, f"{n['file']} lacks a text or an HTML part"
        found.append(Mail(
            file=n["file"], to=str(message["To"]), subject=str(message["Subject"]),
            day=str(message["X-Governance-Date"]),
            kinds=tuple(k.strip() for k in str(message["X-Governance-Kind"] or "").split(",") if k.strip()),
            actions=tuple(a.strip() for a in str(message["X-Governance-Action"] or "").split(",") if a.strip()),
            text=text.get_content().replace("\r\n", "\n"), html=html.get_content(),
            attachments=tuple((str(a.get_filename()), a.get_payload(decode=True)) for a in message.iter_attachments())))
    return found


def steps_before_the_date_told(histories: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every climb of the ladder on or before the date the leader was last given for that rung."""
    rung = {"leader_asked": 1, "panel_agenda": 2, "people_board": 3}
    found = []
    for action_id, history in histories.items():
        told: dict[str, str] = {}  # escalation id -> the last date told
        for h in history:
            if not h["what"].startswith("escalation "):
                continue
            esc, previous, step = h.get("escalation_id"), h.get("previous_step"), h.get("step")
            climbed = h["what"] == "escalation stepped" and previous and step and rung[step] > rung[previous]
            # a climb by the Panel's decision (to the Board) is the Panel's own date, not the ladder's
            if climbed and step != "people_board" and esc in told and h["on"] <= told[esc]:
                found.append(f"{action_id} climbed to {step} on {h['on']}, told {told[esc]}")
            if h.get("respond_by"):
                told[str(esc)] = h["respond_by"]
    return found


@dataclass(frozen=True)
class Fact:
    """Something a person must learn, about an action (or none), by e-mail of a kind, on a day (the
    day it happened) or, for ``before``, on a day before it (the agenda, before the meeting)."""

    to: str
    kind: str
    action: str
    on: str
    before: bool = False


def address(person_id: str) -> str:
    """The cast's addresses: p-lead-<system>-<n> is lead<n>.<system>@, p-sro-<s> sro.<s>@, and so on."""
    if person_id.startswith("p-lead-"):
        system, n = person_id.removeprefix("p-lead-").rsplit("-", 1)
        return f"lead{n}.{system}@example.org"
    role, _, system = person_id.removeprefix("p-").partition("-")
    return f"{role}.{system}@example.org"


def facts(story: Any, leaders: dict[str, str], systems: dict[str, str]) -> list[Fact]:
    """Every fact the quarter's e-mails told before they were made fewer (issue 11's "no loss of
    information"): each escalation step to its leader and SRO (the Panel's rung to the chair, by the
    agenda before the meeting; the Board's to the Board's secretary), each Panel decision to the leader,
    the SRO and the staff network lead who raised a concern, each answer's receipt to the leader, and
    the cycle's close to the Board's secretary."""
    found: list[Fact] = []
    closed = [c for c in story.cycles if not c["open"]]
    meeting = str(closed[0]["meeting_on"])
    for action, history in story.histories.items():
        if action not in leaders:  # the imported evidence's actions: the check below says if one was told of
            assert not [h for h in history if h["what"].startswith("escalation ")], (action, history)
            continue
        lead, sro = address(leaders[action]), f"sro.{systems[action]}@example.org"
        concerned = [address(h["from"]) for h in history if h["what"] == "staff network concern"]
        for h in history:
            if h["what"].startswith("escalation "):
                found += [Fact(lead, "escalation", action, h["on"]), Fact(sro, "escalation", action, h["on"])]
                if h.get("step") == "panel_agenda" and h["what"] != "escalation resolved":
                    found.append(Fact("panel.chair@example.org", "agenda", action, meeting, before=True))
                if h.get("step") == "people_board":
                    found.append(Fact("board.secretary@example.org", "escalation", action, h["on"]))
            elif h["what"] == "panel decision":
                found += [Fact(who, "panel_decision", action, h["on"]) for who in (lead, sro, *concerned)]
            elif h["what"] in ("recovery plan", "explanation"):
                found.append(Fact(lead, "answer_receipt", action, h["on"]))
    found += [Fact("board.secretary@example.org", "cycle_closed", "", str(c["closed_on"])) for c in closed]
    return found


def untold(found: list[Fact], mails: list[Mail]) -> list[Fact]:
    """The facts no e-mail told its person on its day (or, for ``before``, before it)."""
    def tells(m: Mail, f: Fact) -> bool:
        when = m.day < f.on if f.before else m.day == f.on
        return m.to == f.to and f.kind in m.kinds and (not f.action or f.action in m.actions) and when
    return [f for f in found if not any(tells(m, f) for m in mails)]
