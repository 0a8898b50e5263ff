"""The People Board's report, built and rendered from hand-made read-API answers (no I/O)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from services.accountability import picture
from services.accountability.board_report import (
    CELL_FILL,
    ReportError,
    build_report_data,
    describe,
    render_html,
)
from services.accountability.board_report.data import provenance
from shared.contracts.vocabulary import date_in_words

SYSTEMS = {"birmingham-solihull": "Birmingham and Solihull", "black-country": "Black Country",
           "lincolnshire": "Lincolnshire", "northamptonshire": "Northamptonshire"}
POINTS = {"AP1": "Health and wellbeing support for everyone", "AP2": "Get more BME staff to speak up",
          "AP3": "Stop racism when staff are disciplined"}
STATUSES = ["on_track", "at_risk", "off_track", "completed", "withdrawn"]


def _counts(**found: int) -> dict[str, int]:
    return {s: found.get(s, 0) for s in STATUSES}


def _groups(names: dict[str, str]) -> list[dict[str, Any]]:
    return [{"id": k, "name": v, "actions": 0, "status": _counts(), "slipped": [], "actions_taken": 0,
             "worked": []} for k, v in names.items()]


def reason(status: str, message: str, rule: str = "milestone_passed") -> dict[str, str]:
    return {"rule": rule, "status": status, "message": message}


def slipped_action(action_id: str, system: str, point: str, status: str, worst: str,
                   reasons: list[dict[str, str]], done: list[dict[str, Any]] | None = None,
                   title: str | None = None) -> dict[str, Any]:
    return {"action_id": action_id, "system": system, "action_point": point, "title": title or f"Action {action_id}",
            "status": status, "worst_status": worst, "slipped": True, "reasons": reasons,
            "done_about_it": done or [], "worked": [], "what_is_working": ""}


def summary(cycle_id: str, *, final: bool, totals: dict[str, int], slipped: list[dict[str, Any]] | None = None,
            worked: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    year, quarter = cycle_id.split("-Q")
    month = (int(quarter) - 1) * 3 + 1
    return {
        "cycle_id": cycle_id, "opens_on": f"{year}-{month:02d}-01", "submission_deadline": f"{year}-{month + 2:02d}-16",
        "closes_on": f"{year}-{month + 2:02d}-30", "final": final, "as_of": f"{year}-{month + 1:02d}-10",
        "totals": {"actions": sum(totals.get(s, 0) for s in STATUSES), **_counts(**totals),
                   "slipped": len(slipped or []) if "slipped" not in totals else totals["slipped"],
                   "worked": len(worked or [])},
        "by_system": _groups(SYSTEMS), "by_action_point": _groups(POINTS),
        "slipped": slipped or [], "worked": worked or [],
    }


def status_action(action_id: str, system: str, point: str, status: str) -> dict[str, Any]:
    return {"action_id": action_id, "system": system, "action_point": point, "title": f"Action {action_id}",
            "accountable_leader": "leader", "status": status, "status_since": "2026-04-02", "reasons": [],
            "version": 1}


def sample_status() -> dict[str, Any]:
    actions = [
        status_action("bsol-1", "birmingham-solihull", "AP1", "on_track"),
        status_action("bsol-2", "birmingham-solihull", "AP1", "off_track"),
        status_action("bsol-3", "birmingham-solihull", "AP2", "at_risk"),
        status_action("bc-1", "black-country", "AP1", "on_track"),
        status_action("bc-2", "black-country", "AP3", "completed"),
        status_action("linc-1", "lincolnshire", "AP2", "withdrawn"),
    ]
    return {"as_of": "2026-05-10", "count": len(actions), "actions": actions,
            "by_system": [{"id": k, "name": v} for k, v in SYSTEMS.items()],
            "by_action_point": [{"id": k, "name": v} for k, v in POINTS.items()]}


def sample_summaries() -> list[dict[str, Any]]:
    """Three cycles, latest (open) first, as the read API lists them."""
    current = summary("2026-Q2", final=False, totals={"on_track": 2, "at_risk": 1, "off_track": 1, "completed": 1},
                      slipped=[
                          slipped_action("bsol-3", "birmingham-solihull", "AP2", "at_risk", "at_risk",
                                         [reason("at_risk", "Progress is 20% against 40% planned by now",
                                                 "behind_trajectory")],
                                         title="Freedom to Speak Up guardians in every trust"),
                          slipped_action("bc-9", "black-country", "AP1", "on_track", "off_track", [],
                                         [{"on": "2026-04-20", "what": "escalation resolved",
                                           "escalation_id": "e-2", "step": None}],
                                         title="Recovered wellbeing action"),
                          slipped_action(
                              "bsol-2", "birmingham-solihull", "AP1", "off_track", "off_track",
                              [reason("off_track", "Milestone 'risk assessments done' was due on 31 March 2026"),
                               reason("at_risk", "No update posted this cycle", "no_update")],
                              [{"on": "2026-04-03", "what": "escalation raised", "escalation_id": "e-1",
                                "step": "leader_asked", "previous_step": None, "respond_by": "2026-04-17"},
                               {"on": "2026-04-10", "what": "explanation", "from": "A Leader",
                                "text": "Occupational health capacity was cut", "recover_by": None},
                               {"on": "2026-04-18", "what": "escalation stepped", "escalation_id": "e-1",
                                "step": "panel_agenda", "previous_step": "leader_asked", "respond_by": None},
                               {"on": "2026-05-01", "what": "panel decision", "decision_id": "d-1",
                                "meeting_id": "panel-2026-Q2", "kind": "recovery_plan_due",
                                "note": "Plan to the chair", "due_date": "2026-05-30"}],
                              title="Risk assessments that make BME staff feel safer"),
                      ],
                      worked=[{"action_id": "bc-1", "system": "black-country", "action_point": "AP1",
                               "title": "Staff network wellbeing champions", "worked": ["on track all cycle"],
                               "what_is_working": "Champions in every ward"}])
    current["good_practice"] = [{
        "nomination_id": "gp-1", "action_id": "bc-1", "system": "black-country", "action_point": "AP1",
        "title": "Staff network wellbeing champions", "what_was_done": "A wellbeing champion on every ward",
        "what_changed": "BME staff asking for risk assessments doubled", "evidence": "Champions in every ward",
        "reviewed_on": "2026-05-20", "award_scheme": "MIDAS", "award_status": "put_forward"}]
    return [current,
            summary("2026-Q1", final=True, totals={"on_track": 3, "at_risk": 1, "off_track": 2, "slipped": 3}),
            summary("2025-Q4", final=True, totals={"on_track": 2, "off_track": 1, "slipped": 1})]


def sample_report_html() -> str:
    return render_html(build_report_data(sample_summaries(), sample_status()))


class _Reader(HTMLParser):
    """Collects the page's elements with their attributes, and its visible text."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    return reader


