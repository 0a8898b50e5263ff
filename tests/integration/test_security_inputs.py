"""The security suite, for what comes in other than HTTP, against the real broker and database: an id
that is not an id, a pushed clock, a default secret, a token in a log line. Each asserts the refusal
and that nothing changed."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
import structlog

from shared.contracts import events as ev
from shared.contracts.topics import CLOCK, system_inbound
from shared.logging import configure_logging
from tests.integration.test_accountability_service import end_offsets, harness, noon, read_from
from tests.integration.test_actions_service import db_rows, feedback_for, running_actions
from tests.kafka_tools import eventually, header, produce
from tests.samples import commitment

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
WAIT = 60


async def test_an_action_id_that_is_not_an_id_is_refused_to_its_sender_and_never_stored(kafka, topics, database_url):
    bad = "bc-a\u00e7\u00e3o-1"  # read back it could never be: refused where it comes in
    body = json.loads(commitment(action_id="bc-placeholder").to_bytes())
    body["subject"] = body["data"]["action_id"] = bad
    milestone = json.loads(commitment(action_id=f"bc-{uuid.uuid4().hex[:8]}").to_bytes())
    milestone["data"]["milestones"][0]["milestone_id"] = "M 1"
    async with running_actions(kafka, database_url):
        await produce(kafka, system_inbound("black-country"), [json.dumps(body).encode()], key=bad.encode())
        await produce(kafka, system_inbound("black-country"), [json.dumps(milestone).encode()],
                      key=milestone["subject"].encode())
        [refused] = await feedback_for(kafka, bad, 1)
        [refused_milestone] = await feedback_for(kafka, milestone["subject"], 1)
    assert refused.data.code == "bad_identifier" and "action_id" in refused.data.reason
    assert refused_milestone.data.code == "bad_identifier" and "milestone_id" in refused_milestone.data.reason
    assert await db_rows(database_url, "SELECT action_id FROM actions") == []


async def test_a_pushed_or_backward_tick_is_dead_lettered_and_changes_nothing_until_an_operator_moves_time(
        kafka, topics, database_url):
    async with harness(kafka, database_url, clock_max_step_days=7) as h:
        await h.tick(date(2026, 2, 1))
        await h.tick(date(2026, 2, 5))
        before = {t: await h.val(f"SELECT count(*) FROM {t}") for t in ("cycles", "outbox", "escalations")}
        dead_start = await end_offsets(kafka, ["accountability.deadletter"])
        pushed = ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=noon(date(2027, 6, 1))))
        backwards = ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=noon(date(2026, 1, 2))))
        await produce(kafka, CLOCK.name, [pushed.to_bytes(), backwards.to_bytes()], key=b"clock")
        dead = await eventually(lambda: _at_least(read_from(kafka, dead_start), 2), timeout=WAIT)
        assert [header(r, "dlt-code") for r in dead] == ["clock_leap", "clock_backwards"]
        assert "CLOCK_MAX_STEP_DAYS" in (header(dead[0], "dlt-reason") or "")
        assert await h.val("SELECT today FROM clock") == date(2026, 2, 5)
        assert {t: await h.val(f"SELECT count(*) FROM {t}") for t in before} == before
        # The operator moves time on, saying who and why: taken, however far.
        moved = ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(
            now=noon(date(2026, 3, 20)), moved_on_by="p-ops-lead", reason="the clock was stopped for six weeks"))
        await h.publish(CLOCK.name, moved)
        assert await h.val("SELECT today FROM clock") == date(2026, 3, 20)


async def _at_least(records, n: int):
    found = await records
    return found if len(found) >= n else None


def _start(service: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Make the service's app as its process does (settings from the environment), and stop there."""
    clean = {k: v for k, v in os.environ.items()
             if k not in {"WEBHOOK_SECRET", "ACK_LINK_SECRET", "DEVELOPMENT_MODE", "PORTAL_PUBLIC_URL"}}
    clean["PORTAL_PUBLIC_URL"] = "https://portal.midlands-people-board.example"
    return subprocess.run([sys.executable, "-c", f"from services.{service}.app import create_app; create_app()"],
                          cwd=REPO, env=clean | env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("webhook", "ack", "named"), [
    (None, "k" * 40, "WEBHOOK_SECRET is the placeholder 'change-me'"),  # unset: the shipped placeholder
    ("change-me", "k" * 40, "WEBHOOK_SECRET is the placeholder 'change-me'"),
    ("k" * 40, "change-me-too", "ACK_LINK_SECRET is the placeholder 'change-me-too'"),
    ("k" * 40, "short", "ACK_LINK_SECRET is shorter than 32 characters"),
    ("k" * 40, "", "ACK_LINK_SECRET is missing"),
])
def test_a_missing_default_or_short_secret_stops_the_service_and_says_which(webhook, ack, named):
    env = {"ACK_LINK_SECRET": ack} | ({"WEBHOOK_SECRET": webhook} if webhook else {})
    stopped = _start("notifications", **env)
    assert stopped.returncode != 0 and named in stopped.stderr, stopped.stderr[-2000:]


@pytest.mark.parametrize("public_url", ["http://localhost:8004", "https://127.0.0.1", "http://[::1]:8004"])
def test_notifications_will_not_start_when_its_links_would_point_at_this_machine(public_url: str):
    stopped = _start("notifications", WEBHOOK_SECRET="w" * 40, ACK_LINK_SECRET="a" * 40, PORTAL_PUBLIC_URL=public_url)
    assert stopped.returncode != 0, stopped.stderr[-2000:]
    assert f"PORTAL_PUBLIC_URL is {public_url!r}, an address on this machine" in stopped.stderr, stopped.stderr[-2000:]
    developer = _start("notifications", DEVELOPMENT_MODE="1", PORTAL_PUBLIC_URL=public_url)
    assert developer.returncode == 0, developer.stderr[-2000:]


def test_good_secrets_start_and_development_mode_is_explicit():
    assert _start("notifications", WEBHOOK_SECRET="w" * 40, ACK_LINK_SECRET="a" * 40).returncode == 0
    developer = _start("notifications", DEVELOPMENT_MODE="1")
    assert developer.returncode == 0, developer.stderr[-2000:]


@pytest.fixture
def logs_restored():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_no_token_or_signature_reaches_a_log_line(logs_restored):
    out = io.StringIO()
    configure_logging("security-test", stream=out, repeat_interval=0)
    access = logging.getLogger("uvicorn.access")
    handler = logging.StreamHandler(out)  # as uvicorn's own handler writes it
    access.addHandler(handler)
    access.disabled, access.level = False, logging.INFO  # whatever an earlier test's logging config left
    access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5", "GET", "/ack?notice=n-1&sig=deadbeef42", "1.1", 303)
    logging.getLogger("httpx").info("GET http://x/signed-in?code=c0de42&state=s7a7e42")
    structlog.get_logger("t").info("called", url="http://x/ack?sig=deadbeef42", header="Bearer tok3n42")
    access.removeHandler(handler)
    written = out.getvalue()
    assert "/ack?[query left out]" in written
    for secret in ("deadbeef42", "c0de42", "s7a7e42", "tok3n42"):
        assert secret not in written, written
