"""Who plays what in the scripted governance cycle (``tools.scripted_cycle``): the people,
every system's two commitments, and which actions slip, recover, explain or stay silent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shared.contracts import events as ev

YEAR = 2026
CHAIR, SECRETARY, PANEL_SECRETARY = "p-panel-chair", "p-board-secretary", "p-panel-secretary"


# ---- the people and the actions ------------------------------------------------------

def leader(system: str, n: int) -> str:
    return f"p-lead-{system}-{n}"


def people(systems: list[str]) -> list[ev.Person]:
    found = [
        ev.Person(person_id=CHAIR, name="Panel Chair", email="panel.chair@example.org", roles=["panel_chair"]),
        ev.Person(person_id=SECRETARY, name="Board Secretary", email="board.secretary@example.org",
                  roles=["board_secretary"]),
        # the contact every letter not to a leader names (a leader's names their SRO)
        ev.Person(person_id=PANEL_SECRETARY, name="Panel Secretary", email="panel.secretary@example.org",
                  roles=["panel_secretary"]),
    ]
    for s in systems:
        found.append(ev.Person(person_id=f"p-sro-{s}", name=f"SRO {s}", email=f"sro.{s}@example.org",
                               roles=["sro"], systems=[s]))
        found += [ev.Person(person_id=leader(s, n), name=f"Leader {n} {s}", email=f"lead{n}.{s}@example.org",
                            roles=["leader"], systems=[s]) for n in (1, 2)]
    return found


TITLES = {
    "AP1": "Risk assessments that make BME staff feel safer",
    "AP2": "Freedom to Speak Up guardians BME staff trust",
    "AP3": "Independent review of every formal disciplinary involving BME staff",
    "AP4": "Fair interviews: diverse panels for every band 8a+ appointment",
    "AP5": "Staff network chairs sit on the board's people committee",
}
WRES_DISCIPLINARY = ev.Measure(code="WRES-3", name="Relative likelihood of BME staff entering formal disciplinary",
                               baseline=1.5, target=1.0, range_low=0.8, range_high=1.25,
                               direction="lower_is_better")


def commitments(systems: list[str]) -> list[ev.CommitmentMade]:
    made = []
    for i, s in enumerate(systems):
        for n, point in ((1, f"AP{i % 5 + 1}"), (2, f"AP{(i + 2) % 5 + 1}")):
            action_id = f"{s}-{point.lower()}"
            made.append(ev.CommitmentMade.new(source=s, subject=action_id, data=ev.Commitment(
                action_id=action_id, system=s, action_point=point, title=TITLES[point],
                accountable_leader=leader(s, n), start_date=date(YEAR, 1, 5), due_date=date(YEAR, 12, 31),
                milestones=[ev.Milestone(milestone_id="m1", title="Plan agreed with the staff network",
                                         due=date(YEAR, 2, 13))],
                trajectory=[ev.TrajectoryPoint(by=date(YEAR, 2, 13), percent=20),
                            ev.TrajectoryPoint(by=date(YEAR, 6, 30), percent=50),
                            ev.TrajectoryPoint(by=date(YEAR, 12, 31), percent=100)],
                measure=WRES_DISCIPLINARY if point == "AP3" else None,
            )))
    return made


@dataclass
class Cast:
    """Which actions play which part in the story."""

    recovers: str  # behind plan, sends a recovery plan, catches up
    ignores: str  # misses a milestone, says nothing, reaches the Panel
    measure: str  # a measure out of range, explains
    silent_system: str  # posts nothing all cycle

    @classmethod
    def choose(cls, made: list[ev.CommitmentMade]) -> Cast:
        by_system: dict[str, list[str]] = {}
        for c in made:
            by_system.setdefault(c.data.system, []).append(c.subject)
        systems = list(by_system)
        ap3 = next(c.subject for c in made if c.data.action_point == "AP3" and c.data.system not in systems[:2])
        return cls(recovers=by_system[systems[1]][0], ignores=by_system[systems[3]][0], measure=ap3,
                   silent_system=systems[6])
