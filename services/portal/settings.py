"""The portal's settings: the common ones, its database, where people reach it, the identity
provider it trusts and the key that signs its session cookies."""

from __future__ import annotations

import secrets

from pydantic import AliasChoices, Field, SecretStr, model_validator

from shared.settings import ServiceSettings

MIN_SECRET_LENGTH = 32


class PortalSettings(ServiceSettings):
    database_url: str = Field(
        "postgresql://postgres@localhost:5432/portal",
        validation_alias=AliasChoices("PORTAL_DATABASE_URL", "DATABASE_URL"),
    )
    public_url: str = Field("http://localhost:8004", validation_alias="PORTAL_PUBLIC_URL",
                            description="the address people reach the portal at; sign-in comes back to it")
    oidc_discovery_url: str = Field(
        "http://localhost:8080/midlands/.well-known/openid-configuration",
        validation_alias="PORTAL_OIDC_DISCOVERY_URL",
        description="the identity provider's OpenID Connect discovery document")
    oidc_client_id: str = Field("portal", validation_alias="PORTAL_OIDC_CLIENT_ID")
    oidc_client_secret: SecretStr = Field(SecretStr(""), validation_alias="PORTAL_OIDC_CLIENT_SECRET")
    session_secret: SecretStr | None = Field(
        None, validation_alias="PORTAL_SESSION_SECRET",
        description=f"signs the session cookie; at least {MIN_SECRET_LENGTH} characters. Required unless "
                    "PORTAL_DEVELOPMENT_MODE is set, where a random one is drawn at start")
    development_mode: bool = Field(
        False, validation_alias="PORTAL_DEVELOPMENT_MODE",
        description="a developer's machine: a drawn session secret and cookies without Secure (plain http)")
    session_hours: float = Field(8.0, gt=0, le=24, validation_alias="PORTAL_SESSION_HOURS",
                                 description="how long a sign-in lasts")
    accountability_url: str = Field(
        "http://localhost:8002", validation_alias="PORTAL_ACCOUNTABILITY_URL",
        description="the accountability service's read API: the People Board's report comes from there")
    notice_link_days: float = Field(28.0, gt=0, validation_alias="PORTAL_NOTICE_LINK_DAYS",
                                    description="days of the governance clock a notice's link acknowledges")
    accountability_token: SecretStr | None = Field(
        None, validation_alias="PORTAL_ACCOUNTABILITY_TOKEN",
        description="the portal's machine credential for that API (a 'portal' client there), sent with the "
                    "role the signed-in person acts in")

    @model_validator(mode="after")
    def _a_session_secret_outside_development(self) -> PortalSettings:
        secret = self.session_secret.get_secret_value() if self.session_secret else ""
        if secret and len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"PORTAL_SESSION_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        if not secret and not self.development_mode:
            raise ValueError("PORTAL_SESSION_SECRET is required (or set PORTAL_DEVELOPMENT_MODE=1 on a "
                             "developer's machine)")
        return self

    def signing_secret(self) -> str:
        """The session key: the configured one, or (development mode only) one drawn now."""
        if self.session_secret is not None and self.session_secret.get_secret_value():
            return self.session_secret.get_secret_value()
        return secrets.token_urlsafe(48)

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        return {"PORTAL_SESSION_SECRET": self.session_secret, "PORTAL_OIDC_CLIENT_SECRET": self.oidc_client_secret,
                "PORTAL_ACCOUNTABILITY_TOKEN": self.accountability_token}

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS, everywhere but a developer's machine."""
        return not self.development_mode

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url.rstrip('/')}/signed-in"
