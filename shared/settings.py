"""Settings every service reads from its environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
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
    database_url: str = Field(
        "postgresql://postgres@localhost:5432/accountability",
        validation_alias=AliasChoices("ACCOUNTABILITY_DATABASE_URL", "DATABASE_URL"),
    )


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
    public_base_url: str = Field("http://localhost:8002", description="where leaders' acknowledgement links point")
    group_wait_seconds: float = Field(60.0, description="clock time a group of notices collects before sending")
    ack_grace_hours: float = Field(168.0, description="clock time a leader has to acknowledge a notice")
    reminder_interval_hours: float = Field(48.0, description="clock time between reminders of an unacknowledged notice")
    delivery_retry_base_seconds: float = Field(1.0, description="first wait after a transient delivery failure")
    delivery_retry_max_seconds: float = Field(300.0, description="longest wait between delivery attempts")
    delivery_max_attempts: int = Field(12, description="transient failures before a notice is reported failed")
    delivery_lease_seconds: float = Field(60.0, description="after this, a claimed but unrecorded send is retried")
    delivery_timeout_seconds: float = Field(10.0, description="SMTP and webhook time-out")
