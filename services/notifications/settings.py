"""The notifications service's settings: its database, SMTP, signing secrets and the
delivery clock."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr

from shared.settings import ServiceSettings


class NotificationsSettings(ServiceSettings):
    database_url: str = Field(
        "postgresql://postgres@localhost:5432/notifications",
        validation_alias=AliasChoices("NOTIFICATIONS_DATABASE_URL", "DATABASE_URL"),
    )
    smtp_host: str = "localhost"
    smtp_port: int = 1025
    smtp_sender: str = "governance@midlands-people-board.example"
    smtp_require_tls: bool = Field(
        False, description="refuse to send unless the SMTP server offers STARTTLS (the notice is retried, never "
        "sent in clear); unset, STARTTLS is still used whenever the server offers it")
    smtp_ca_file: Path | None = Field(
        None, description="PEM file of the CA the SMTP server's certificate is checked against; unset: the "
        "system's trusted CAs")
    webhook_secret: SecretStr = Field(SecretStr("change-me"), description="HMAC key for webhook signatures")
    ack_link_secret: SecretStr = Field(
        SecretStr("change-me-too"),
        description="HMAC key of the /ack links in notices sent before the portal (they now open its page)")
    ack_link_previous_secrets: list[SecretStr] = Field(
        default_factory=list, description="keys the /ack links were signed with before the last rotation, still "
        "accepted (JSON list); empty them once the links they signed have expired")
    ack_link_days: float = Field(
        28.0, gt=0, description="clock days an /ack link is followed after its notice was issued; refused after")
    portal_public_url: str = Field(
        "http://localhost:8004",
        description="where people reach the portal: a notice's link opens its page there (<url>/notices/<id>); "
        "outside development mode it must not name this machine (localhost, 127.0.0.1)")
    accountability_url: str | None = Field(
        None, validation_alias=AliasChoices("NOTIFICATIONS_ACCOUNTABILITY_URL"),
        description="the accountability service's API: the cycle's close attaches the Board's report read from "
        "it (HTML, and its PDF where chromium is installed); unset: the notice links to the report in the portal")
    accountability_token: SecretStr | None = Field(
        None, validation_alias=AliasChoices("NOTIFICATIONS_ACCOUNTABILITY_TOKEN"),
        description="this service's bearer token for that API (a client with the Board's role)")
    group_wait_seconds: float = Field(60.0, description="clock time a group of notices collects before sending")
    one_email_a_day: bool = Field(
        True, description="everything a person is told on one governance day goes in one e-mail, sent when the "
        "clock leaves that day; off: each notice is sent as soon as it is due")
    ack_grace_hours: float = Field(168.0, description="clock time a leader has to acknowledge a notice")
    reminder_interval_hours: float = Field(48.0, description="clock time between reminders of an unacknowledged notice")
    reminders_per_step: int = Field(
        1, ge=0, le=2, description="reminders a person gets about one step of the ladder (two at most): the "
        "notice itself states the date, and an answer stops them")
    delivery_retry_base_seconds: float = Field(1.0, description="first wait after a transient delivery failure")
    delivery_retry_max_seconds: float = Field(
        300.0, description="longest wait between delivery attempts; a transient failure is retried for as long "
        "as it lasts, never given up")
    undeliverable_roles: list[str] = Field(
        ["panel_secretary", "directory_admin"],
        description="directory roles told when a notice is refused for good (SMTP 5xx, HTTP 4xx, no address)")
    delivery_lease_seconds: float = Field(60.0, description="after this, a claimed but unrecorded send is retried")
    delivery_timeout_seconds: float = Field(10.0, description="SMTP and webhook time-out")

    def secrets_to_check(self) -> dict[str, SecretStr | None]:
        token = {"NOTIFICATIONS_ACCOUNTABILITY_TOKEN": self.accountability_token} if self.accountability_url else {}
        return {"WEBHOOK_SECRET": self.webhook_secret, "ACK_LINK_SECRET": self.ack_link_secret} | token

    def local_portal_url(self) -> str | None:
        """What is wrong with the portal's address for links in e-mails: one that names this machine
        opens nothing on the reader's (None: fine, or a developer's machine, where it is the point)."""
        if self.development_mode:
            return None
        host = (urlsplit(self.portal_public_url).hostname or "").lower()
        try:
            loopback = ipaddress.ip_address(host).is_loopback or ipaddress.ip_address(host).is_unspecified
        except ValueError:
            loopback = host == "localhost" or host.endswith(".localhost") or not host
        if not loopback:
            return None
        return (f"PORTAL_PUBLIC_URL is {self.portal_public_url!r}, an address on this machine: every notice "
                "links to the portal there and no reader could open it")


def refuse_local_links(service: str, settings: NotificationsSettings) -> None:
    """Stop before starting when notices would link to this machine, saying so (DEVELOPMENT_MODE=1 on a
    developer's machine, where localhost is right)."""
    problem = settings.local_portal_url()
    if problem:
        raise SystemExit(f"{service} will not start: {problem}. Set PORTAL_PUBLIC_URL to the address people reach "
                         "the portal at, e.g. https://portal.midlands-people-board.example (or DEVELOPMENT_MODE=1 on "
                         "a developer's machine).")
