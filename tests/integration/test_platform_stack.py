"""The one-command stack's Python API: services start as real processes, answer /ready,
a service that cannot start is named with its reason, and everything stops on exit."""

from __future__ import annotations

import uuid

import httpx
import pytest

from shared.infra.stack import StackError, running_stack

pytestmark = pytest.mark.integration


def _suffix() -> str:
    return f"_{uuid.uuid4().hex[:8]}"


def test_the_stack_runs_a_service_until_it_is_ready_and_stops_it_on_exit(kafka, postgres_admin, tmp_path):
    with running_stack(("actions",), kafka_bootstrap=kafka, postgres_url=postgres_admin, with_clock=False,
                       database_suffix=_suffix(), logs_dir=tmp_path) as stack:
        assert httpx.get(f"{stack.url('actions')}/ready").status_code == 200
        assert stack.problems == {}
        assert "actions" in stack.describe() and "stack ready in" in stack.describe()
        process = stack.services["actions"]
    assert process.exited() is not None, "the service process ends with the stack"
    assert (tmp_path / "actions.log").exists()


def test_a_service_that_cannot_start_is_named_with_its_reason(kafka, postgres_admin, tmp_path):
    nowhere = "postgresql://postgres@127.0.0.1:1/nowhere"
    with pytest.raises(StackError) as failed:
        with running_stack(("actions",), kafka_bootstrap=kafka, postgres_url=postgres_admin, with_clock=False,
                           database_suffix=_suffix(), logs_dir=tmp_path, ready_timeout=30,
                           extra_env={"ACTIONS_DATABASE_URL": nowhere}):
            pytest.fail("the stack must not come up without its service")
    message = str(failed.value)
    assert "services failed to start: actions" in message
    assert "last log lines" in message
