"""Settings every service reads from its environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .access import ApiClient

# Secrets shorter than this, or one of the placeholders the code ever shipped with, stop a service
# from starting outside development mode.
MIN_SECRET_LENGTH = 32
PLACEHOLDER_SECRETS = frozenset({"change-me", "change-me-too", "changeme", "secret", "password", "development-stack"})
DEFAULT_REFERENCE_DATA = Path(__file__).with_name("reference_data.toml")
# The generated AsyncAPI documents and their HTML rendering, in a checkout (the image sets ASYNCAPI_DOCS).
DEFAULT_ASYNCAPI_DOCS = Path(__file__).resolve().parents[1] / "docs" / "asyncapi"


class ServiceSettings(BaseSettings):
    """Common to every service; each service's own settings class (``services/<name>/settings.py``)
    adds its database URL and what only it uses."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    development_mode: bool = Field(
        False, validation_alias=AliasChoices("DEVELOPMENT_MODE", "development_mode"),
        description="a developer's machine: a service starts with missing, default or short secrets (never in "
        "production)")
    kafka_bootstrap_servers: str = Field("localhost:9092", description="host:port[,host:port]")
    kafka_sasl_username: str | None = Field(
        None, description="SCRAM-SHA-512 principal, when the broker is secured: the connection is then SASL_SSL")
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: Path | None = Field(
        None, description="PEM file of the CA the broker's certificate is checked against (the project's CA, "
        "tools/certificates.py); unset: the system's trusted CAs")
    api_clients: list[ApiClient] = Field(
        default_factory=list, description="who may call the HTTP APIs: a JSON list of {name, roles, system, "
        "token_sha256} (shared/access.py); empty: nobody")
    reference_data_path: Path = Field(DEFAULT_REFERENCE_DATA, description="the systems and action points")
    log_level: str = "INFO"
    asyncapi_docs: Path = Field(DEFAULT_ASYNCAPI_DOCS,
                                description="docs/asyncapi: served at /asyncapi and /asyncapi.json")
    log_repeat_interval_seconds: float = Field(
        60.0, description="an identical log line is written once per this many seconds, with the count left out; "
        "0 writes every one")
    ready_outbox_max_age_seconds: float = Field(
        30.0, description="/ready fails once the oldest outbox row not yet confirmed by the broker is older")
    ready_stuck_after_seconds: float = Field(
        60.0, description="/ready fails once the consumer has been on one message (retrying it) for longer")
    batch_max_records: int = Field(500, ge=1, description="a consumer applies at most this many records in one batch")
    batch_wait_ms: int = Field(20, ge=1, description="a batch closes after this long with whatever has come")

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        """The service's secrets by the variable that sets each; a service with secrets lists them."""
        return {}

    def weak_secrets(self) -> list[str]:
        """What is wrong with each secret: missing, a placeholder, or short (empty in development mode)."""
        if self.development_mode:
            return []
        problems = []
        for variable, secret in self.secrets_to_check().items():
            value = secret.get_secret_value() if secret is not None else ""
            if not value:
                problems.append(f"{variable} is missing")
            elif value.lower() in PLACEHOLDER_SECRETS:
                problems.append(f"{variable} is the placeholder {value!r}")
            elif len(value) < MIN_SECRET_LENGTH:
                problems.append(f"{variable} is shorter than {MIN_SECRET_LENGTH} characters")
        return problems


def refuse_weak_secrets(service: str, settings: ServiceSettings) -> None:
    """Stop the process before it starts when a secret is missing, a placeholder or short, saying which
    (set DEVELOPMENT_MODE=1 on a developer's machine to start anyway)."""
    problems = settings.weak_secrets()
    if problems:
        raise SystemExit(f"{service} will not start: {'; '.join(problems)}. Generate each with, for example, "
                         "python -c 'import secrets; print(secrets.token_urlsafe(32))' (or set "
                         "DEVELOPMENT_MODE=1 on a developer's machine).")
