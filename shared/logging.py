"""JSON logs through structlog, with correlation ids and without personal data.

Contact details live in the notifications database only; this processor is the
second line: any key that names a person's details is dropped and anything that
looks like an email address is masked, whatever the caller passed.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, cast

import structlog

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PERSONAL_KEYS = {"email", "name", "full_name", "phone", "address", "to", "recipient_email", "webhook_url"}


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _EMAIL.sub("[email]", value)
    if isinstance(value, dict):
        return {k: ("[redacted]" if k in _PERSONAL_KEYS else _mask(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask(v) for v in value]
    return value


def redact_personal_data(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Mapping[str, Any]:
    return {k: ("[redacted]" if k in _PERSONAL_KEYS else _mask(v)) for k, v in event_dict.items()}


def configure_logging(service: str, level: str = "INFO") -> None:
    """JSON lines on stdout for structlog and for the standard library (FastStream, aiokafka)."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            redact_personal_data,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )
    structlog.contextvars.bind_contextvars(service=service)
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            redact_personal_data,
            structlog.processors.JSONRenderer(),
        ],
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiokafka").setLevel("WARNING")


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return cast(structlog.stdlib.BoundLogger, structlog.get_logger(name))
