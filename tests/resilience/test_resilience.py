"""Break the real stack on purpose, under a steady stream of events, and check what must hold.

One stack (its own Kafka and PostgreSQL, the three services as processes, an SMTP server) runs
the scenarios in order; the clock is ours (``ClockTicked`` events), a month per scenario. After
each scenario, once the stack has caught up: the state equals a replay of the log (actions and
accountability), every notice went out once (receipts counted by Message-ID, duplicates
reported), nothing accepted was lost (every valid event accepted and judged at its version),
and every bad input sits in its service's dead-letter topic with its reason (forged events,
which are well formed, are refused as security events and told to their sender). The table of
what was done and what held is printed and written to test-logs/resilience.txt.

Run: ``bash deploy/resilience.sh`` (``RESILIENCE=1``; skipped otherwise).
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from shared.contracts import events as ev
from shared.contracts import parse_event
from shared.contracts.topics import ACCOUNTABILITY, ACTION_CHANGES, DIRECTORY, NOTICES, RESPONSES, system_inbound
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tests.resilience.rig import FIRST_DAY, BadInput, Mailbox, Rig, Row, check_everything, table
from tests.samples import one_of_each
from tools.kafka import KafkaServer
from tools.ports import free_port
from tools.postgres import PostgresServer
from tools.stack import PIPELINE, running_stack

pytestmark = pytest.mark.resilience

REPO = Path(__file__).resolve().parents[2]
SCENARIO_TIMEOUT = 150.0  # seconds, each scenario including its checks
BROKER_SCENARIO_TIMEOUT = 240.0  # the broker's own stop and start take half a minute of it
LONG_SCENARIO_TIMEOUT = 420.0  # a minute's outage, the broker's or database's restart, and catching up
# Long outages, scaled: the suite's delivery backoff is 0.2 s doubling to 1 s (the services' default
# is 1 s to 300 s), so 45 s of SMTP outage is past the ~10 s after which notices used to be given
# up; the broker and the database stay away a real minute.
SMTP_OUTAGE = 45.0
BROKER_OUTAGE = 60.0
DATABASE_OUTAGE = 60.0
ACTIONS_PER_SCENARIO = 40
RATE = 15.0  # events per second in the steady stream


@pytest.fixture(scope="module")
def rig_parts() -> Iterator[tuple[KafkaServer, PostgresServer, Any, Mailbox, Path]]:
    logs = Path(tempfile.mkdtemp(prefix="resilience-"))
    mailbox = Mailbox(port=free_port())
    mailbox.start()
    kafka = KafkaServer(keep_logs_in=logs)
    postgres = PostgresServer()
    try:
        kafka.start()
        postgres.start()
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(mailbox.port),
               # a claimed but unrecorded send (its instance killed) is retried soon, not in a minute
               "DELIVERY_LEASE_SECONDS": "3", "DELIVERY_RETRY_BASE_SECONDS": "0.2",
               "DELIVERY_RETRY_MAX_SECONDS": "1",
               # each notice is counted as its own e-mail, sent when due (the day's digest waits for the
               # clock to leave the day, which the stream's ticks never do); digests are tested elsewhere
               "ONE_EMAIL_A_DAY": "false",
               "CLOCK_MAX_STEP_DAYS": "31"}  # the suite moves the clock on by up to 8 days at a time
        with running_stack(PIPELINE, with_clock=False, kafka_bootstrap=kafka.bootstrap, postgres_url=postgres.dsn(),
                           logs_dir=logs, extra_env=env) as stack:
            yield kafka, postgres, stack, mailbox, logs
    finally:
        mailbox.stop()
        kafka.stop()
        postgres.stop()


@pytest.fixture(scope="module")
async def rig(rig_parts) -> AsyncIterator[Rig]:
    kafka, postgres, stack, mailbox, logs = rig_parts
    the_rig = Rig(kafka, postgres, stack, mailbox, ReferenceData.load(DEFAULT_REFERENCE_DATA), logs)
    try:
        await the_rig.register_people()
        await the_rig.tick(FIRST_DAY)
        await the_rig.settle()
        yield the_rig
    finally:
        for twin in the_rig.extra:
            twin.stop()
        report = table(the_rig.rows)
        print("\n\nResilience suite (logs in " + str(logs) + ")\n" + report)
        out = REPO / "test-logs" / "resilience.txt"
        out.parent.mkdir(exist_ok=True)
        out.write_text(report + "\n")


Fault = Callable[[Rig], Awaitable[None]]


async def scenario(rig: Rig, name: str, done: str, *, during_stream: Fault | None = None,
                   during_notices: Fault | None = None, bad_inputs: Callable[[Rig], list] | None = None,
                   catch_up: bool = False, timeout: float = SCENARIO_TIMEOUT) -> Row:
    """A month of the stack's life with a fault in it, then every check. ``catch_up``: the clock
    stalled for the month and sends every day it missed at once."""
    started = time.monotonic()
    row = Row(name, done)
    rig.rows.append(row)
    number = rig.scenarios = rig.scenarios + 1
    due = FIRST_DAY + timedelta(days=30 * number)  # this scenario's actions slip the day after
    dead_before = await rig.dead_letter_total()
    receipts_before = len(rig.mailbox.receipts)
    rig.fault_notes, rig.fault_problems = [], []

    def phase(what: str) -> None:
        row.timeline.append(f"{time.monotonic() - started:.0f}s {what}")

    async def fault(inflict: Fault) -> None:
        await asyncio.sleep(0.3)
        phase("fault")
        logged, began = rig.log_bytes(), time.monotonic()
        await inflict(rig)
        row.log_bytes, row.fault_seconds = rig.log_bytes() - logged, time.monotonic() - began
        phase("fault over")

    async def run() -> None:
        sent = rig.commitments(number, due, ACTIONS_PER_SCENARIO)
        items = [rig.inbound(e) for e in sent]
        bad: list[BadInput] = []
        phase("stream")
        stream = asyncio.create_task(rig.send(items, rate=RATE))
        if bad_inputs is not None:
            bad = await feed(rig, bad_inputs(rig))
        if during_stream is not None:
            await asyncio.sleep(1.7)
            await fault(during_stream)
        await stream
        phase("stream sent; settling")
        await rig.settle()
        phase("tick: this scenario's actions slip")
        missed = [rig.clock_day + timedelta(days=n) for n in range(1, (due - rig.clock_day).days + 1)]
        # Every action of this scenario slips: notices go out. A stalled clock catching up sends
        # every day it missed first, at once.
        await rig.tick(*(missed if catch_up else []), due + timedelta(days=1))
        if during_notices is not None:
            await fault(during_notices)
        await rig.settle()
        phase("tick: groups released")
        await rig.tick(max(due + timedelta(days=2), rig.clock_day))  # releases the groups collected the day before
        await rig.settle()
        phase("checks")
        await check_everything(rig, row, sent, bad, dead_before, receipts_before)
        phase("done")

    try:
        await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        row.problems.append(f"did not finish within {timeout:.0f}s; in flight: {rig.in_flight}; "
                            f"timeline: {', '.join(row.timeline)}")
    except Exception as exc:  # noqa: BLE001 - the row says what broke; the test fails on it
        row.problems.append(f"{type(exc).__name__}: {str(exc)[:500]}; timeline: {', '.join(row.timeline)}")
    row.problems = rig.fault_problems + row.problems + [f"note: {n}" for n in rig.fault_notes]
    row.held = row.held and not rig.fault_problems
    row.seconds = time.monotonic() - started
    return row


def assert_held(row: Row) -> None:
    assert row.held, "\n".join(row.problems)


# ---- bad input: malformed, oversized, wrongly versioned, forged -------------------------------

def samples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same on every run (derandomized)."""
    found: list[Any] = []

    @settings(max_examples=count, database=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def keep(value: Any) -> None:
        found.append(value)

    keep()
    return found[:count]


REQUIRED = ["type", "schema_version", "source", "subject", "data"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=8)


def valid_commitment(system: str) -> dict[str, Any]:
    action_id = f"bad-{uuid.uuid4().hex[:8]}"
    event = ev.CommitmentMade.new(source=system, subject=action_id, data=ev.Commitment(
        action_id=action_id, system=system, action_point="AP3", title="A title", accountable_leader="p-res-leader-0",
        start_date=date(2026, 1, 1), due_date=date(2026, 12, 31), milestones=[], trajectory=[], measure=None))
    return json.loads(event.to_bytes())


def bad_inputs(rig: Rig) -> list[tuple[str, str, str, bytes, bytes, str | None]]:
    """(kind, topic, service, key, value, event id of a forged one)"""
    home, other = rig.systems[0], rig.systems[1]
    inbound = system_inbound(home)
    out: list[tuple[str, str, str, bytes, bytes, str | None]] = []
    for raw in samples(st.binary(max_size=200).filter(lambda b: not b.strip().startswith(b"{")), 8):
        out.append(("malformed bytes", inbound, "actions", b"k", raw, None))
    for obj in samples(st.dictionaries(st.text(max_size=10), json_values, max_size=5), 6):
        out.append(("malformed object", inbound, "actions", b"k", json.dumps(obj).encode(), None))
    for drop in samples(st.sampled_from(REQUIRED), 5):
        event = valid_commitment(home)
        del event[drop]
        out.append((f"missing {drop}", inbound, "actions", b"k", json.dumps(event).encode(), None))
    for version in samples(st.one_of(st.integers(min_value=2, max_value=10**6), st.integers(max_value=0),
                                     st.text(max_size=3), st.booleans(), st.none()), 6):
        event = valid_commitment(home) | {"schema_version": version}
        out.append(("wrong version", inbound, "actions", b"k", json.dumps(event).encode(), None))
    event = valid_commitment(home)
    event["data"]["title"] = "x" * (300 * 1024)
    out.append(("oversized", inbound, "actions", b"k", json.dumps(event).encode(), None))
    # forged: well-formed events that claim someone else's identity or action
    as_other = valid_commitment(home) | {"source": other}
    out.append(("forged source", inbound, "actions", b"k", json.dumps(as_other).encode(), as_other["event_id"]))
    for_other = valid_commitment(other) | {"source": home}  # home commits on another system's behalf
    out.append(("forged system", inbound, "actions", b"k", json.dumps(for_other).encode(), for_other["event_id"]))
    # the other services' inputs take as much bad input, of every kind
    out += bad_inputs_for("response", RESPONSES.name, "accountability", answer())
    out += bad_inputs_for("action change", ACTION_CHANGES.name, "accountability",
                          json.loads(samples_of(ev.ActionChanged).to_bytes()))
    out += bad_inputs_for("person", DIRECTORY.name, "notifications", person_update())
    out += bad_inputs_for("escalation", ACCOUNTABILITY.name, "notifications",
                          json.loads(samples_of(ev.EscalationRaised).to_bytes()))
    return out


def answer(text: str = "late") -> dict[str, Any]:
    return json.loads(ev.ExplanationReceived.new(source="leaders", subject="a1", data=ev.LeaderResponse(
        action_id="a1", from_person="p-res-leader-0", text=text)).to_bytes())


def person_update(name: str = "Person 9") -> dict[str, Any]:
    return json.loads(ev.PersonUpdated.new(source="admin", subject="p-res-9", data=ev.Person(
        person_id="p-res-9", name=name, email="p-res-9@example.org")).to_bytes())


def poisoned_change() -> dict[str, Any]:
    """An action's snapshot whose title PostgreSQL cannot store (a NUL): accountability keeps every
    snapshot it judges, so its handler fails on it. (An answer no longer reaches a table: one from
    someone without the right to act is refused before anything is stored.)"""
    change = json.loads(samples_of(ev.ActionChanged).to_bytes())
    action_id = f"poison-{uuid.uuid4().hex[:8]}"  # an action accountability has never seen
    change["subject"] = change["data"]["snapshot"]["action_id"] = action_id
    change["data"]["snapshot"]["title"] = "Review\u0000panel"
    return change


def samples_of(kind: type[ev.Event]) -> ev.Event:
    return next(e for e in one_of_each() if isinstance(e, kind))


def bad_inputs_for(what: str, topic: str, service: str, valid: dict[str, Any]
                   ) -> list[tuple[str, str, str, bytes, bytes, str | None]]:
    """Malformed bytes and objects, a missing field, a wrong schema version and a field of the
    wrong type, built from a valid event of that topic."""
    key = str(valid["subject"]).encode()
    out: list[tuple[str, str, str, bytes, bytes, str | None]] = []
    for raw in samples(st.binary(min_size=1, max_size=100).filter(lambda b: not b.strip().startswith(b"{")), 4):
        out.append((f"malformed {what}", topic, service, key, raw, None))
    for obj in samples(st.dictionaries(st.text(max_size=10), json_values, max_size=5), 3):
        out.append((f"malformed {what} object", topic, service, key, json.dumps(obj).encode(), None))
    for drop in samples(st.sampled_from(REQUIRED), 2):
        broken = {k: v for k, v in valid.items() if k != drop}
        out.append((f"{what} missing {drop}", topic, service, key, json.dumps(broken).encode(), None))
    for version in samples(st.integers(min_value=2, max_value=10**6), 2):
        out.append((f"{what} wrong version", topic, service, key,
                    json.dumps(valid | {"schema_version": version}).encode(), None))
    out.append((f"{what} data of the wrong type", topic, service, key,
                json.dumps(valid | {"data": [1]}).encode(), None))
    return out


def poison_inputs(rig: Rig) -> list[tuple[str, str, str, bytes, bytes, str | None]]:
    """Well-formed events each service's handler fails on (a NUL character, which PostgreSQL cannot
    store): retried, then dead-lettered as ``handler_failed``, and the consumer goes on."""
    commitment = valid_commitment(rig.systems[0])
    commitment["data"]["title"] = "Review\u0000panel"
    return [
        ("poison commitment", system_inbound(rig.systems[0]), "actions", commitment["subject"].encode(),
         json.dumps(commitment).encode(), None),
        ("poison action change", ACTION_CHANGES.name, "accountability", b"poison",
         json.dumps(poisoned_change()).encode(), None),
        ("poison person", DIRECTORY.name, "notifications", b"p-res-9",
         json.dumps(person_update("Person\u00009")).encode(), None),
    ]


async def feed(rig: Rig, items: list[tuple[str, str, str, bytes, bytes, str | None]]) -> list[BadInput]:
    placed = await rig.send([(topic, key, value) for _, topic, _, key, value, _ in items])
    return [BadInput(kind, t, p, o, service, event_id)
            for (kind, _, service, _, _, event_id), (t, p, o) in zip(items, placed, strict=True)]


# ---- the scenarios, in order --------------------------------------------------------------

def crash(service: str, *, while_sending: bool = False) -> Fault:
    async def fault(rig: Rig) -> None:
        await rig.crash_and_restart(service, while_sending=while_sending)

    return fault


async def smtp_outage(rig: Rig) -> None:
    """SMTP away for longer than any retry window (the old give-up came after about 10 s at the
    suite's scaled backoff), while the clock moves past the leaders' acknowledgement grace."""
    rig.mailbox.stop()
    await asyncio.sleep(SMTP_OUTAGE / 2)
    status, body = await rig.ready_report("notifications")
    if status != 503 or not any(p.startswith("smtp:") for p in body["problems"]):
        rig.fault_problems.append(f"notifications /ready said {status} {body['problems']} while SMTP was down")
    await rig.tick(rig.clock_day + timedelta(days=8))  # past the 7 days' grace: nothing delivered, nobody silent
    await asyncio.sleep(SMTP_OUTAGE / 2)
    waiting = await rig.val("notifications", "SELECT count(*) FROM notices WHERE status IN ('pending', 'sending')")
    failed = await rig.val("notifications", "SELECT count(*) FROM notices WHERE status = 'failed'")
    rig.fault_notes.append(f"after {SMTP_OUTAGE:.0f}s without SMTP: {waiting} notices waiting, {failed} given up")
    if failed:
        rig.fault_problems.append(f"{failed} notices given up during the outage")
    rig.mailbox.start()


async def broker_killed(rig: Rig) -> None:
    await asyncio.to_thread(rig.kafka.kill)  # SIGKILL while the outboxes publish
    await asyncio.sleep(BROKER_OUTAGE)
    await asyncio.to_thread(rig.kafka.relaunch)


async def database_down(rig: Rig) -> None:
    await asyncio.to_thread(rig.postgres.stop_server, "fast")
    await asyncio.sleep(DATABASE_OUTAGE / 2)
    status, body = await rig.ready_report("actions")
    rig.fault_notes.append(f"actions /ready during the outage: {status} {body['problems'][:2]}")
    if status != 503:
        rig.fault_problems.append(f"actions /ready said {status} while its database was down")
    await asyncio.sleep(DATABASE_OUTAGE / 2)
    await asyncio.to_thread(rig.postgres.start_server)


async def broker_restart(rig: Rig) -> None:
    await asyncio.to_thread(rig.stop_broker)
    await asyncio.sleep(3)  # the stream keeps trying while the broker is down
    await asyncio.to_thread(rig.start_broker)


async def database_restart(rig: Rig) -> None:
    await asyncio.to_thread(rig.postgres.stop_server, "fast")
    await asyncio.sleep(3)  # the services keep consuming into a database that is not there
    await asyncio.to_thread(rig.postgres.start_server)


async def test_actions_killed_and_restarted_under_the_stream_loses_nothing(rig: Rig):
    assert_held(await scenario(rig, "kill -9 actions", "actions killed mid-stream, started again",
                               during_stream=crash("actions")))


async def test_accountability_killed_and_restarted_under_the_stream_loses_nothing(rig: Rig):
    assert_held(await scenario(rig, "kill -9 accountability", "accountability killed mid-stream, started again",
                               during_stream=crash("accountability")))


async def test_actions_and_accountability_killed_mid_batch_apply_each_event_once(rig: Rig):
    async def mid_batch(rig: Rig) -> None:
        await rig.kill9_mid_batch("actions")
        await rig.kill9_mid_batch("accountability")

    assert_held(await scenario(rig, "kill -9 mid-batch", "actions, then accountability, killed with a batch "
                               "written and not committed, started again", during_stream=mid_batch))


async def test_notifications_killed_while_sending_tells_everyone_once(rig: Rig):
    assert_held(await scenario(rig, "kill -9 notifications", "notifications killed while sending, started again",
                               during_notices=crash("notifications", while_sending=True)))


async def test_broker_stopped_and_restarted_under_the_stream_loses_nothing(rig: Rig):
    assert_held(await scenario(rig, "broker restart", "Kafka stopped mid-stream for 3s, started on its data",
                               during_stream=broker_restart, timeout=BROKER_SCENARIO_TIMEOUT))


async def test_bad_input_is_dead_lettered_with_its_reason_and_the_stream_carries_on(rig: Rig):
    assert_held(await scenario(rig, "bad input", "malformed/oversized/wrong-version/forged fed into the stream",
                               bad_inputs=bad_inputs))


async def test_two_instances_of_each_service_one_killed_takes_no_step_twice(rig: Rig):
    twins: dict[str, Any] = {}

    async def start_twins() -> None:
        for service in ("actions", "accountability", "notifications"):
            twins[service] = await rig.second_instance(service)
        await asyncio.sleep(3)  # the groups rebalance onto both instances

    async def kill_actions_twin(rig: Rig) -> None:
        rig.kill9(twins["actions"])

    async def kill_other_twins(rig: Rig) -> None:
        rig.kill9(twins["accountability"])
        await rig.kill9_while_sending(twins["notifications"])  # a send in flight, by one instance or the other

    await start_twins()
    assert_held(await scenario(rig, "two instances, one killed",
                               "2nd instance of each; actions' killed mid-stream, the others while sending",
                               during_stream=kill_actions_twin, during_notices=kill_other_twins))


async def test_database_stopped_and_restarted_under_the_stream_loses_nothing(rig: Rig):
    assert_held(await scenario(rig, "database restart", "PostgreSQL stopped mid-stream for 3s, started again",
                               during_stream=database_restart))


async def test_a_handler_failing_on_a_poison_event_retries_then_dead_letters_it_in_every_service(rig: Rig):
    assert_held(await scenario(rig, "poison events", "one event each service's handler fails on (NUL character)",
                               bad_inputs=poison_inputs))


async def test_an_smtp_outage_longer_than_any_retry_window_delivers_every_notice_once_and_nobody_climbs(rig: Rig):
    row = await scenario(rig, "SMTP down long", f"SMTP down {SMTP_OUTAGE:.0f}s while sending, clock +8 days",
                         during_notices=smtp_outage)
    # The notices reached their leaders at clock day due+9, past the 7 days' grace counted from the
    # escalation: counted from delivery, nobody is silent yet, so nothing hurries the ladder.
    ours = f"res{rig.scenarios}-"
    silent = [e for e in (parse_event(r.value) for r in await rig.read_all([NOTICES.name]))
              if isinstance(e, ev.NoticeUnacknowledged) and e.subject.startswith(ours)]
    hurried = await rig.val("accountability", "SELECT count(*) FROM escalations WHERE action_id LIKE $1"
                            " AND hurry_by IS NOT NULL", f"{ours}%")
    steps = await rig.rows_of("accountability", "SELECT coalesce(step, 'resolved') AS step, count(*) AS n"
                              " FROM escalations WHERE action_id LIKE $1 GROUP BY 1 ORDER BY 1", f"{ours}%")
    row.problems.append("note: this scenario's escalations: " + ", ".join(f"{r['n']} {r['step']}" for r in steps))
    row.problems += [f"{len(silent)} notices delivered after the outage reported unacknowledged at once"] * bool(silent)
    row.problems += [f"{hurried} escalations hurried by silence about a notice delivered late"] * bool(hurried)
    row.held = row.held and not silent and not hurried
    assert_held(row)


async def test_the_broker_killed_for_a_minute_while_outboxes_publish_loses_nothing(rig: Rig):
    assert_held(await scenario(rig, "broker killed 60s", f"Kafka SIGKILLed mid-stream for {BROKER_OUTAGE:.0f}s, "
                               "started on its data", during_stream=broker_killed, timeout=LONG_SCENARIO_TIMEOUT))


async def test_the_database_down_for_a_minute_under_the_stream_loses_nothing(rig: Rig):
    assert_held(await scenario(rig, "database down 60s", f"PostgreSQL stopped mid-stream for {DATABASE_OUTAGE:.0f}s",
                               during_stream=database_down, timeout=LONG_SCENARIO_TIMEOUT))


async def test_a_clock_that_stalls_and_catches_up_judges_every_day_once(rig: Rig):
    assert_held(await scenario(rig, "clock stalls, catches up", "no tick for a month, then every day's at once",
                               catch_up=True, timeout=LONG_SCENARIO_TIMEOUT))


async def test_every_event_a_service_publishes_is_one_its_consumer_can_read(rig: Rig):
    """Checked last, over everything the scenarios did (they report it as a note): an event a service
    publishes that its consumer refuses is a notice nobody gets."""
    assert not rig.unreadable, f"{len(rig.unreadable)} published events refused: {list(rig.unreadable.items())[:3]}"


@pytest.mark.xfail(strict=False, reason=(
    "known limitation, open: with two instances, a notice.unacknowledged handled while a clock tick is "
    "still judging actions can take a step the replay attributes to the tick; the state is equal, "
    "only causation_id differs (services/accountability/README.md, Replay)"))
async def test_replay_names_the_same_cause_for_every_emitted_event(rig: Rig):
    """The log replayed must give the same outbox, causation ids included: an event's cause is part
    of the audit trail ("every accepted change can be traced"). Checked last, over everything the
    scenarios did; the scenarios above report it as a note so that it does not hide other failures."""
    assert not rig.other_cause, (
        f"{len(rig.other_cause)} emitted events name a different causation_id live and on replay, e.g. "
        f"{rig.other_cause[:3]}: live, a notice.unacknowledged handled while a clock tick was still judging "
        "actions took the step first; on replay the tick did")
