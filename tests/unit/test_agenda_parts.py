"""The Panel's agenda travels in parts, each bounded by construction, so that however many actions
slip every part is one its readers can take (MAX_EVENT_BYTES)."""

from __future__ import annotations

from datetime import date

from services.accountability.domain import agenda_in_parts
from shared.contracts import events as ev
from shared.contracts import parse_event
from shared.contracts.envelope import MAX_EVENT_BYTES

WORST_CHAR = "\x01"  # escaped as \u0001 in JSON: six bytes for one character


def worst_item(n: int) -> ev.AgendaItem:
    """An item with every text at its cap, in the character that costs the most bytes."""
    long = WORST_CHAR * 20_000
    return ev.AgendaItem(
        action_id=f"a-{n:060d}", system="s-" + "x" * 60, title=long, status=ev.Status.OFF_TRACK,
        reasons=[ev.AgendaReason(rule=long, status=ev.Status.OFF_TRACK, message=long)] * 9,
        leader_response=long, concerns=[long] * 9, rebaseline_request=long)


def test_the_worst_part_of_an_agenda_is_still_small_enough_to_read():
    items = [worst_item(n) for n in range(ev.AGENDA_ITEMS_PER_PART)]
    part = agenda_in_parts("panel-2026-Q1", date(2026, 3, 26), "p-chair", items)[0]
    event = ev.AgendaPublished.new(source="accountability", subject="panel-2026-Q1", data=part)
    raw = event.to_bytes()
    assert len(raw) < MAX_EVENT_BYTES
    assert parse_event(raw) == event


def test_an_agenda_of_four_hundred_and_forty_one_slipping_actions_is_every_item_in_numbered_parts():
    items = [ev.AgendaItem(action_id=f"a-{n}", system="derby", title=f"Action {n}", status=ev.Status.OFF_TRACK,
                           reasons=[]) for n in range(441)]
    parts = agenda_in_parts("panel-2026-Q1", date(2026, 3, 26), "p-chair", items)
    assert [p.part for p in parts] == list(range(1, len(parts) + 1))
    assert {p.parts for p in parts} == {len(parts)}
    assert [i for p in parts for i in p.items] == items
    assert all(len(p.items) <= ev.AGENDA_ITEMS_PER_PART for p in parts)


def test_an_empty_agenda_is_one_part_with_nothing_on_it():
    assert [(p.part, p.parts, p.items) for p in agenda_in_parts("m-1", date(2026, 3, 26), "p-chair", [])] == [
        (1, 1, [])]


def test_a_long_text_is_shortened_and_says_so():
    item = ev.AgendaItem(action_id="a-1", system="derby", title="Title", status=ev.Status.OFF_TRACK, reasons=[],
                         leader_response="We recruited. " * 100)
    assert item.leader_response is not None and len(item.leader_response) <= 600
    assert item.leader_response.endswith(ev.SHORTENED)


def test_an_agenda_published_before_the_parts_is_still_read_as_one_whole_part():
    """A tolerant reader: the full reasons (rule version, settings, inputs) and no part numbers."""
    old = {"event_id": "00000000-0000-0000-0000-000000000001", "type": "agenda.published", "schema_version": 1,
           "source": "accountability", "subject": "panel-2026-Q1", "occurred_at": "2026-03-19T09:00:00Z",
           "correlation_id": "00000000-0000-0000-0000-000000000001",
           "data": {"meeting_id": "panel-2026-Q1", "meets_on": "2026-03-26", "chair": "p-chair", "items": [
               {"action_id": "a-1", "system": "derby", "title": "Title", "status": "off_track",
                "reasons": [{"rule": "milestone_missed", "status": "off_track", "message": "A milestone was missed.",
                             "rule_version": 2, "settings": {"grace_days": 7}, "inputs": {"due": "2026-02-01"}}]}]}}
    event = parse_event(old)
    assert isinstance(event, ev.AgendaPublished)
    assert (event.data.part, event.data.parts) == (1, 1)
    assert event.data.items[0].reasons[0].message == "A milestone was missed."
