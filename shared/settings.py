"""Settings every service reads from its environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_REFERENCE_DATA = Path(__file__).with_name("reference_data.toml")


class ServiceSettings(BaseSettings):
    """Common to the three services. Each service adds its own database URL."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    kafka_bootstrap_servers: str = Field("localhost:9092", description="host:port[,host:port]")
    kafka_sasl_username: str | None = Field(None, description="SCRAM-SHA-512 principal, when the broker is secured")
    kafka_sasl_password: SecretStr | None = None
    reference_data_path: Path = Field(DEFAULT_REFERENCE_DATA, description="the systems and action points")
    http_port: int = Field(8000, description="health, readiness, metrics and the read API")
    log_level: str = "INFO"
    instance_id: str = Field("", description="names this instance in logs; defaults to the host name")


class ActionsSettings(ServiceSettings):
    database_url: str = Field(
        "postgresql://postgres@localhost:5432/actions",
        validation_alias=AliasChoices("ACTIONS_DATABASE_URL", "DATABASE_URL"),
    )


class AccountabilitySettings(ServiceSettings):
    """The accountability service. Every grace period and tolerance of the rules and the
    ladder is here, so the region can tune them without a code change (see
    services/accountability/README.md for what each one does). Days are calendar days."""

    database_url: str = Field(
        "postgresql://postgres@localhost:5432/accountability",
        validation_alias=AliasChoices("ACCOUNTABILITY_DATABASE_URL", "DATABASE_URL"),
    )
    consumer_group: str = Field("accountability", description="Kafka consumer group shared by all instances")
    timezone: str = Field("Europe/London", description="turns a clock tick's instant into the region's date")

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

    # the ladder
    leader_asked_grace_days: int = Field(
        14, ge=0, description="the leader's time to explain or send a recovery plan before the Panel's agenda")
    panel_agenda_grace_days: int = Field(28, ge=0, description="the leader's respond-by once on the Panel's agenda")
    people_board_grace_days: int = Field(28, ge=0, description="the leader's respond-by once before the People Board")
    explanation_grace_days: int = Field(14, ge=0, description="an explanation pauses the climb this long")
    recovery_plan_grace_days: int = Field(28, ge=0, description="a recovery plan pauses the climb this long")
    improvement_grace_days: int = Field(14, ge=0, description="progress beyond the best so far pauses it this long")
    unacknowledged_grace_days: int | None = Field(
        3, ge=0, description="an unacknowledged notice cuts the leader's time to this many days; null: no effect")

    @field_validator("cycle_months")
    @classmethod
    def _cycles_divide_the_year(cls, months: int) -> int:
        if months not in (1, 2, 3, 4, 6, 12):
            raise ValueError("cycle_months must divide the year: 1, 2, 3, 4, 6 or 12")
        return months


class NotificationsSettings(ServiceSettings):
    database_url: str = Field(
        "postgresql://postgres@localhost:5432/notifications",
        validation_alias=AliasChoices("NOTIFICATIONS_DATABASE_URL", "DATABASE_URL"),
    )
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    smtp_sender: str = "governance@midlands-people-board.example"
    webhook_secret: SecretStr = Field(SecretStr("change-me"), description="HMAC key for webhook signatures")
    ack_link_secret: SecretStr = Field(SecretStr("change-me-too"), description="HMAC key for acknowledgement links")
    public_base_url: str = Field(
        "http://localhost:8003", description="where leaders' acknowledgement links point: this service's address")
    group_wait_seconds: float = Field(60.0, description="clock time a group of notices collects before sending")
    ack_grace_hours: float = Field(168.0, description="clock time a leader has to acknowledge a notice")
    reminder_interval_hours: float = Field(48.0, description="clock time between reminders of an unacknowledged notice")
    delivery_retry_base_seconds: float = Field(1.0, description="first wait after a transient delivery failure")
    delivery_retry_max_seconds: float = Field(300.0, description="longest wait between delivery attempts")
    delivery_max_attempts: int = Field(12, description="transient failures before a notice is reported failed")
    delivery_lease_seconds: float = Field(60.0, description="after this, a claimed but unrecorded send is retried")
    delivery_timeout_seconds: float = Field(10.0, description="SMTP and webhook time-out")
