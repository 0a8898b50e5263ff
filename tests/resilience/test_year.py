"""A year of cycles (``python -m tools.scripted_cycle --year``) on the real stack: four quarters,
open actions carried over with their ladder step, a system that improves and one that does not,
re-baselines approved and refused, and the Board's report showing the four cycles side by side.

It takes about four times the one-quarter story, too long for every CI run on a shared machine:
it runs with the resilience suite (``RESILIENCE=1``, ``bash deploy/resilience.sh``)."""

from __future__ import annotations

import pytest

from tools.scripted_cycle import run_scripted_cycle

pytestmark = pytest.mark.resilience


@pytest.fixture(scope="module")
async def year(tmp_path_factory):
    out = tmp_path_factory.mktemp("year")
    return await run_scripted_cycle(out, say=lambda line: None, year=True), out


def rules_fired(story, action_id: str) -> set[str]:
    return {r["rule"] for h in story.histories[action_id] if h["what"] == "status" for r in h["reasons"]}


async def test_four_cycles_open_and_close_and_open_actions_carry_over_with_their_ladder_step(year):
    story, _ = year
    closed = [c["cycle_id"] for c in story.cycles if not c["open"]]
    assert {"2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"} <= set(closed)
    assert story.escalations[story.cast.ignores] == "people_board"  # still there at the end of the year


async def test_the_action_that_slips_quarter_after_quarter_is_held_off_track_by_repeated_slip(year):
    story, _ = year
    assert story.statuses[story.cast.ignores] == "off_track"
    assert "repeated_slip" in rules_fired(story, story.cast.ignores)


async def test_the_system_silent_in_the_first_quarter_improves(year):
    story, _ = year
    silent = [a for a in story.statuses if a.startswith(f"{story.cast.silent_system}-")]
    assert silent and all(story.statuses[a] == "completed" for a in silent)


async def test_the_boards_report_shows_the_four_cycles_and_the_re_baselines_decided(year):
    story, _ = year
    html = story.report.read_text()
    assert "People Board report: cycle 2026-Q4" in html
    assert [c for c in ("2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4") if f'data-cycle-id="{c}"' in html] == [
        "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert "Re-baselines approved by the Panel</th><td>0</td><td>1</td><td>0</td><td>0</td>" in html
    assert "Re-baselines refused</th><td>0</td><td>1</td><td>0</td><td>0</td>" in html
