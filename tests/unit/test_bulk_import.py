"""Bulk import for a system without tooling: a sheet of commitments and updates, every row's
outcome said before anything is posted, each bad row its own error (row, column, what), the
good rows through, and a re-run posting nothing twice."""

import json
from pathlib import Path
from uuid import UUID

import pytest
from openpyxl import Workbook

from services.actions import bulk_import
from services.actions.domain import Change, decide
from shared.contracts import parse_event

SYS = "lincolnshire"
HEADER = ["external_id", "kind", "action_id", "action_point", "title", "accountable_leader", "start_date",
          "due_date", "indicator", "baseline", "target", "as_of", "percent_complete", "working", "period",
          "bme_numerator", "bme_denominator", "white_numerator", "white_denominator", "value"]
GOOD = [
    ["L-1", "commitment", "lin-ap3-1", "AP3", "Independent review of disciplinaries", "p-lin-leader",
     "2026-01-01", "2026-12-31", "WRES-3", "1.6", "1.0"],
    ["L-2", "progress", "lin-ap3-1", "", "", "", "", "", "", "", "", "2026-02-01", "20", "Reviews started"],
    ["L-3", "measure", "lin-ap3-1", "", "", "", "", "", "", "", "", "2026-02-01", "", "", "2025/26",
     "27", "122", "44", "487"],
]
BAD = [
    ["L-4", "progress", "lin-ap3-1", "", "", "", "", "", "", "", "", "1 March", "30"],  # not a date
    ["L-5", "promotion", "lin-ap3-1"],  # unknown kind
    ["L-6", "progress", "lin-ap3-1", "", "", "", "", "", "", "", "", "2026-03-01", "lots"],  # not a number
    ["L-7", "commitment", "lin-ap1-1", "AP1", "Risk assessments", "", "2026-01-01", "2026-06-30"],  # empty leader
    ["L-8", "measure", "lin-ap3-1", "", "", "", "", "", "", "", "", "2026-03-01", "", "", "2025/26",
     "3.5", "122", "44", "487"],  # not a whole number of people
    ["L-9", "progress", "lin-ap3-1", "", "", "", "", "", "", "", "", "2026-03-01", "150"],  # refused by the rules
    ["L-2", "progress", "lin-ap3-1", "", "", "", "", "", "", "", "", "2026-03-05", "35"],  # external id again
    ["L-10", "commitment", "lin-ap2-1", "AP2", "Speak up", "p-lin-leader", "2026-01-01", "2026-06-30", "WRES-10",
     "1", "1"],  # unknown indicator
]


def sheet(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    book.active.append(HEADER)
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def test_a_sheet_says_every_rows_outcome_with_row_column_and_what(reference, tmp_path):
    outcomes = bulk_import.plan(bulk_import.read_rows(sheet(tmp_path / "in.xlsx", GOOD + BAD)), SYS, reference)
    said = [o.line() for o in outcomes]
    assert said[:3] == [("row 2 (L-1): accepted: if action 'lin-ap3-1' does not exist yet (else duplicate_action; "
                        "see --api)"), "row 3 (L-2): accepted", "row 4 (L-3): accepted"]
    assert said[3:] == [
        "row 5 (L-4): bad, column as_of: '1 March' is not a date (YYYY-MM-DD)",
        ("row 6 (L-5): bad, column kind: 'promotion' is not one of commitment, progress, measure, milestone_reached, "
        "milestone_missed, completed, withdrawn"),
        "row 7 (L-6): bad, column percent_complete: 'lots' is not a number",
        "row 8 (L-7): bad, column accountable_leader: is empty; this kind of row needs it",
        "row 9 (L-8): bad, column bme_numerator: '3.5' is not a whole number of people",
        "row 10 (L-9): bad, column -: refused percent_out_of_range: percent complete is 150.0; it must be 0 to 100",
        "row 11 (L-2): bad, column external_id: 'L-2' is also on row 3",
        ("row 12 (L-10): bad, column -: refused unknown_indicator: measure WRES-10: 'WRES-10' is not a WRES "
        "indicator; known: WRES-1, WRES-2, WRES-3, WRES-4, WRES-5, WRES-6, WRES-7, WRES-8, WRES-9"),
    ]
    assert bulk_import.summary(outcomes, SYS, posted=False) == (
        "11 row(s): 3 accepted, 0 unchecked, 0 already posted, 8 bad; would post 3 to actions.inbound.lincolnshire")


def test_the_reading_is_computed_from_its_counts_and_the_event_id_from_the_external_id(reference, tmp_path):
    outcomes = bulk_import.plan(bulk_import.read_rows(sheet(tmp_path / "in.xlsx", GOOD)), SYS, reference)
    reading = json.loads(outcomes[2].event)
    assert round(reading["data"]["value"], 4) == 2.4495
    assert reading["data"]["counts"] == {"bme_numerator": 27, "bme_denominator": 122, "white_numerator": 44,
                                         "white_denominator": 487}
    assert UUID(reading["event_id"]) == bulk_import.event_id(SYS, "L-3")


def test_a_csv_reads_as_the_excel_sheet_does(reference, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("\n".join(",".join(row) for row in [HEADER, *GOOD]) + "\n")
    outcomes = bulk_import.plan(bulk_import.read_rows(path), SYS, reference)
    assert [o.outcome for o in outcomes] == ["accepted"] * 3


def test_a_rerun_posts_nothing_twice(reference, tmp_path):
    """The service as it stands after the first run (what --api reads) says every row was applied."""
    rows = bulk_import.read_rows(sheet(tmp_path / "in.xlsx", GOOD))
    first = bulk_import.plan(rows, SYS, reference)
    state, applied = None, set()
    for o in first:
        event = parse_event(o.event)
        result = decide(state, event, SYS, reference)
        assert isinstance(result, Change)
        state, applied = result.snapshot, applied | {event.event_id}
    again = bulk_import.plan(rows, SYS, reference, live=lambda action_id: (state, applied))
    assert [o.line() for o in again] == [f"row {n} (L-{n - 1}): ignored: already posted (same external_id)"
                                         for n in (2, 3, 4)]
    assert not any(o.posts for o in again)


def test_an_uploaded_file_that_is_not_what_its_name_says_is_refused_in_words():
    with pytest.raises(bulk_import.BadSheet, match="not an Excel workbook"):
        bulk_import.read_sheet("updates.xlsx", b"external_id,kind\n")
    with pytest.raises(bulk_import.BadSheet, match="not text in UTF-8"):
        bulk_import.read_sheet("updates.csv", b"\xff\xfe\x00e\x00x")


def test_a_sheet_without_the_columns_every_row_needs_says_which_are_missing():
    rows = bulk_import.read_sheet("updates.csv", b"id,kind,action\nL-1,progress,lin-ap3-1\n")
    assert bulk_import.missing_columns(rows) == ["external_id", "action_id"]
    assert bulk_import.missing_columns(bulk_import.read_sheet("updates.csv", ",".join(HEADER).encode() + b"\n"
                                                              b"L-1,progress,lin-ap3-1\n")) == []