# ---- the heatmap ------------------------------------------------------------------------------

def test_heatmap_cell_takes_the_colour_of_its_worst_action() -> None:
    data = build_report_data(sample_summaries(), sample_status())
    rows = {r.system_id: r for r in data.heatmap.rows}
    columns = [pid for pid, _ in data.heatmap.columns]
    bsol = rows["birmingham-solihull"].cells
    assert bsol[columns.index("AP1")].status == "off_track"  # one on track, one off track: red
    assert bsol[columns.index("AP1")].fill == CELL_FILL["off_track"]
    assert bsol[columns.index("AP1")].label == "1 off track, 1 on track"
    assert bsol[columns.index("AP2")].status == "at_risk"
    assert rows["black-country"].cells[columns.index("AP1")].status == "on_track"
    assert rows["black-country"].cells[columns.index("AP3")].status == "completed"


def test_heatmap_cell_with_no_actions_is_blank_and_withdrawn_actions_do_not_count() -> None:
    data = build_report_data(sample_summaries(), sample_status())
    rows = {r.system_id: r for r in data.heatmap.rows}
    assert all(cell.status is None and cell.total == 0 for cell in rows["northamptonshire"].cells)
    assert all(cell.status is None for cell in rows["lincolnshire"].cells)  # its only action was withdrawn
    html = sample_report_html()
    assert html.count('data-status="none"') == sum(not c.total for r in data.heatmap.rows for c in r.cells)


