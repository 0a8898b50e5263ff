"""The measures as they may leave the service: every action's measure with its readings per
period, each reading's small numbers suppressed (``shared.disclosure``). Pure: no I/O.

Who may see a reading's counts: the system that posted them, through the actions service.
Everything the accountability service gives out (its read API, the Board's report, the
reasons that go into notices) is for people without that right, so it is suppressed here.
"""

from __future__ import annotations

from typing import Any

from shared.contracts.events import Measure, MeasureValue
from shared.disclosure import publish
from shared.reference import ReferenceData


def published_measure(row: dict[str, Any], reference: ReferenceData, threshold: int) -> dict[str, Any]:
    """One action's measure and its readings, oldest first, as anyone may see them."""
    measure = Measure.model_validate(row["measure"])
    readings = sorted((MeasureValue.model_validate(v) for v in row["readings"] or []), key=lambda v: v.as_of)
    indicator = reference.indicators.get(measure.indicator or "")
    return {
        "action_id": row["action_id"], "system": row["system"], "action_point": row["action_point"],
        "title": row["title"], "status": row["status"],
        "measure": measure.model_dump(mode="json"),
        "indicator": None if indicator is None else {
            "id": indicator.id, "name": indicator.name, "definition": indicator.definition,
            "kind": indicator.kind},
        "readings": [publish(v, threshold).as_json() for v in readings],
        "suppression": f"figures from fewer than {threshold} people are not published, nor what they could be "
                       "worked out from",
    }
