"""The accountability service's settings: its database, its consumer group, the cycle calendar,
and every tolerance and grace period of the rules and the ladder."""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator

from shared.settings import ServiceSettings


class AccountabilitySettings(ServiceSettings):
    """The accountability service. Every grace period and tolerance of the rules and the
    ladder is here, so the region can tune them without a code change (see
    services/accountability/README.md for what each one does). Days are calendar days."""

    database_url: str = Field(
        "postgresql://postgres@localhost:5432/accountability",
        validation_alias=AliasChoices("ACCOUNTABILITY_DATABASE_URL", "DATABASE_URL"),
    )
    consumer_group: str = Field("accountability", description="Kafka consumer group shared by all instances")
    tick_chunk_actions: int = Field(200, ge=1, description="a clock tick judges the actions this many to a transaction")
    timezone: str = Field("Europe/London", description="turns a clock tick's instant into the region's date")
    clock_max_step_days: float = Field(
        7.0, gt=0, description="a tick further ahead of the clock than this is refused (dead-lettered as "
        "clock_leap) unless an operator moved time on")
    clock_backwards_tolerance_seconds: float = Field(
        300.0, ge=0, description="a tick older than the clock by up to this is ignored (a second clock, a "
        "redelivery); older still, it is refused as clock_backwards")

    # the cycle calendar
    cycle_months: int = Field(3, description="cycle length in months: 1, 2, 3, 4, 6 or 12 (3: quarterly)")
    cycle_anchor_month: int = Field(1, ge=1, le=12, description="a month in which a cycle opens (1: January)")
    submission_deadline_days_before_close: int = Field(
        10, ge=0, description="updates are due this many days before a cycle closes")
    reminder_days_before_deadline: list[int] = Field(
        [14, 3], description="reminders fall due this many days before the deadline (JSON list)")
    panel_meeting_days_after_deadline: int = Field(5, ge=0, description="the Panel meets this long after the deadline")
    agenda_days_before_meeting: int = Field(3, ge=0, description="the agenda is published this long before it meets")
    panel_chair: str = Field("p-panel-chair", description="person id of the Panel's independent chair")

    # the rules
    trajectory_at_risk_points: float = Field(
        10.0, ge=0, description="percentage points behind the planned trajectory that make an action at risk")
    trajectory_off_track_points: float = Field(
        25.0, ge=0, description="percentage points behind the planned trajectory that make it off track")
    measure_worsening_tolerance: float = Field(
        0.0, ge=0, description="a reading worse than the last by no more than this is not 'worse'")
    repeat_slip_cycles: int = Field(2, ge=2, description="slipping this many cycles running makes it off track")
    small_number_threshold: int = Field(
        5, ge=1, description="a measure's figure from fewer people than this is never published (API, report, "
                             "notices): NHS statistical disclosure guidance")

    # the ladder
    leader_asked_grace_days: int = Field(
        14, ge=0, description="the leader's time to explain or send a recovery plan before the Panel's agenda")
    panel_agenda_grace_days: int = Field(28, ge=0, description="the leader's respond-by once on the Panel's agenda")
    people_board_grace_days: int = Field(28, ge=0, description="the leader's respond-by once before the People Board")
    explanation_grace_days: int = Field(14, ge=0, description="an explanation pauses the climb this long")
    recovery_plan_grace_days: int = Field(28, ge=0, description="a recovery plan pauses the climb this long")
    improvement_grace_days: int = Field(14, ge=0, description="progress beyond the best so far pauses it this long")
    unacknowledged_grace_days: int | None = Field(
        3, ge=0, description="an unacknowledged notice is recorded as this many days' notice of silence; it "
        "never brings forward the date the leader was told (the date told is the date kept); null: not recorded")

    @field_validator("cycle_months")
    @classmethod
    def _cycles_divide_the_year(cls, months: int) -> int:
        if months not in (1, 2, 3, 4, 6, 12):
            raise ValueError("cycle_months must divide the year: 1, 2, 3, 4, 6 or 12")
        return months
