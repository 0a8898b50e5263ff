"""The security rules without I/O: who a credential names, what a query may hold, when a link
outlives its notice, when a tick may move the clock, which secrets stop a service."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.accountability.domain import Clock, tick_refusal
from services.notifications.domain import ack_link_refusal, ack_signature, ack_signature_valid
from services.notifications.settings import NotificationsSettings
from services.portal.domain import notice_link_refusal
from shared.access import ACTING_ROLE_HEADER, Access, ApiRole, Principal, Refusal, bearer, new_client, query_problem
from shared.contracts import events as ev

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def test_a_credential_names_its_client_and_a_system_reads_only_its_own():
    token, client = new_client("system-black-country", [ApiRole.SYSTEM], "black-country")
    found = Access([client]).decide(bearer(token), frozenset({ApiRole.SYSTEM}))
    assert isinstance(found, Principal) and found.system == "black-country"
    assert found.may_read_system("black-country") and not found.may_read_system("lincolnshire")
    assert not found.may_read_system(None)
    assert Access([client]).decide(bearer(token), frozenset({ApiRole.BOARD})) == Refusal(
        403, "not_allowed", "this credential does not give the right to this route")
    assert Access([client]).decide({}, frozenset({ApiRole.SYSTEM})).status == 401  # type: ignore[union-attr]


def test_the_portal_opens_only_what_its_persons_role_opens():
    token, client = new_client("portal", [ApiRole.PORTAL])
    access = Access([client])
    assert access.decide(bearer(token), frozenset({ApiRole.BOARD})).code == "no_acting_role"  # type: ignore[union-attr]
    as_member = access.decide(bearer(token) | {ACTING_ROLE_HEADER: "board_member"}, frozenset({ApiRole.BOARD}))
    assert isinstance(as_member, Principal) and as_member.roles == {ApiRole.BOARD}
    as_leader = access.decide(bearer(token) | {ACTING_ROLE_HEADER: "leader"}, frozenset({ApiRole.BOARD}))
    assert isinstance(as_leader, Refusal) and as_leader.status == 403


@pytest.mark.parametrize("value", ["bc-1", "a", "black-country", "x" * 100])
def test_an_identifier_passes(value):
    assert query_problem({"id": [value]}, ["id"]) is None


@pytest.mark.parametrize("value", ["BC-1", "bc_1", "-bc", "bc-", "bc 1", "x" * 101, "bc-a\u00e7\u00e3o", "bc\x00"])
def test_anything_else_is_not_an_identifier(value):
    assert query_problem({"id": [value]}, ["id"]) is not None


def test_a_filter_that_is_not_an_id_must_still_be_short_printable_ascii():
    assert query_problem({"cycle_id": ["2026-Q1"]}, []) is None
    for bad in ("\x00", "caf\u00e9", "a\nb", "x" * 201):
        assert query_problem({"cycle_id": [bad]}, []).code == "bad_query_value"  # type: ignore[union-attr]


def test_an_ack_link_signed_with_the_key_before_the_rotation_still_holds():
    old = ack_signature("old-key", "n-1")
    assert ack_signature_valid("new-key", "n-1", old, ["old-key"])
    assert not ack_signature_valid("new-key", "n-1", old)


def test_an_ack_link_outlives_its_notice_once_expired_or_moved_on():
    assert ack_link_refusal(NOW - timedelta(days=3), NOW, False, 28) is None
    assert "expired" in (ack_link_refusal(NOW - timedelta(days=29), NOW, False, 28) or "")
    assert "moved on" in (ack_link_refusal(NOW, NOW, True, 28) or "")
    assert notice_link_refusal(date(2026, 3, 1), date(2026, 3, 2), False, 28) is None
    assert "expired" in (notice_link_refusal(date(2026, 1, 1), date(2026, 3, 2), False, 28) or "")
    assert "newer notice" in (notice_link_refusal(date(2026, 3, 1), date(2026, 3, 1), True, 28) or "")


def test_a_tick_moves_the_clock_only_forward_and_only_so_far_unless_an_operator_says_so():
    clock = Clock(now=NOW, today=NOW.date(), cycle_id="2026-Q1")
    step, tolerance = timedelta(days=7), timedelta(minutes=5)
    assert tick_refusal(clock, ev.Tick(now=NOW), NOW + timedelta(days=1), step, tolerance) is None
    assert tick_refusal(clock, ev.Tick(now=NOW), NOW - timedelta(minutes=1), step, tolerance) is None
    assert tick_refusal(clock, ev.Tick(now=NOW), NOW - timedelta(days=1), step, tolerance)[0] == "clock_backwards"
    assert tick_refusal(clock, ev.Tick(now=NOW), NOW + timedelta(days=8), step, tolerance)[0] == "clock_leap"
    moved = ev.Tick(now=NOW + timedelta(days=40), moved_on_by="p-ops-lead", reason="clock stopped")
    assert tick_refusal(clock, moved, NOW + timedelta(days=40), step, tolerance) is None
    first = Clock(now=None, today=None, cycle_id=None)
    assert tick_refusal(first, ev.Tick(now=NOW), NOW + timedelta(days=400), step, tolerance) is None


def test_weak_secrets_are_named_and_development_mode_lets_them_through():
    weak = NotificationsSettings(webhook_secret="change-me", ack_link_secret="short")
    assert weak.weak_secrets() == ["WEBHOOK_SECRET is the placeholder 'change-me'",
                                   "ACK_LINK_SECRET is shorter than 32 characters"]
    assert NotificationsSettings(webhook_secret="w" * 32, ack_link_secret="a" * 32).weak_secrets() == []
    assert NotificationsSettings(development_mode=True).weak_secrets() == []


@pytest.mark.parametrize("url", ["http://localhost:8004", "http://LOCALHOST", "https://portal.localhost/",
                                 "http://127.0.0.1:8004", "http://127.1.2.3", "http://[::1]:8004", "http://0.0.0.0",
                                 "not a url"])
def test_a_portal_address_on_this_machine_is_refused_outside_development_mode(url: str):
    assert "an address on this machine" in (NotificationsSettings(portal_public_url=url).local_portal_url() or "")
    assert NotificationsSettings(portal_public_url=url, development_mode=True).local_portal_url() is None


@pytest.mark.parametrize("url", ["https://portal.midlands-people-board.example", "http://10.0.0.7:8004",
                                 "https://localhost-portal.example"])
def test_a_portal_address_others_can_reach_is_accepted(url: str):
    assert NotificationsSettings(portal_public_url=url).local_portal_url() is None


def test_the_token_notifications_reads_the_boards_report_with_is_checked_only_where_it_is_used():
    strong = {"webhook_secret": "w" * 32, "ack_link_secret": "a" * 32}
    reading = NotificationsSettings(**strong, accountability_url="http://accountability:8000")
    assert reading.weak_secrets() == ["NOTIFICATIONS_ACCOUNTABILITY_TOKEN is missing"]
    assert NotificationsSettings(**strong).weak_secrets() == []  # the report is linked, not read
