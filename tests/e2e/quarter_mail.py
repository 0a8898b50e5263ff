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
            text=text.get_content().replace("\r\n", "\n"), html=html.get_content()))
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
