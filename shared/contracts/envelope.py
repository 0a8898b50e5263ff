"""The envelope every event travels in, and the one place raw bytes become events.

Systems and services send JSON objects like::

    {"event_id": "...", "type": "progress.reported", "schema_version": 1,
     "source": "black-country", "subject": "act-123", "occurred_at": "...",
     "correlation_id": "...", "causation_id": null, "data": {...}}

``parse_event`` reads such bytes and either returns the typed event or raises
``ContractError`` with a code a sender can act on. What it accepts is exactly what the
published JSON schema says (``tests/unit/test_contract_schema.py`` holds the two together):
every envelope field but ``causation_id`` is required on the wire, values are taken as JSON
gives them (no string for a number, no number for a date), and no NaN or infinity.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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

    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


# What a sender must always send. The defaults on ``Event`` are for code that builds events
# (``Event.new``); an event read from the wire without one of these is refused, so that a
# redelivered message keeps its id, time and correlation.
WIRE_REQUIRED = ("event_id", "type", "schema_version", "source", "subject", "occurred_at", "correlation_id", "data")


def _wire_schema(schema: dict[str, Any], cls: type[Any]) -> None:
    """The envelope's JSON schema as ``parse_event`` applies it: required means required."""
    properties = schema["properties"]
    for name in WIRE_REQUIRED:
        properties[name].pop("default", None)
    properties["schema_version"] |= {"minimum": 1, "maximum": cls.VERSION,
                                     "description": "the version of this event type's schema the sender used"}
    properties["correlation_id"]["description"] = (
        "the same for every event that follows from one original event; a system starting something new "
        "sends a fresh one (its event_id will do)")
    schema["required"] = list(WIRE_REQUIRED)


class Event(BaseModel):
    """Common envelope. Each concrete event fixes ``type`` and the model of ``data``."""

    # a tolerant reader, as Payload
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False, json_schema_extra=_wire_schema)

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


# How an older version of an event becomes the next one: the envelope as read, at
# ``from_version``, to the same envelope at ``from_version + 1`` (a field renamed, a new one
# derived or given its default). A consumer reads every older version it has a path for.
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Decorator: registers ``fn`` as the step from ``from_version`` of ``event_type`` to the next."""
    def register_step(fn: Upcaster) -> Upcaster:
        if (event_type, from_version) in _UPCASTERS:
            raise RuntimeError(f"{event_type!r} has two upcasters from version {from_version}")
        _UPCASTERS[(event_type, from_version)] = fn
        return fn
    return register_step


def _upcast(obj: dict[str, Any], cls: type[Event], version: int) -> dict[str, Any]:
    """``obj`` at ``version``, step by step to the version ``cls`` reads; no path, no event."""
    while version < cls.VERSION:
        step = _UPCASTERS.get((cls.TYPE, version))
        if step is None:
            raise ContractError("unsupported_version",
                                f"{cls.TYPE!r} schema version {version} can no longer be read: "
                                f"nothing turns it into version {version + 1}")
        obj = step(dict(obj)) | {"schema_version": version + 1}
        version += 1
    return obj


MAX_EVENT_BYTES = 256 * 1024


def parse_event(raw: bytes | str | dict[str, Any], *, accept: tuple[type[Event], ...] = ()) -> Event:
    """Bytes (or an already decoded object) to a typed event, or ``ContractError``.

    ``accept`` narrows the types a given consumer takes; an event of another known
    type is refused as ``unexpected_type`` so a sender who posts to the wrong topic
    is told so.
    """
    text, obj = _decode(raw)
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
    missing = [name for name in WIRE_REQUIRED if name not in obj]
    if missing:
        raise ContractError("schema_invalid", "; ".join(f"{name}: Field required" for name in missing))
    if version < cls.VERSION:
        text = json.dumps(_upcast(obj, cls, version), allow_nan=False)
    try:
        return cls.model_validate_json(text, strict=True)
    except ValidationError as exc:
        # an id that is not an id (ID_PATTERN) has its own code: the sender's fix is to its ids
        bad_id = all(e["type"] == "string_pattern_mismatch" for e in exc.errors())
        raise ContractError("bad_identifier" if bad_id else "schema_invalid", _describe(exc)) from None


def _decode(raw: bytes | str | dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The message as JSON text and as the object it holds."""
    if isinstance(raw, dict):
        try:
            return json.dumps(raw, allow_nan=False), raw
        except (TypeError, ValueError) as exc:
            raise ContractError("not_json", f"event is not JSON data: {exc}") from None
    if len(raw) > MAX_EVENT_BYTES:
        raise ContractError("too_large", f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}")
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        obj = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ContractError("not_json", f"message is not UTF-8 JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ContractError("not_an_object", f"event must be a JSON object, got {type(obj).__name__}")
    return text, obj


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"]) or "event"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
