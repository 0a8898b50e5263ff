"""What a notice says, in plain words for a busy reader: what slipped, why, what is asked of
them, by when, what happens at that date, who to ask and where to act. Each kind of item has its
own composer; ``compose`` picks the one for the items of a notice, and a notice holding several
kinds (a person's day, told at once) is one letter with a section per action. No I/O here:
templates lay a letter out as text and HTML from the same ``Letter``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from shared.contracts.vocabulary import BOARD, PANEL, LadderStep, date_in_words, decision_words

from .domain import BOARD_SECRETARY, LEADER, PANEL_CHAIR, STAFF_NETWORK_LEAD, action_page
from .items import (
    AgendaNoticeItem,
    AnswerReceiptItem,
    CycleClosedItem,
    DeadlineReminderItem,
    EscalationItem,
    EscalationReminderItem,
    NoticeItem,
    PanelDecisionItem,
    UndeliverableItem,
)
from .writing import TERMS, Context, Letter, Line, cycle_words, in_words, plural

BACK_ON_TRACK = "it is back on track and no longer escalated"


def step_words(step: LadderStep | Literal["resolved"]) -> str:
    if not isinstance(step, LadderStep):
        return BACK_ON_TRACK
    if step is LadderStep.LEADER_ASKED:
        return "you are asked to explain the slip or send a recovery plan"
    return step.words


def _sentence(words: str) -> str:
    """A phrase as a sentence: its first letter capitalised and nothing else (proper names keep theirs)."""
    return words[:1].upper() + words[1:] + ("" if words.endswith(".") else ".")


def _system(ctx: Context, system: str) -> str:
    return ctx.system_names.get(system, system)


def _url(ctx: Context, action_id: str) -> str:
    return action_page(ctx.portal_url, action_id) if ctx.portal_url else ""


def _line(ctx: Context, title: str, system: str, action_id: str, why: Sequence[str] = (), extra: str = "") -> Line:
    """One action; the reasons' cycle ids ("2026-Q1") said as people say them."""
    return Line(title=title, system=_system(ctx, system), why=[in_words(w) for w in why], extra=extra,
                url=_url(ctx, action_id))


def _contact(ctx: Context, system: str | None, role: str) -> str:
    """The named person to ask: a leader's SRO; for everyone else, the Panel's secretary."""
    if role == LEADER and system and system in ctx.sros:
        return f"{ctx.sros[system]}, your system's senior responsible owner (SRO)"
    return f"{ctx.secretary}, the Panel's secretary" if ctx.secretary else ""


def compose(items: Sequence[NoticeItem], name: str, ack_url: str | None = None, ctx: Context | None = None) -> Letter:
    """The letter to ``name`` about a notice's items: one item's own letter, or a day's digest."""
    ctx = ctx or Context()
    letters = [_one(group, name, ack_url, ctx) for group in _groups(items)]
    for one in letters:
        one.terms = [meaning for term, meaning in TERMS.items() if term in _all_words(one)]
    letter = letters[0] if len(letters) == 1 else digest(letters, name)
    letter.dated = ctx.today
    return letter


def _groups(items: Sequence[NoticeItem]) -> list[list[NoticeItem]]:
    """Items that make one letter together: escalations of the same role (an SRO's week), undeliverables;
    every other item is a letter of its own."""
    groups: dict[str, list[NoticeItem]] = {}
    for n, item in enumerate(items):
        if isinstance(item, EscalationItem) and not isinstance(item, EscalationReminderItem) and item.role != LEADER:
            key = f"escalation:{item.role}:{item.resolved}"
        elif isinstance(item, UndeliverableItem):
            key = "undeliverable"
        else:
            key = f"own:{n}"
        groups.setdefault(key, []).append(item)
    return list(groups.values())


