"""A record the Panel can stand behind, against the real broker and database: every flag keeps
the rule, its version, the settings in force and the inputs it judged, for good."""

from __future__ import annotations

from datetime import date

import pytest

from shared.contracts import events as ev
from tests.integration.test_accountability_service import BARE, harness

pytestmark = pytest.mark.integration

PLAN = {"trajectory": [ev.TrajectoryPoint(by=date(2026, 3, 31), percent=25),
                       ev.TrajectoryPoint(by=date(2026, 6, 30), percent=50)]}


async def test_a_flag_is_explained_by_the_settings_in_force_when_it_was_raised_after_they_change(
        kafka, topics, database_url):
    async with harness(kafka, database_url) as h:  # the region's default: 10 points behind is at risk
        await h.tick(date(2026, 3, 31))
        await h.post("tuned", **BARE | PLAN, percent_complete=12.0, last_update_on=date(2026, 3, 30))
        assert await h.verdict("tuned") == ("at_risk", ["behind_trajectory"])
        flagged = (await h.for_action("tuned", ev.ActionStatusChanged))[0].data.reasons[0]
        assert (flagged.rule_version, flagged.settings["trajectory_at_risk_points"]) == (1, 10.0)
        name = h.aid("tuned")

    # The region relaxes the tolerance to 20 points; the service restarts with it.
    async with harness(kafka, database_url, trajectory_at_risk_points=20.0) as h:
        await h.tick(date(2026, 4, 1))
        detail = await h.get(f"/status/action?id={name}")
        assert detail["status"] == "on_track"  # 13 points behind is now within what is allowed
        flags = [e for e in detail["history"] if e["what"] == "status"]
        assert [f["status"] for f in flags] == ["at_risk", "on_track"]
        kept = flags[0]["reasons"][0]
        assert kept["rule"] == "behind_trajectory" and kept["rule_version"] == 1
        assert kept["settings"] == {"trajectory_at_risk_points": 10.0, "trajectory_off_track_points": 25.0}
        assert kept["inputs"] == {"today": "2026-03-31", "percent_complete": 12.0, "planned_percent": 25.0,
                                  "points_behind": 13.0, "start_date": "2026-01-01", "due_date": "2026-12-31"}
        assert "13 points behind (more than 10 allowed)" in kept["message"]
