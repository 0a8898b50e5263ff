"""Event contracts: the envelope, the v1 events and the registry of topics."""

from .envelope import ContractError, Event, event_types, parse_event
from .events import *  # noqa: F403  (the events are the contract's vocabulary)

__all__ = ["ContractError", "Event", "event_types", "parse_event"]
