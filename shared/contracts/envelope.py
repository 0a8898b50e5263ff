"""The envelope every event travels in, and the one place raw bytes become events.

Systems and services send JSON objects like::

    {"event_id": "...", "type": "progress.reported", "schema_version": 1,
     "source": "black-country", "subject": "act-123", "occurred_at": "...",
     "correlation_id": "...", "causation_id": null, "data": {...}}

``parse_event`` reads such bytes and either returns the typed event or raises
``ContractError`` with a code a sender can act on.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar, cast, get_args
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError


def utc_now() -> datetime:
    return datetime.now(UTC)


class ContractError(Exception):
    """Bytes that are not a valid v1 event. ``code`` is stable; ``reason`` is for people."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class Payload(BaseModel):
    """A v1 event's data. A tolerant reader: a field it does not know is ignored, so adding an
    optional field within a version breaks no consumer; the fields it knows stay required and typed."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Event(BaseModel):
    """Common envelope. Each concrete event fixes ``type`` and the model of ``data``."""

    model_config = ConfigDict(extra="ignore", frozen=True)  # a tolerant reader, as Payload

    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    event_id: UUID = Field(default_factory=uuid4)
    type: str
    schema_version: int = 1
    source: str = Field(min_length=1, max_length=100, description="system or service that sent it")
    subject: str = Field(min_length=1, max_length=200, description="what it is about, usually an action id")
    occurred_at: datetime = Field(default_factory=utc_now)
    correlation_id: UUID = Field(default_factory=uuid4)
    causation_id: UUID | None = None
    data: Any

    @classmethod
    def new(cls, *, source: str, subject: str, data: Any, cause: Event | None = None,
            occurred_at: datetime | None = None) -> Self:
        """A fresh event; when it is caused by another it inherits its correlation id."""
        extra: dict[str, Any] = {}
        if cause is not None:
            extra = {"correlation_id": cause.correlation_id, "causation_id": cause.event_id}
        if occurred_at is not None:
            extra["occurred_at"] = occurred_at
        return cls(type=cls.TYPE, schema_version=cls.VERSION, source=source,
                   subject=subject, data=data, **extra)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()


_REGISTRY: dict[str, type[Event]] = {}
_E = TypeVar("_E", bound=type[Event])


def register(cls: _E) -> _E:
    """Class decorator: makes an event type known to ``parse_event``.

    The wire name is the one the class's ``type`` field allows, so it is written once.
    """
    fields = cast("type[Event]", cls).model_fields
    (cls.TYPE,) = get_args(fields["type"].annotation)
    if cls.TYPE in _REGISTRY:
        raise RuntimeError(f"event type {cls.TYPE!r} registered twice")
    _REGISTRY[cls.TYPE] = cls
    return cls


def event_types() -> dict[str, type[Event]]:
    return dict(_REGISTRY)


MAX_EVENT_BYTES = 256 * 1024


def parse_event(raw: bytes | str | dict[str, Any], *, accept: tuple[type[Event], ...] = ()) -> Event:
    """Bytes (or an already decoded object) to a typed event, or ``ContractError``.

    ``accept`` narrows the types a given consumer takes; an event of another known
    type is refused as ``unexpected_type`` so a sender who posts to the wrong topic
    is told so.
    """
    if isinstance(raw, (bytes, str)):
        if len(raw) > MAX_EVENT_BYTES:
            raise ContractError("too_large", f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}")
        try:
            obj = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContractError("not_json", f"message is not JSON: {exc}") from None
    else:
        obj = raw
    if not isinstance(obj, dict):
        raise ContractError("not_an_object", f"event must be a JSON object, got {type(obj).__name__}")
    event_type = obj.get("type")
    if not isinstance(event_type, str):
        raise ContractError("missing_type", "event has no string field 'type'")
    cls = _REGISTRY.get(event_type)
    if cls is None:
        raise ContractError("unknown_type", f"unknown event type {event_type!r}")
    if accept and cls not in accept:
        names = ", ".join(sorted(c.TYPE for c in accept))
        raise ContractError("unexpected_type", f"{event_type!r} is not accepted here; expected one of: {names}")
    version = obj.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ContractError("missing_version", "event has no integer field 'schema_version'")
    if version > cls.VERSION:
        raise ContractError(
            "unsupported_version",
            f"{event_type!r} schema version {version} is newer than the supported version {cls.VERSION}",
        )
    if version < 1:
        raise ContractError("unsupported_version", f"schema version {version} does not exist")
    try:
        return cls.model_validate(obj)
    except ValidationError as exc:
        raise ContractError("schema_invalid", _describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "event"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