def test_heatmap_uses_the_human_names_of_every_system_and_action_point() -> None:
    data = build_report_data(sample_summaries(), sample_status())
    assert [r.name for r in data.heatmap.rows] == sorted(SYSTEMS.values())  # even systems with no actions
    assert [name for _, name in data.heatmap.columns] == list(POINTS.values())
    html = sample_report_html()
    assert "Birmingham and Solihull" in html and "Get more BME staff to speak up" in html


def test_heatmap_cells_show_their_status_colour_in_the_page() -> None:
    html = sample_report_html()
    cells = [a for tag, a in read(html).elements if tag == "td" and "cell" in (a.get("class") or "")]
    coloured = {a["data-status"]: a["style"] for a in cells if a["data-status"] != "none"}
    assert coloured == {s: f"background:{CELL_FILL[s]}" for s in ("off_track", "at_risk", "on_track", "completed")}


# ---- slipping actions, escalations and decisions -------------------------------------------------

def test_slipping_actions_are_listed_worst_first() -> None:
    data = build_report_data(sample_summaries(), sample_status())
    assert [a.action_id for a in data.slipping] == ["bsol-2", "bsol-3", "bc-9"]  # off, at risk, recovered
    assert data.slipping[-1].recovered
    html = sample_report_html()
    order = [a["data-action-id"] for tag, a in read(html).elements
             if tag == "article" and "slipping-action" in (a.get("class") or "")]
    assert order == ["bsol-2", "bsol-3", "bc-9"]


def test_slipping_action_shows_its_reasons_and_what_was_done_in_words() -> None:
    html = sample_report_html()
    assert "Milestone &#39;risk assessments done&#39; was due on 31 March 2026" in html
    assert ("Escalated: the accountable leader was asked to explain or send a recovery plan"
            " (answer by 17 April 2026)") in html
    assert "Explanation received: Occupational health capacity was cut" in html
    assert "Escalation stepped up: put on the Panel&#39;s agenda" in html
    assert "Panel asked for a recovery plan, due by 30 May 2026: Plan to the chair" in html
    assert "Escalation closed: the action is back on track" in html


def test_a_slipped_action_shows_what_its_updates_said_was_stopping_progress_dated() -> None:
    summaries = sample_summaries()
    summaries[0]["slipped"][1]["stopping_progress"] = [
        {"on": "2026-04-10", "stopping_progress": "Our network chair left", "not_working": "Hiring stalled"},
        {"on": None, "stopping_progress": "", "not_working": "Rotas clash with the network's meetings"}]
    html = render_html(build_report_data(summaries, sample_status()))
    assert "What was stopping progress, in its updates" in html
    assert "10 April 2026: Our network chair left; not working: Hiring stalled" in html
    assert "not working: Rotas clash with the network&#39;s meetings" in html
    assert "What was stopping progress" not in sample_report_html()  # nothing said, no heading


def test_escalations_table_shows_the_highest_step_and_the_panels_decisions() -> None:
    data = build_report_data(sample_summaries(), sample_status())
    assert [(r.action_id, r.highest_step, r.resolved) for r in data.ladder] == [("bsol-2", "panel_agenda", False)]
    assert [d.text for d in data.ladder[0].decisions] == [
        "Panel asked for a recovery plan, due by 30 May 2026: Plan to the chair"]
    assert dict(data.done_counts) == {"Leaders asked to explain": 1, "Explanations received": 1,
                                      "Put on the Panel's agenda": 1, "Panel asked for a recovery plan": 1,
                                      "Escalations closed (recovered)": 1}


