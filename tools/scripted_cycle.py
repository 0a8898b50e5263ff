"""The README's first command: a full governance cycle on the real stack, time compressed.

    .venv/bin/python -m tools.scripted_cycle [--out out/cycle]

The 11 systems commit to actions under the five action points and post progress; some
slip (progress behind plan, a missed milestone, a measure out of range, silence past the
deadline); leaders are asked to explain; one answers with a recovery plan and recovers,
one does not and reaches the Panel's agenda; the chair is notified; the Panel records a
decision; the cycle closes; the Board's report is written.

Time: a quarter of simulated days, one clock tick per day, published by this script (the
stack's own clock is off). E-mails go to an SMTP server this script runs, which writes
each one to ``<out>/notices/`` as an .eml file.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from aiokafka import AIOKafkaProducer
from aiosmtpd.controller import Controller

from shared.contracts import events as ev
from shared.contracts.envelope import Event
from shared.contracts.topics import CLOCK, DIRECTORY, RESPONSES, system_inbound
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.cycle_cast import YEAR, Cast, commitments, people
from tools.ports import free_port
from tools.servers import NoticeFolder
from tools.stack import Stack, running_stack

WAIT_SECONDS = 60.0  # for the services to catch up with what the script sent


# ---- the run -------------------------------------------------------------------------

@dataclass
class Story:
    """What happened, for the summary at the end and for the end-to-end test."""

    today: date | None = None
    statuses: dict[str, str] = field(default_factory=dict)
    agenda: list[dict[str, Any]] = field(default_factory=list)
    escalations: dict[str, str | None] = field(default_factory=dict)
    notices: list[dict[str, Any]] = field(default_factory=list)
    report: Path | None = None
    pdf: Path | None = None
    cycles: list[dict[str, Any]] = field(default_factory=list)
    histories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cast: Cast | None = None


class Cycle:
    def __init__(self, stack: Stack, folder: NoticeFolder, out: Path, say: Callable[[str], None]) -> None:
        self.stack = stack
        self.folder = folder
        self.out = out
        self.say = say
        self.systems = list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems)
        self.made = commitments(self.systems)
        self.cast = Cast.choose(self.made)
        self.story = Story(cast=self.cast)
        self.producer: AIOKafkaProducer | None = None
        self.http = httpx.AsyncClient(timeout=10)

    async def send(self, topic: str, event: Event) -> None:
        assert self.producer is not None
        await self.producer.send_and_wait(topic, event.to_bytes(), key=event.subject.encode())

    async def tick(self, day: date) -> None:
        now = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        await self.send(CLOCK.name, ev.ClockTicked.new(source="clock", subject="clock", data=ev.Tick(now=now),
                                                       occurred_at=now))
        self.story.today = day
        await self.wait_for(lambda s: s.get("as_of") == day.isoformat(), f"accountability to reach {day}")
        self.say(self.line())

    async def days(self, first: date, last: date) -> None:
        day = first
        while day <= last:
            await self.tick(day)
            day += timedelta(days=1)

    async def status(self) -> dict[str, Any]:
        r = await self.http.get(self.stack.url("accountability") + "/status")
        r.raise_for_status()
        found: dict[str, Any] = r.json()
        self.story.statuses = {a["action_id"]: a["status"] for a in found["actions"]}
        return found

    async def wait_for(self, check: Callable[[dict[str, Any]], bool], what: str) -> None:
        """Poll accountability's /status until ``check`` holds, for WAIT_SECONDS at most."""
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                while True:
                    if check(await self.status()):
                        return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise RuntimeError(f"timed out waiting for {what}; see the logs in {self.stack.logs_dir}") from None

    def line(self) -> str:
        counts: dict[str, int] = {}
        for s in self.story.statuses.values():
            counts[s] = counts.get(s, 0) + 1
        rag = " ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(counts.items()))
        return (f"{self.story.today}  actions {len(self.story.statuses):>2}  {rag:<45} "
                f"e-mails {len(self.folder.received)}")

    def progress(self, action_id: str, percent: float, day: date, **extra: Any) -> ev.ProgressReported:
        system = next(c.data.system for c in self.made if c.subject == action_id)
        narrative = extra.pop("narrative", ev.Narrative(working="Staff network co-designs the work",
                                                        stopping_progress="", not_working=""))
        return ev.ProgressReported.new(source=system, subject=action_id, data=ev.ProgressReport(
            action_id=action_id, as_of=day, percent_complete=percent, narrative=narrative, **extra))

    async def post(self, event: Event) -> None:
        await self.send(system_inbound(event.source), event)

    async def run(self) -> Story:
        self.producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka_bootstrap, enable_idempotence=True)
        await self.producer.start()
        try:
            await self.opening()
            await self.slipping()
            await self.answering()
            await self.panel()
            self.say("1 April: the cycle has closed")
            await self.finish()
            return self.story
        finally:
            await self.producer.stop()
            await self.http.aclose()

    async def opening(self) -> None:
        """January: the people, the cycle opens, every commitment, the first updates."""
        self.say("People: registering leaders, SROs, the Panel's chair and the Board's secretary")
        for person in people(self.systems):
            await self.send(DIRECTORY.name, ev.PersonUpdated.new(source="admin", subject=person.person_id,
                                                                 data=person))
        self.say("1 January: the cycle opens")
        await self.tick(date(YEAR, 1, 1))

        self.say(f"5 January: the {len(self.systems)} systems commit to {len(self.made)} actions")
        for made in self.made:
            await self.post(made)
        await self.wait_for(lambda s: s["count"] == len(self.made), "every commitment to be judged")
        await self.days(date(YEAR, 1, 5), date(YEAR, 1, 19))

        self.say("20 January: first updates from every system but one")
        day = date(YEAR, 1, 20)
        for made in self.made:
            if made.data.system != self.cast.silent_system:
                await self.post(self.progress(made.subject, 10, day))
        await self.days(day, date(YEAR, 2, 9))

    async def slipping(self) -> None:
        """10 February: three actions slip, one system stays silent."""
        c = self.cast
        self.say("10 February: progress updates; three actions slip, one system stays silent")
        day = date(YEAR, 2, 10)
        for made in self.made:
            a = made.subject
            if made.data.system == c.silent_system:
                continue
            if a == c.recovers:
                await self.post(self.progress(a, 5, day, narrative=ev.Narrative(
                    working="", stopping_progress="Our network chair left", not_working="Recruitment stalled")))
            elif a == c.ignores:
                await self.post(self.progress(a, 15, day, milestones_missed=["m1"]))
            elif a == c.measure:
                await self.post(self.progress(a, 30, day, milestones_reached=["m1"],
                                              measure_value=ev.MeasureValue(value=1.62, as_of=day)))
            else:
                await self.post(self.progress(a, 30, day, milestones_reached=["m1"]))
        await self.days(day, date(YEAR, 2, 16))

    async def answering(self) -> None:
        """17 February to 25 March: leaders answer, one action recovers, the second round of updates."""
        c = self.cast
        self.say("17 February: one leader sends a recovery plan, another explains the measure")
        await self.respond(ev.RecoveryPlanReceived, c.recovers, "We have a new network chair and a "
                           "weekly working group; we will be back on plan by 10 March.", date(YEAR, 3, 10))
        await self.respond(ev.ExplanationReceived, c.measure, "Three cases from one ward; an independent "
                           "review is under way.", None)
        await self.days(date(YEAR, 2, 17), date(YEAR, 3, 5))

        self.say("6 March: the recovering action catches up")
        await self.post(self.progress(c.recovers, 32, date(YEAR, 3, 6), milestones_reached=["m1"]))
        await self.days(date(YEAR, 3, 6), date(YEAR, 3, 11))

        self.say("12 March: the second round of updates (the silent system still posts nothing)")
        day = date(YEAR, 3, 12)
        for made in self.made:
            a = made.subject
            if made.data.system != c.silent_system and a not in (c.recovers, c.ignores):
                await self.post(self.progress(a, 35, day))
        await self.days(day, date(YEAR, 3, 25))

    async def panel(self) -> None:
        """26 March: the Panel meets and records a decision; the days to the cycle's close."""
        c = self.cast
        self.say("26 March: the Panel meets and records a decision")
        agenda = (await self.http.get(self.stack.url("accountability") + "/agenda")).json()
        self.story.agenda = agenda.get("items", [])
        await self.send(RESPONSES.name, ev.PanelDecisionRecorded.new(
            source="panel", subject=c.ignores, data=ev.PanelDecision(
                decision_id=f"d-{c.ignores}", meeting_id=agenda.get("meeting_id", "panel"), action_id=c.ignores,
                kind="recovery_plan_due", note="The Panel asks for a recovery plan with named owners.",
                due_date=date(YEAR, 4, 20))))
        await self.days(date(YEAR, 3, 26), date(YEAR, 4, 1))

    async def respond(self, kind: type[Event], action_id: str, text: str, recover_by: date | None) -> None:
        who = next(c.data.accountable_leader for c in self.made if c.subject == action_id)
        await self.send(RESPONSES.name, kind.new(source=who, subject=action_id, data=ev.LeaderResponse(
            action_id=action_id, from_person=who, text=text, recover_by=recover_by)))

    async def finish(self) -> None:
        from services.accountability.board_report import build_report_data, fetch, render_html, write_pdf

        base = self.stack.url("accountability")
        self.story.cycles = (await self.http.get(base + "/cycles")).json()["cycles"]
        for a in (await self.status())["actions"]:
            r = (await self.http.get(base + "/status/action", params={"id": a["action_id"]})).json()
            self.story.escalations[a["action_id"]] = (r.get("escalation") or {}).get("step")
            self.story.histories[a["action_id"]] = r.get("history", [])
        await asyncio.sleep(2)  # the last notices leave the notifications service
        self.story.notices = list(self.folder.received)
        summaries, status = await fetch(base)
        closed = next((s for s in summaries if s.get("final")), summaries[0])
        data = build_report_data(summaries, status, cycle_id=closed["cycle_id"])
        self.story.report = self.out / "board-report.html"
        self.story.report.write_text(render_html(data))
        try:
            self.story.pdf = self.out / "board-report.pdf"
            write_pdf(self.story.report, self.story.pdf)
        except Exception as exc:  # noqa: BLE001 - the HTML is the report; the PDF needs chromium
            self.say(f"(no PDF: {exc})")
            self.story.pdf = None


