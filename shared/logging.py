"""JSON logs through structlog, with correlation ids and without personal data, that survive an
outage.

Contact details live in the notifications database only; this processor is the
second line: any key that names a person's details is dropped and anything that
looks like an email address is masked, whatever the caller passed.

Repeats are collapsed (log-rate-limit's ``StreamRateLimitFilter``): a line identical to one
written less than ``repeat_interval`` seconds ago (same level, event and fields; the time aside)
is counted instead of written, and the next one written says how many were left out
(``repeated``). The Kafka client's own lines (aiokafka, FastStream) go through the same filter by
their text, so a broker outage writes each kind of connection error about once a minute instead
of dozens of times a second. A kind that stops repeating has its last count reported with the next
line written once its stream expires.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO, cast

import structlog
from log_rate_limit import StreamRateLimitFilter

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# Secrets that ride in a URL's query (a signed link's sig, a sign-in's code and state, a token): their
# values never reach a line, whoever logs the URL.
_QUERY_SECRET = re.compile(r"(?i)([?&](?:sig|signature|token|access_token|code|state|key)=)[^&\s\"']*")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_PERSONAL_KEYS = {"email", "name", "full_name", "phone", "address", "to", "recipient_email", "webhook_url"}


def scrub(text: str) -> str:
    """``text`` without e-mail addresses, secrets in query strings and bearer tokens."""
    return _BEARER.sub(r"\1[redacted]", _QUERY_SECRET.sub(r"\1[redacted]", _EMAIL.sub("[email]", text)))


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in _PERSONAL_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(v) for v in value]
    return value


def redact_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {k: ("[redacted]" if k in _PERSONAL_KEYS else _mask(v)) for k, v in event_dict.items()}


_NOTE_LIMIT = 1000  # characters of the counts reported when repeating lines went quiet


def repeat_limiter(interval: float) -> StreamRateLimitFilter:
    """One stream per distinct line; the count of lines left out goes in ``srl_summary_note``."""
    return StreamRateLimitFilter(
        period_sec=interval, summary=False, summary_msg="{numskip}", expire_offset_sec=max(300.0, 5 * interval),
        expire_msg="earlier: {numskip} more of {stream_id}")


class CollapseRepeats:
    """A structlog processor: drops an event identical to one let through less than the limiter's
    period ago and counts it; the next identical event let through carries ``repeated=<count>``."""

    def __init__(self, limiter: StreamRateLimitFilter) -> None:
        self.limiter = limiter

    def __call__(self, _: Any, method: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        key = json.dumps({"level": method, **event_dict}, sort_keys=True, default=repr)
        record = logging.LogRecord("structlog", logging.INFO, "", 0, key, None, None)
        allowed = self.limiter.filter(record)
        note: str = getattr(record, "srl_expire_note", "")
        expired = note.strip()[:_NOTE_LIMIT]
        if allowed and expired and record.msg == note:
            return {"event": "repeats_ended", "level": "info", "detail": expired}  # this one was left out
        if not allowed:
            raise structlog.DropEvent
        if summary := getattr(record, "srl_summary_note", ""):
            event_dict["repeated"] = int(summary)
        if expired:
            event_dict["repeats_ended"] = expired
        return event_dict


def _foreign_repeats(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """For the Kafka client's lines: the count the handler's limiter left on the record."""
    record = event_dict.get("_record")
    note = getattr(record, "srl_summary_note", "")
    if note:
        event_dict["repeated"] = int(note)
    return event_dict


class AccessLogWithoutQueries(logging.Filter):
    """The web server's access log names the path only: a query may hold a signed link's signature,
    a sign-in's code, or a person's id (``GET /ack?[query left out]``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0] + "?[query left out]", args[3], args[4])
        return True


def configure_logging(service: str, level: str = "INFO", repeat_interval: float = 60.0,
                      stream: TextIO | None = None) -> None:
    """JSON lines on stdout (or ``stream``) for structlog and for the standard library (FastStream,
    aiokafka), identical lines collapsed (``repeat_interval`` seconds; 0 writes every one)."""
    out = stream or sys.stdout
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    limiter = repeat_limiter(repeat_interval)
    collapse = [CollapseRepeats(limiter)] if repeat_interval > 0 else []
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            redact_personal_data,  # first, so a collapsed line's count never names anyone either
            *collapse,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_personal_data,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(out)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[
            _foreign_repeats,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_personal_data,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    ))
    if repeat_interval > 0:
        handler.addFilter(limiter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel("WARNING")
    logging.getLogger("uvicorn.access").addFilter(AccessLogWithoutQueries())


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return cast(structlog.stdlib.BoundLogger, structlog.get_logger(name))
