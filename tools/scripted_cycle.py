"""The README's first command: a full governance cycle on the real stack, time compressed.

    .venv/bin/python -m tools.scripted_cycle [--out out/cycle] [--no-stay] [--year]

The 11 systems commit to actions under the five action points and post progress; some
slip (progress behind plan, a missed milestone, a measure out of range, silence past the
deadline); leaders are asked to explain; one answers with a recovery plan and recovers,
one does not and reaches the Panel's agenda, where a staff network's concern joins it; the
chair is notified; the Panel records its decisions, e-mailed to the leader, the SRO and the
staff network lead, and refers the action to the People Board, which agrees a consequence; the
cycle closes; the Board's report is written.

Systems post through Kafka, as systems do. People act through the portal, as people do: every
human step (the recovery plan, the explanation, the staff network's concern, the Panel's
decisions, the Board's consequence) is a form sent over HTTP by someone signed in through the identity server as that
person (``tools.cycle_portal``). Then the stack keeps running (unless ``--no-stay``) so a person
can sign in to the portal and look, or do the same by hand.

Time: a quarter of simulated days, one clock tick per day, published by this script (the
stack's own clock is off). E-mails go to an SMTP server this script runs, which writes
each one to ``<out>/notices/`` as an .eml file.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from aiosmtpd.controller import Controller

from shared.contracts import events as ev
from shared.contracts.envelope import Event
from shared.contracts.topics import ACCOUNTABILITY, CLOCK, Groups, system_inbound
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.cycle_cast import CHAIR, YEAR, Cast, commitments
from tools.cycle_evidence import Evidence
from tools.cycle_portal import PortalPeople, until
from tools.cycle_record import caught_up, fail_on_refusals, live, received, write_story
from tools.portal_cast import BOARD_MEMBER, staff_network_lead
from tools.ports import free_port
from tools.scripted_year import rest_of_year
from tools.servers import NoticeFolder
from tools.stack import Stack, running_stack
from tools.stack_clients import Publisher

WAIT_SECONDS = 60.0  # for the services to catch up with what the script sent


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
    portal: str = ""  # where people reach the portal
    identity: str = ""  # the identity server they sign in at
    sign_in: list[str] = field(default_factory=list)  # the demonstration's people, how to sign in as each


class Cycle:
    def __init__(self, stack: Stack, folder: NoticeFolder, out: Path, say: Callable[[str], None]) -> None:
        self.stack = stack
        self.folder = folder
        self.out = out
        self.say = say
        self.systems = list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems)
        self.made = commitments(self.systems)
        self.cast = Cast.choose(self.made)
        self.people = PortalPeople(stack.url("portal"), stack.database_urls["portal"], self.systems)
        self.story = Story(cast=self.cast, portal=stack.url("portal"),
                           identity=stack.identity.issuer if stack.identity else "")
        self.kafka = Publisher(stack)  # as each system and the clock, under their own logins when secured
        self.http = httpx.AsyncClient(timeout=10, headers=stack.api_keys.headers())
        self.posted: Counter[str] = Counter()

    async def send(self, topic: str, event: Event) -> None:
        await self.kafka.send(topic, event)

    async def tick(self, day: date) -> None:
        # Deterministic: what was posted is judged on the day it was posted, before the clock moves on.
        await self.wait_for(lambda s: all(a["version"] >= self.posted[a["action_id"]] for a in s["actions"]),
                            "accountability to judge what was posted (a refused post never is)")
        await caught_up(self.stack.kafka_bootstrap, Groups.NOTIFICATIONS, ACCOUNTABILITY.name)
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
        counts = Counter(self.story.statuses.values())
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
        self.posted[event.subject] += 1  # each accepted post is a new version of the action
        await self.send(system_inbound(event.source), event)

    async def run(self, year: bool = False) -> Story:
        evidence = Evidence.for_cycle(self)
        try:  # the evidence's steps (issue 16): a bulk import with WRES-3 counts; good practice endorsed
            for step in (self.opening, evidence.imported, self.slipping, self.answering, evidence.endorsed, self.panel):
                await step()
            self.say("1 April: the cycle has closed")
            if year:
                await rest_of_year(self)  # --year: three more quarters (tools.scripted_year)
            await self.finish()
            return self.story
        finally:
            await self.kafka.stop()
            await self.http.aclose()

    async def opening(self) -> None:
        """January: the people, the cycle opens, every commitment, the first updates."""
        self.say("People: who is who in the portal (leaders, SROs, the Panel, the Board, staff network leads),"
                 " published on the directory")
        await self.people.load()
        self.story.sign_in = self.people.how_to_sign_in(self.parts())
        self.say("1 January: the cycle opens")
        await self.tick(date(YEAR, 1, 1))

        self.say(f"5 January: the {len(self.systems)} systems commit to {len(self.made)} actions")
        await self.days(date(YEAR, 1, 2), date(YEAR, 1, 5))  # each post is judged on the day it is dated
        for made in self.made:
            await self.post(made)
        await self.wait_for(lambda s: s["count"] == len(self.made), "every commitment to be judged")
        await self.days(date(YEAR, 1, 6), date(YEAR, 1, 20))

        self.say("20 January: first updates from every system but one")
        day = date(YEAR, 1, 20)
        for made in self.made:
            if made.data.system != self.cast.silent_system:
                await self.post(self.progress(made.subject, 10, day))
        await self.days(day + timedelta(days=1), date(YEAR, 2, 10))

    async def slipping(self) -> None:
        """10 February: three actions slip, one system stays silent."""
        c = self.cast
        self.say("10 February: progress updates; three actions slip, one system stays silent")
        day = date(YEAR, 2, 10)
        for made in self.made:
            a = made.subject
            if made.data.system == c.silent_system:
                continue
            if a == c.recovers:  # falls behind, and says why (a fall needs its reason, or it is refused)
                await self.post(self.progress(a, 5, day, reason_for_decrease="Two workstreams paused", narrative=ev.
                    Narrative(working="", stopping_progress="Our network chair left", not_working="Hiring stalled")))
            elif a == c.ignores:
                await self.post(self.progress(a, 15, day, milestones_missed=["m1"]))
            elif a == c.measure:
                await self.post(self.progress(a, 30, day, milestones_reached=["m1"],
                                              measure_value=ev.MeasureValue(value=1.62, as_of=day)))
            else:
                await self.post(self.progress(a, 30, day, milestones_reached=["m1"]))
        await self.days(day + timedelta(days=1), date(YEAR, 2, 17))
        await fail_on_refusals(self.stack.kafka_bootstrap, self.systems)

    def leader(self, action_id: str) -> str:
        return next(c.data.accountable_leader for c in self.made if c.subject == action_id)

    def system(self, action_id: str) -> str:
        return next(c.data.system for c in self.made if c.subject == action_id)

    def parts(self) -> dict[str, str]:
        """The people the story has act, and what each does."""
        c = self.cast
        return {self.leader(c.recovers): f"sends a recovery plan for {c.recovers}",
                self.leader(c.measure): f"explains the measure of {c.measure}",
                self.leader(c.ignores): f"stays silent about {c.ignores}",
                staff_network_lead(self.system(c.ignores)): f"raises a concern about {c.ignores}",
                CHAIR: f"receives the agenda; records the Panel's decisions on {c.ignores}",
                BOARD_MEMBER: f"records the consequence the People Board agreed for {c.ignores}; reads the report"}

    async def recorded(self, action_id: str, what: str, count: int = 1) -> None:
        """Wait until accountability has ``count`` of ``what`` in the action's history (it checked the
        right to act first)."""
        url = self.stack.url("accountability") + "/status/action"

        async def there() -> bool:
            found = (await self.http.get(url, params={"id": action_id})).json()
            return bool(sum(h["what"] == what for h in found.get("history", [])) >= count)

        await until(there, f"accountability to record the {what} on {action_id} (logs in {self.stack.logs_dir})")

    async def answering(self) -> None:
        """17 February to 25 March: leaders answer in the portal, a staff network raises a concern there,
        one action recovers, the second round of updates."""
        c = self.cast
        self.say("17 February: in the portal, one leader sends a recovery plan, another explains the measure")
        await self.people.act(self.leader(c.recovers), f"/actions/{c.recovers}/answer/recovery-plan", {
            "summary": "We have a new network chair and a weekly working group; we will be back on plan by 10 March.",
            "step-1-what": "Appoint the new staff network chair", "step-1-by": date(YEAR, 2, 24).isoformat(),
            "step-2-what": "Weekly working group catches up on the plan", "step-2-by": date(YEAR, 3, 10).isoformat()})
        await self.people.act(self.leader(c.measure), f"/actions/{c.measure}/answer/explanation", {
            "explanation": "Three cases from one ward; an independent review is under way."})
        await self.recorded(c.recovers, "recovery plan")
        await self.recorded(c.measure, "explanation")
        await self.days(date(YEAR, 2, 18), date(YEAR, 3, 2))

        self.say("2 March: in the portal, the staff network lead raises a concern about the silent action")
        await self.people.act(staff_network_lead(self.system(c.ignores)), f"/actions/{c.ignores}/concern", {
            "kind": "concern", "text": "The plan was never agreed with the staff network, and BME staff have "
                                       "heard nothing since January."})
        await self.recorded(c.ignores, "staff network concern")
        await self.days(date(YEAR, 3, 3), date(YEAR, 3, 6))

        self.say("6 March: the recovering action catches up")
        await self.post(self.progress(c.recovers, 32, date(YEAR, 3, 6), milestones_reached=["m1"]))
        await self.days(date(YEAR, 3, 7), date(YEAR, 3, 12))

        self.say("12 March: the second round of updates (the silent system still posts nothing)")
        day = date(YEAR, 3, 12)
        for made in self.made:
            a = made.subject
            if made.data.system != c.silent_system and a not in (c.recovers, c.ignores):
                await self.post(self.progress(a, 35, day))
        await self.days(day + timedelta(days=1), date(YEAR, 3, 26))

    async def panel(self) -> None:
        """26 March: the Panel meets; its chair records its decisions in the portal, one referring the action
        to the People Board; 30 March: a Board member records the consequence the Board agreed."""
        c = self.cast
        self.say("26 March: the Panel meets; its chair records two decisions in the portal (a recovery plan due, "
                 "and a referral to the People Board)")
        agenda = (await self.http.get(self.stack.url("accountability") + "/agenda")).json()
        self.story.agenda = agenda.get("items", [])
        await self.people.act(CHAIR, f"/panel/items/{c.ignores}", {
            "kind": "recovery_plan_due", "note": "The Panel asks for a recovery plan with named owners.",
            "due-date": date(YEAR, 4, 20).isoformat()})
        await self.people.act(CHAIR, f"/panel/items/{c.ignores}", {
            "kind": "referred_to_board", "note": "No answer to the leader's notices and a concern from the staff "
                                                 "network: the People Board should consider a consequence."})
        await self.recorded(c.ignores, "panel decision", count=2)
        await self.days(date(YEAR, 3, 27), date(YEAR, 3, 30))

        self.say("30 March: in the portal, a People Board member records the consequence the Board agreed")
        await self.people.act(BOARD_MEMBER, f"/board/actions/{c.ignores}", {
            "consequence": "Transformation funding for this work is held back until the Panel accepts a recovery plan.",
            "owner": f"p-sro-{self.system(c.ignores)}", "follow-up-by": date(YEAR, 4, 30).isoformat()})
        await self.recorded(c.ignores, "board consequence")
        await self.days(date(YEAR, 3, 31), date(YEAR, 4, 2))  # 2 April: 1 April's notices leave (one a day)

    async def finish(self) -> None:
        from services.accountability.board_report import build_report_data, fetch, render_html, write_pdf

        base = self.stack.url("accountability")
        self.story.cycles = (await self.http.get(base + "/cycles")).json()["cycles"]
        for a in (await self.status())["actions"]:
            r = (await self.http.get(base + "/status/action", params={"id": a["action_id"]})).json()
            self.story.escalations[a["action_id"]] = (r.get("escalation") or {}).get("step")
            self.story.histories[a["action_id"]] = r.get("history", [])
        await fail_on_refusals(self.stack.kafka_bootstrap, self.systems)
        await received(self.folder, "cycle_closed")  # it carries the report, read and printed as it leaves
        await asyncio.sleep(2)  # the last notices leave the notifications service
        self.story.notices = list(self.folder.received)
        summaries, status = await fetch(base, headers=self.stack.api_keys.headers())
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


async def run_scripted_cycle(out: Path, say: Callable[[str], None] = print,
                             linger: Callable[[Story], Awaitable[None]] | None = None, year: bool = False,
                             **stack_options: Any) -> Story:
    """The cycle on a stack of its own; ``linger`` runs once the story is told, before the stack stops."""
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
        say("Starting the stack: Kafka, PostgreSQL, the identity server and the four services ...")
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        stack_options.setdefault("secured", True)  # what ops deploy, unless --insecure-development
        context = running_stack(with_clock=False, extra_env=env, logs_dir=out / "logs", **stack_options)
        stack = await loop.run_in_executor(None, context.__enter__)
        try:
            say(f"Stack ready in {time.monotonic() - started:.1f}s; logs in {stack.logs_dir}")
            story = await Cycle(stack, folder, out, say).run(year)
            if linger is not None:
                await linger(story)
            return story
        finally:
            await loop.run_in_executor(None, context.__exit__, None, None, None)
    finally:
        smtp.stop()


def tell(story: Story, out: Path, *, running: bool) -> None:
    """What happened, where to look, and how to sign in to the portal."""
    print("\n\nWhat happened")
    for action_id, step in story.escalations.items():
        if step or story.statuses.get(action_id) != "on_track":
            print(f"  {action_id:<45} {story.statuses.get(action_id, '?'):<10} ladder: {step or '-'}")
    print(f"  Panel agenda on 26 March: {', '.join(i['action_id'] for i in story.agenda) or 'empty'}")
    print(f"\nNotices: {len(story.notices)} e-mails in {out / 'notices'}")
    for n in story.notices[:14]:
        print(f"  {n['file']}  to {len(n['to'])}  {n['subject']}")
    print(f"\nThe Board's report: {story.report}")
    if story.pdf:
        print(f"                and {story.pdf}")
    print(f"\nThe People Board's portal: {story.portal}" + ("" if running else " (stopped with the stack)"))
    print(f"Sign in at the development identity server ({story.identity}): the portal sends you there; type a")
    print("username below (no password: it stands in for an NHS organisation's sign-in and never leaves this")
    print("machine). Everything the story's people did is there, and you can do it again by hand:")
    print("\n".join(story.sign_in))
    write_story(story, out)


async def _until_interrupted(story: Story, out: Path) -> None:
    tell(story, out, running=True)
    print("\nThe stack keeps running for you to look around; Ctrl-C stops everything.")
    await asyncio.Event().wait()


def main(
    out: Annotated[Path, typer.Option(help="where notices, the report and logs go")] = Path("out/cycle"),
    stay: Annotated[bool, typer.Option(help="keep the stack running after the story, for people to sign in "
                                            "to the portal (Ctrl-C stops it)")] = True,
    insecure_development: Annotated[bool, typer.Option(
        "--insecure-development", help="a development stack: Kafka without TLS, logins or ACLs")] = False,
    year: Annotated[bool, typer.Option(help="run four quarters instead of one (about four times as long)")] = False,
) -> None:
    """Run a full governance cycle on the real stack, time compressed, and show where to look."""
    out = out.resolve()
    linger = (lambda story: _until_interrupted(story, out)) if stay else None
    try:
        story = asyncio.run(run_scripted_cycle(out, live, linger, year, secured=not insecure_development))
    except KeyboardInterrupt:
        print("\nstopped")
        return
    tell(story, out, running=False)


if __name__ == "__main__":
    typer.run(main)