def _one(items: list[NoticeItem], name: str, ack_url: str | None, ctx: Context) -> Letter:
    match items[0]:
        case DeadlineReminderItem() as reminder:
            return compose_deadline_reminder(reminder, name, ctx)
        case AgendaNoticeItem() as agenda:
            return compose_agenda(agenda, name, ctx)
        case PanelDecisionItem() as decision:
            return compose_panel_decision(decision, name, ctx)
        case AnswerReceiptItem() as receipt:
            return compose_receipt(receipt, name, ctx)
        case CycleClosedItem() as closed:
            return compose_cycle_closed(closed, name, ctx)
        case UndeliverableItem():
            return compose_undeliverable([i for i in items if isinstance(i, UndeliverableItem)], name)
    escalations = [i for i in items if isinstance(i, EscalationItem)]
    if len(escalations) == 1 and escalations[0].role == LEADER and not escalations[0].resolved:
        if isinstance(escalations[0], EscalationReminderItem):
            return compose_ack_reminder(escalations[0], name, ack_url, ctx)
        return compose_leader_notice(escalations[0], name, ack_url, ctx)
    if all(i.resolved for i in escalations):
        return compose_back_on_track(escalations, name, ctx)
    return compose_escalations(escalations, name, ctx)


def _all_words(letter: Letter) -> str:
    return " ".join([letter.subject, letter.opening, letter.ask, letter.then, letter.how_to_answer, letter.contact]
                    + [" ".join([i["title"], i["extra"], *i["why"]]) for i in letter.items])


def digest(letters: list[Letter], name: str) -> Letter:
    """Several letters for one person on one day, as one: a section per notice, each with what is
    asked, by when, what happens then and its links; the subject names the first and counts the rest."""
    items = []
    for n, one in enumerate(letters, 1):
        about = [f"{i['title']} ({i['system']}): " if i["system"] else f"{i['title']}: " for i in one.items]
        why = [one.opening] + [(head + " ".join([*i["why"], i["extra"]])).strip()
                               for head, i in zip(about, one.items, strict=True)]
        by = f"By {one.by_when}." if one.by_when and one.by_when not in one.ask else ""
        extra = " ".join(part for part in (one.ask, by, one.then, one.how_to_answer) if part)
        line = Line(title=f"{n}. {one.subject}", system="", why=why, extra=extra,
                    url=next((i["url"] for i in one.items if i["url"]), ""))
        if one.ack_url:
            line["ack_url"] = one.ack_url
        items.append(line)
    contact = next((one.contact for one in letters if one.contact), "")
    terms = list(dict.fromkeys(t for one in letters for t in one.terms))
    return Letter(subject=f"{letters[0].subject} (and {plural(len(letters) - 1, 'more notice')})",
                  greeting=f"Dear {name},",
                  opening=f"Today's {plural(len(letters), 'notice')} for you, together in one e-mail.",
                  items=items, items_heading="Today's notices", contact=contact, terms=terms, dated=letters[0].dated)


def compose_deadline_reminder(item: DeadlineReminderItem, name: str, ctx: Context) -> Letter:
    deadline = date_in_words(item.submission_deadline)
    where = _system(ctx, item.system)
    return Letter(
        subject=f"Reminder: progress for {cycle_words(item.cycle_id)} is due by {deadline}",
        greeting=f"Dear {name},",
        opening=(f"We have not yet received this cycle's progress update from {where} for the actions you lead. "
                 f"The cycle runs {cycle_words(item.cycle_id)}, and its submission deadline is {deadline}."),
        ask="Please post progress for each of your actions: percent complete, milestones, "
            "measures, and what is working, what is stopping progress and what is not working.",
        items=[Line(title="Your actions", system=where, why=[
                    f"Already on the {PANEL}'s agenda: {a.title}"
                    + (f"; the Panel needs your answer by {date_in_words(a.respond_by)}." if a.respond_by else ".")
                    for a in item.on_agenda], extra="Each action's page shows its status and "
                    "what has been posted so far.", link_label="Your actions in the portal",
                    url=f"{ctx.portal_url.rstrip('/')}/my-actions" if ctx.portal_url else "")],
        items_heading="Where to look",
        by_when=deadline,
        then="An action with no update by then is judged without one, and may be flagged as slipping.",
        how_to_answer="Post the update from your system's usual reporting tool. "
                      "If you have already posted, thank you: this reminder crossed with it.",
        contact=_contact(ctx, item.system, LEADER),
    )


