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