@pytest.mark.parametrize(("entry", "words"), [
    ({"what": "escalation raised", "step": "people_board", "on": "2026-04-01"}, "Escalated: sent to the People Board"),
    ({"what": "recovery plan", "text": "Hire two guardians", "recover_by": "2026-06-30", "on": None},
     "Recovery plan received (back on track by 30 June 2026): Hire two guardians"),
    ({"what": "panel decision", "kind": "penalty_agreed", "note": "", "due_date": None, "on": "2026-05-01"},
     "Panel agreed a penalty"),
])
def test_history_entries_read_as_sentences(entry: dict[str, Any], words: str) -> None:
    assert describe(entry).text == words


# ---- trends ---------------------------------------------------------------------------------

def test_trend_chart_has_one_bar_per_cycle_oldest_first_with_the_slipped_line() -> None:
    data = build_report_data(sample_summaries(), sample_status())
    assert [t.cycle_id for t in data.trends] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert [t.slipped for t in data.trends] == [1, 3, 3]
    elements = read(sample_report_html()).elements
    bars = [a["data-cycle-id"] for tag, a in elements if tag == "g" and a.get("class") == "trend-cycle"]
    assert bars == ["2025-Q4", "2026-Q1", "2026-Q2"]
    assert sum(tag == "circle" and a.get("class") == "slipped-point" for tag, a in elements) == 3


def test_trend_bars_are_as_tall_as_their_counts() -> None:
    html = sample_report_html()
    q1 = re.search(r'<g class="trend-cycle" data-cycle-id="2026-Q1">(.*?)</g>', html, re.S)
    assert q1 is not None
    heights = {s: float(h) for h, s in re.findall(r'height="([\d.]+)" fill="[^"]+" data-status="(\w+)"', q1[1])}
    assert set(heights) == {"on_track", "at_risk", "off_track"}
    assert heights["on_track"] == pytest.approx(3 * heights["at_risk"], rel=0.02)
    assert heights["off_track"] == pytest.approx(2 * heights["at_risk"], rel=0.02)


def test_report_for_an_earlier_cycle_trends_only_up_to_that_cycle() -> None:
    data = build_report_data(sample_summaries(), sample_status(), cycle_id="2026-Q1")
    assert data.cycle_id == "2026-Q1" and data.final
    assert [t.cycle_id for t in data.trends] == ["2025-Q4", "2026-Q1"]


# ---- the page as a whole ------------------------------------------------------------------------

def test_page_is_self_contained_with_no_external_references() -> None:
    html = sample_report_html()
    for tag, attrs in read(html).elements:
        for name in ("src", "href", "xlink:href", "data", "action"):
            assert not (attrs.get(name) or "").strip(), f"<{tag} {name}=...> would fetch something"
    assert "@import" not in html and "url(" not in html
    assert "<script" not in html and "<link" not in html
    assert "http://" not in html and "https://" not in html


def test_text_from_systems_is_escaped() -> None:
    summaries = sample_summaries()
    summaries[0]["slipped"][0]["reasons"][0]["message"] = '<script>alert("x")</script>'
    summaries[0]["slipped"][0]["title"] = "<img src=x onerror=alert(1)>"
    summaries[0]["good_practice"][0]["evidence"] = "Champions & <b>allies</b>"
    summaries[0]["cycle_id"] = "2026-Q2<i>"
    html = render_html(build_report_data(summaries, sample_status()))
    assert "<script>" not in html and "<img" not in html and "<b>allies" not in html and "Q2<i>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "Champions &amp; &lt;b&gt;allies&lt;/b&gt;" in html


def test_page_tells_the_reader_the_cycle_and_whether_it_is_final() -> None:
    html = sample_report_html()
    text = " ".join(" ".join(read(html).text).split())
    assert "People Board report: cycle 2026-Q2" in text
    assert "Cycle 2026-Q2: 1 April 2026 to 30 June 2026" in text
    assert "Provisional: the cycle is still open" in text
    earlier = render_html(build_report_data(sample_summaries(), sample_status(), cycle_id="2026-Q1"))
    assert "Final: as it stood at the cycle" in earlier