def compose_agenda(item: AgendaNoticeItem, name: str, ctx: Context) -> Letter:
    meets = date_in_words(item.meets_on)
    count = len(item.items)
    return Letter(
        subject=f"The Panel's agenda for {meets}: {plural(count, 'slipping action')}",
        greeting=f"Dear {name},",
        opening=f"The agenda for the {PANEL}'s meeting on {meets} lists "
                f"{'this action' if count == 1 else f'these {count} actions, worst first'}.",
        items_heading="On the agenda",
        items=[_line(ctx, i.title, i.system, i.action_id, i.why,
                     (f"On the agenda since {date_in_words(i.added_on)}. " if i.added_on else "")
                     + (f"The leader's answer: {i.leader_response}" if i.leader_response
                        else "No answer from the leader yet.")
                     + "".join(f" A staff network lead says: {c}" for c in i.concerns)) for i in item.items],
        ask=f"Please review {'it' if count == 1 else 'them'} before the meeting and decide on challenge, "
            "support or penalty.",
        by_when=meets,
        then="The Panel's decisions are told to each leader and their SRO as soon as you record them.",
        how_to_answer="Record the Panel's decisions on each action's page in the portal.",
        contact=_contact(ctx, None, PANEL_CHAIR),
    )


# What the Panel asks of the leader, by decision, when it sets a date.
_ASKED_BY = {"recovery_plan_due": "Please send a recovery plan",
             "challenge_issued": "Please answer the Panel's challenge"}


def compose_panel_decision(item: PanelDecisionItem, name: str, ctx: Context) -> Letter:
    """The Panel's decision on one action: the leader is asked to act on it, the SRO is kept
    informed, and the staff network lead who raised a concern hears the Panel's answer."""
    did = decision_words(item.decision)
    due = date_in_words(item.due_date)
    where = _system(ctx, item.system)
    replaced = " This decision replaces the Panel's earlier decision on it." if item.replaces else ""
    line = Line(title=item.title, system=where, why=[f"The Panel's note: {item.note}"] if item.note else [],
                extra=f"The Panel {did}" + (f", with a date of {due}." if due else "."),
                url=item.action_url or _url(ctx, item.action_id))
    then = ""
    if item.role == LEADER:
        opening = f"The {PANEL} {did} on an action you are accountable for in {where}.{replaced}"
        ask = f"{_ASKED_BY.get(item.decision, 'Please respond to the Panel')} by {due}." if due else \
            "Please read the Panel's decision; it is recorded in the action's history."
        then = "If nothing is received by then, the Panel will see that at its next meeting." if due else ""
        how = "Answer on the action's page in the portal, signed in as yourself."
    elif item.role == STAFF_NETWORK_LEAD:
        opening = f"You raised a concern about this action in {where}. The Panel has answered: it {did}.{replaced}"
        ask, how = "No reply is needed.", "You can raise another concern on the action's page in the portal."
    else:
        opening = f"For your information, the {PANEL} {did} on an action in {where}.{replaced}"
        ask = "Please make sure the accountable leader answers by that date." if due else "No reply is needed."
        how = "The decision is recorded on the action's page in the portal."
    if item.decision == "referred_to_board" and item.role == BOARD_SECRETARY:
        ask = f"Please add it to the next {BOARD} papers, so the Board can agree a consequence."
    return Letter(subject=f"The Panel's decision on {item.title}: it {did}", greeting=f"Dear {name},",
                  opening=opening, items=[line], items_heading="The decision", ask=ask,
                  by_when=due if item.role != STAFF_NETWORK_LEAD else "", then=then, how_to_answer=how,
                  contact=_contact(ctx, item.system, item.role))


def compose_receipt(item: AnswerReceiptItem, name: str, ctx: Context) -> Letter:
    """One short receipt for a leader's answer: reminders stop; what happens next, and when."""
    what = {"explanation": "explanation", "recovery_plan": "recovery plan",
            "extension_request": "request for more time", "flag_contest": "challenge to the flag"}[item.answer]
    holds = date_in_words(item.holds_until)
    recover = f" You plan to be back on track by {date_in_words(item.recover_by)}." if item.recover_by else ""
    return Letter(
        subject=f"Received: your {what} for {item.title}",
        greeting=f"Dear {name},",
        opening=f"Thank you: we received your {what} on {date_in_words(item.answered_on)}.{recover} "
                "Reminders about this action have stopped.",
        items=[_line(ctx, item.title, item.system, item.action_id)], items_heading="The action",
        ask="Nothing more is needed from you now.",
        by_when=holds,
        then=("Nothing moves on the escalation ladder before that date. Your answer is recorded in the action's "
              "history and shown to the Panel if the action reaches its agenda; if the action has not improved "
              "by then, you will be told before anything changes."),
        how_to_answer="You can add to your answer on the action's page in the portal.",
        contact=_contact(ctx, item.system, LEADER),
    )


