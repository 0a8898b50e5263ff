"""The actions service's settings: the common ones and its database."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class ActionsSettings(ServiceSettings):
    database_url: str = Field(
        "postgresql://postgres@localhost:5432/actions",
        validation_alias=AliasChoices("ACTIONS_DATABASE_URL", "DATABASE_URL"),
    )
