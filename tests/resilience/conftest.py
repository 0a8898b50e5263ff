"""The resilience suite runs only when asked (``RESILIENCE=1``, as deploy/resilience.sh sets it):
it starts its own broker and database and breaks them, which takes minutes, so the default test
run (``.ci/run``) collects it and skips it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "resilience: breaks the real stack on purpose; run with RESILIENCE=1")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("RESILIENCE") == "1":
        return
    skip = pytest.mark.skip(reason="the resilience suite runs with RESILIENCE=1 (bash deploy/resilience.sh)")
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)