async def run_scripted_cycle(out: Path, say: Callable[[str], None] = print, **stack_options: Any) -> Story:
    notices = out / "notices"
    notices.mkdir(parents=True, exist_ok=True)
    for old in notices.glob("*.eml"):
        old.unlink()
    folder = NoticeFolder(notices)
    port = free_port()
    smtp = Controller(folder, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "GROUP_WAIT_SECONDS": "3600",
           "LOG_LEVEL": "WARNING"} | stack_options.pop("extra_env", {})
    try:
        say("Starting the stack: Kafka, PostgreSQL and the three services ...")
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        context = running_stack(with_clock=False, extra_env=env, logs_dir=out / "logs", **stack_options)
        stack = await loop.run_in_executor(None, context.__enter__)
        try:
            say(f"Stack ready in {time.monotonic() - started:.1f}s; logs in {stack.logs_dir}")
            return await Cycle(stack, folder, out, say).run()
        finally:
            await loop.run_in_executor(None, context.__exit__, None, None, None)
    finally:
        smtp.stop()


def _live(message: str) -> None:
    """A live line for the daily ticks, a new line for everything else."""
    if message[:4].isdigit():
        sys.stdout.write("\r" + message.ljust(100))
    else:
        sys.stdout.write("\n" + message + "\n")
    sys.stdout.flush()


def main(
    out: Annotated[Path, typer.Option(help="where notices, the report and logs go")] = Path("out/cycle"),
) -> None:
    """Run a full governance cycle on the real stack, time compressed, and show where to look."""
    out = out.resolve()
    story = asyncio.run(run_scripted_cycle(out, say=_live))
    print("\n")
    print("What happened")
    for action_id, step in story.escalations.items():
        if step or story.statuses.get(action_id) != "on_track":
            print(f"  {action_id:<45} {story.statuses.get(action_id, '?'):<10} ladder: {step or '-'}")
    print(f"  Panel agenda on 26 March: {', '.join(i['action_id'] for i in story.agenda) or 'empty'}")
    print(f"\nNotices: {len(story.notices)} e-mails in {out / 'notices'}")
    for n in story.notices[:12]:
        print(f"  {n['file']}  to {len(n['to'])}  {n['subject']}")
    print(f"\nThe Board's report: {story.report}")
    if story.pdf:
        print(f"                and {story.pdf}")
    (out / "story.json").write_text(json.dumps({
        "statuses": story.statuses, "escalations": story.escalations, "agenda": story.agenda,
        "notices": story.notices, "cycles": story.cycles}, indent=2, default=str))


if __name__ == "__main__":
    typer.run(main)