def test_what_worked_is_the_endorsed_good_practice_in_its_own_words() -> None:
    html = sample_report_html()
    assert "Staff network wellbeing champions" in html and "A wellbeing champion on every ward" in html
    assert "BME staff asking for risk assessments doubled" in html
    assert "endorsed by the Panel on 20 May 2026" in html and "MIDAS: put forward" in html


def test_an_on_track_action_without_endorsed_practice_is_not_what_worked() -> None:
    summaries = sample_summaries()
    summaries[0]["good_practice"] = []
    html = render_html(build_report_data(summaries, sample_status()))
    assert "The Panel endorsed no good practice this cycle." in html
    assert "Champions in every ward" not in html


def test_an_empty_cycle_still_renders() -> None:
    empty = summary("2026-Q3", final=False, totals={})
    html = render_html(build_report_data([empty], {"as_of": None, "actions": []}))
    assert "No action slipped this cycle." in html and "no actions" in html


def test_no_summaries_or_an_unknown_cycle_is_a_clear_error() -> None:
    with pytest.raises(ReportError, match="has not opened a cycle yet"):
        build_report_data([], sample_status())
    with pytest.raises(ReportError, match="no summary for cycle '2024-Q1'; the cycles are 2026-Q2, 2026-Q1"):
        build_report_data(sample_summaries(), sample_status(), cycle_id="2024-Q1")


def test_dates_read_as_words() -> None:
    assert date_in_words("2026-04-01") == "1 April 2026"
    assert date_in_words(None) == ""


def test_actions_not_yet_judged_leave_their_cell_blank() -> None:
    status = sample_status()
    status["actions"].append(status_action("nn-1", "northamptonshire", "AP1", None))  # type: ignore[arg-type]
    rows = {r.system_id: r for r in build_report_data(sample_summaries(), status).heatmap.rows}
    assert all(cell.total == 0 for cell in rows["northamptonshire"].cells)


def test_each_reason_and_each_flag_as_raised_says_its_rule_version_settings_and_inputs() -> None:
    flagged = {"rule": "behind_trajectory", "status": "at_risk", "rule_version": 1,
               "message": "10% complete against 25% planned by 31 March 2026: 15 points behind (more than 10 allowed).",
               "settings": {"trajectory_at_risk_points": 10.0, "trajectory_off_track_points": 25.0},
               "inputs": {"today": "2026-03-31", "percent_complete": 10.0, "planned_percent": 25.0}}
    action = slipped_action("bc-1", "black-country", "AP3", "at_risk", "at_risk", [flagged])
    action["flags"] = [{"on": "2026-03-31", "status": "at_risk", "reasons": [flagged]}]
    html = render_html(build_report_data([summary("2026-Q1", final=False, totals={"at_risk": 1}, slipped=[action])],
                                         {"by_system": [], "by_action_point": []}))
    line = ("Rule behind_trajectory, version 1; settings in force: trajectory_at_risk_points 10, "
            "trajectory_off_track_points 25; judged: today 2026-03-31, percent_complete 10, planned_percent 25.")
    assert html.count(line) == 2  # why it is slipping now, and how it was flagged on 31 March
    assert "How it was flagged" in html and "31 March 2026</span> at risk: 10% complete" in html


def test_a_reason_kept_from_before_versions_says_so() -> None:
    assert provenance(reason("off_track", "Late.")) == "Rule milestone_passed (version not recorded)."