def compose_cycle_closed(item: CycleClosedItem, name: str, ctx: Context) -> Letter:
    """The cycle's report for the Board, to the Board's secretary: where it is, and what it holds."""
    cycle = cycle_words(item.cycle_id)
    return Letter(
        subject=f"The {BOARD}'s report for {cycle} is ready", greeting=f"Dear {name},",
        opening=(f"The {cycle} cycle closed on {date_in_words(item.closes_on)}. Its report for the {BOARD} "
                 "shows, per system and per action point, what is on track, what slipped, what was done about it "
                 "and what deserves to be celebrated and shared."),
        items=[Line(title=f"The {BOARD}'s report for {cycle}", system="", why=[_report_where(ctx)],
                    extra="", url=item.report_url, link_label="The report in the portal")], items_heading="The report",
        ask=f"Please add the report to the papers of the next {BOARD} meeting.",
        how_to_answer="No reply to this notice is needed.", contact=_contact(ctx, None, BOARD_SECRETARY))


def _report_where(ctx: Context) -> str:
    """Where the report is: attached (as a page, and a PDF where one could be printed), or only in the portal."""
    pdf = [f for f in ctx.attached if f.endswith(".pdf")]
    page = [f for f in ctx.attached if f.endswith(".html")]
    if page and pdf:
        return (f"It is attached to this e-mail as a page to open in a browser ({page[0]}) and as a PDF for the "
                f"Board's papers ({pdf[0]}); it is also in the portal, signed in as yourself.")
    if page:
        return (f"It is attached to this e-mail as a page to open in a browser ({page[0]}); print it to PDF from "
                "there for the Board's papers (no PDF could be printed where notices are sent). It is also in "
                "the portal, signed in as yourself.")
    return ("Open it in the portal, signed in as yourself; print it to PDF from the page for the Board's papers. "
            "It is not attached to this e-mail: this service was not given access to the report.")


def compose_undeliverable(items: Sequence[UndeliverableItem], name: str) -> Letter:
    """For whoever keeps the directory: notices refused for good, and how to send them again."""
    count = len(items)
    return Letter(
        subject=f"{plural(count, 'notice')} could not be delivered",
        greeting=f"Dear {name},",
        opening=(f"{plural(count, 'notice')} {'was' if count == 1 else 'were'} refused by the recipient's mail "
                 "system or endpoint, or had nowhere to go, and not delivered. Nobody is counted as silent for a "
                 "notice they never received."),
        items_heading="Not delivered",
        items=[Line(title=f"{_sentence(i.notice_kind.replace('_', ' '))[:-1]} notice to {i.recipient} by {i.channel}",
                    system="", why=[i.detail], extra=f"Notice {i.notice_id}, about {i.about}", url="")
               for i in items],
        ask="Please correct these people's entries in the directory.",
        how_to_answer=("Once corrected, send them again: python -m services.notifications.cli notices resend "
                       + " ".join(f"--notice {i.notice_id}" for i in items)),
    )


def compose_leader_notice(item: EscalationItem, name: str, ack_url: str | None, ctx: Context,
                          subject_prefix: str = "", opening: str = "") -> Letter:
    """The leader is asked to act: what slipped, why, by when, and what happens at that date."""
    by = date_in_words(item.respond_by)
    if item.answered:
        ask, then = "Nothing more is needed from you now: your answer is with the Panel.", \
            "The Panel considers the action with your answer; you will be told its decision."
    elif item.step is LadderStep.LEADER_ASKED:
        ask = "Please either explain why progress has slipped, or send a recovery plan with its dates."
        then = (f"If neither has arrived and the action has not improved by {by}, it goes on the agenda of "
                f"the {PANEL}, and you will be told.") if by else ""
    elif item.step is LadderStep.PEOPLE_BOARD:
        ask, then = "Nothing new is asked of you by this step: any date the Panel set still holds.", \
            f"The {BOARD} may agree a consequence; you will be told."
    else:
        ask = "Please send the Panel an explanation or a recovery plan by this date, so your answer is on its agenda."
        then = ("The Panel considers the action at its meeting and decides on challenge, support or penalty; "
                "you will be told its decision.")
    moved = ("has improved and stepped back down the escalation ladder: " if item.stepped_down
             else "has slipped, and ")
    return Letter(
        subject=f"{subject_prefix}Action needs your attention: {item.title}", greeting=f"Dear {name},",
        opening=opening or (f"An action you are accountable for in {_system(ctx, item.system)} {moved}"
                            f"{step_words(item.step)}."),
        items=[_line(ctx, item.title, item.system, item.action_id, item.why)], ask=ask,
        by_when="" if item.step is LadderStep.PEOPLE_BOARD else by, then=then,
        how_to_answer=("The action's page in the portal shows its history and your answers."
                       if item.answered or item.step is LadderStep.PEOPLE_BOARD else
                       "Answer on the action's page in the portal, signed in as yourself: send your explanation "
                       "or recovery plan, ask for more time, or contest the flag."),
        ack_url=ack_url, contact=_contact(ctx, item.system, LEADER),
    )