def test_a_slipping_action_says_what_was_promised_first_now_who_approved_it_and_the_slip_against_both() -> None:
    first = {"due_date": "2026-12-31", "milestones": [{"milestone_id": "m1", "title": "Panel in place",
                                                       "due": "2026-03-31"}], "trajectory": []}
    now = {**first, "milestones": [{"milestone_id": "m1", "title": "Panel in place", "due": "2026-06-15"}]}
    approved = {"decision_id": "d-1", "decided_on": "2026-04-02", "decided_by": "p-chair",
                "decided_role": "panel_chair", "reason": "The chair left"}
    plan = {"baseline": first, "in_force": now, "approved": approved, "pending": None,
            "slip": "3 weeks behind plan, 11 weeks behind the original commitment",
            "plans": [{"state": "in_force", "plan": first},
                      {"state": "refused", "plan": now, "decided_on": "2026-03-01", "decided_by": "p-chair",
                       "decided_role": "panel_chair"}, {"state": "approved", "plan": now, **approved}]}
    action = slipped_action("bc-1", "black-country", "AP3", "off_track", "off_track",
                            [reason("off_track", "Milestone 'Panel in place' was due on 15 June 2026.")])
    html = render_html(build_report_data([summary("2026-Q2", final=False, totals={"off_track": 1},
                                                  slipped=[action | {"plan": plan}])],
                                         {"by_system": [], "by_action_point": []}))
    assert "Slip: 3 weeks behind plan, 11 weeks behind the original commitment." in html
    assert "Promised first: done by 31 December 2026; milestones &#39;Panel in place&#39; by 31 March 2026." in html
    assert ("Promised now: done by 31 December 2026; milestones &#39;Panel in place&#39; by 15 June 2026; "
            "re-baseline approved by the Panel on 2 April 2026, recorded by p-chair (panel chair), asked because: "
            "The chair left.") in html
    assert "Re-baseline refused by the Panel on 1 March 2026, recorded by p-chair (panel chair)" in html


def test_the_trends_count_the_re_baselines_the_panel_approved_and_refused_in_each_cycle() -> None:
    q1 = summary("2026-Q1", final=True, totals={"on_track": 1})
    q2 = summary("2026-Q2", final=False, totals={"on_track": 1})
    q1["totals"] |= {"rebaselines_approved": 2, "rebaselines_refused": 1}
    data = build_report_data([q2, q1], {"by_system": [], "by_action_point": []})
    assert [(t.cycle_id, t.rebaselines) for t in data.trends] == [("2026-Q1", (2, 1)), ("2026-Q2", (0, 0))]
    html = render_html(data)
    assert re.search(r"Re-baselines approved by the Panel</th><td>2</td><td>0</td>", html)
    assert re.search(r"Re-baselines refused</th><td>1</td><td>0</td>", html)


def test_the_trends_show_the_time_to_recover_in_each_cycle_in_words() -> None:
    q1 = summary("2026-Q1", final=True, totals={"on_track": 1})
    q2 = summary("2026-Q2", final=False, totals={"on_track": 1})
    q1["totals"] |= {"recovered": 2, "median_days_to_recover": 22}
    q2["totals"] |= {"recovered": 0, "median_days_to_recover": None}
    data = build_report_data([q2, q1], {"by_system": [], "by_action_point": []})
    assert [(t.cycle_id, t.days_to_recover, t.time_to_recover) for t in data.trends] == [
        ("2026-Q1", 22, "3 weeks (2 actions)"), ("2026-Q2", None, "none recovered")]
    assert re.search(r"to back on track \(median\)</th><td>3 weeks \(2 actions\)</td><td>none recovered</td>",
                     render_html(data))


def _status(on: str, status: str) -> dict[str, Any]:
    return {"what": "status", "on": on, "status": status, "previous": None, "reasons": []}


def test_time_to_recover_runs_from_the_first_flag_in_the_cycle_to_the_first_day_back_on_track() -> None:
    history = [_status("2026-01-05", "on_track"), _status("2026-01-12", "at_risk"),
               {"what": "explanation", "on": "2026-01-14"}, _status("2026-01-19", "off_track"),
               _status("2026-02-02", "on_track"), _status("2026-02-09", "at_risk")]
    assert picture.days_to_recover(history) == 21  # 12 January to 2 February; the later flag does not restart it
    assert picture.days_to_recover(history[:4]) is None  # flagged, not recovered yet
    assert picture.days_to_recover([_status("2026-01-05", "on_track")]) is None  # never flagged
    assert picture.days_to_recover([_status("2026-01-12", "off_track"), _status("2026-03-02", "completed")]) == 49
    assert picture.recovery_totals([21, None, 49, 7]) == {"recovered": 3, "median_days_to_recover": 21}
    assert picture.recovery_totals([None]) == {"recovered": 0, "median_days_to_recover": None}