def compose_ack_reminder(item: EscalationReminderItem, name: str, ack_url: str | None, ctx: Context) -> Letter:
    """When the first notice went, what is still open and the date that still holds."""
    first = f"on {date_in_words(item.first_sent_on)}" if item.first_sent_on else "earlier"
    by = date_in_words(item.respond_by)
    opening = (f"We wrote to you {first} about this action in {_system(ctx, item.system)}, and have not yet "
               "had an explanation or a recovery plan. "
               + (f"The date is unchanged: {by}." if by else ""))
    number = "Second reminder" if item.reminder_number == 2 else "Reminder"
    return compose_leader_notice(item, name, ack_url, ctx, subject_prefix=f"{number}: ", opening=opening)


def compose_back_on_track(items: Sequence[EscalationItem], name: str, ctx: Context) -> Letter:
    count = len(items)
    return Letter(
        subject=(f"Back on track: {items[0].title}" if count == 1 else f"{count} actions are back on track"),
        greeting=f"Dear {name},", items_heading="Back on track",
        opening="Good news: " + ("this action no longer needs" if count == 1 else "these actions no longer need")
        + " escalation.",
        items=[_line(ctx, i.title, i.system, i.action_id, i.why) for i in items],
        how_to_answer="Nothing is needed from you.", contact=_contact(ctx, items[0].system, items[0].role),
    )


def compose_escalations(items: Sequence[EscalationItem], name: str, ctx: Context) -> Letter:
    """For the system's SRO, the Panel's chair or the Board's secretary: every action of the day at once."""
    count = len(items)
    systems = sorted({_system(ctx, i.system) for i in items})
    where = systems[0] if len(systems) == 1 else plural(len(systems), "system")
    them = "it" if count == 1 else "them"
    role = items[0].role
    if role == PANEL_CHAIR:
        subject = f"{plural(count, 'action')} added to the Panel's agenda ({where})"
        ask, then = f"Please consider {them} at the next Panel meeting.", "The agenda is sent before the meeting."
    elif role == BOARD_SECRETARY:
        subject = f"{plural(count, 'action')} referred to the {BOARD} ({where})"
        ask, then = f"Please add {them} to the next {BOARD} papers.", ""
    else:
        subject = f"{plural(count, 'escalated action')} in {where}"
        who = "the" if count == 1 else "each"
        ask, then = f"Please make sure {who} accountable leader answers by the date given.", ""
    lines = [_line(ctx, i.title, i.system, i.action_id, i.why,
                   _sentence(_told(i)) + (f" Date given: {date_in_words(i.respond_by)}." if i.respond_by else ""))
             for i in items]
    dates = sorted(d for d in (i.respond_by for i in items) if d is not None)
    return Letter(subject=subject, greeting=f"Dear {name},",
                  opening=f"For your information, {plural(count, 'action')} in {where} "
                          f"{'has' if count == 1 else 'have'} been escalated.",
                  items=lines, ask=ask, by_when=date_in_words(dates[0]) if dates else "", then=then,
                  how_to_answer="No reply to this notice is needed.", contact=_contact(ctx, None, role))


def _told(item: EscalationItem) -> str:
    """A rung in the third person, for those who are not its leader."""
    return item.step.words if isinstance(item.step, LadderStep) else BACK_ON_TRACK

