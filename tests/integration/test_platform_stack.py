"""The one-command stack's Python API: services start as real processes, answer /ready,
a service that cannot start is named with its reason, and everything stops on exit."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid

import httpx
import pytest
from aiokafka.errors import TopicAuthorizationFailedError

from shared.contracts.topics import ACTION_CHANGES, system_inbound
from shared.infra.acls import system_principal
from shared.infra.stack import StackError, running_stack
from tests.kafka_tools import collect, produce
from tests.samples import commitment

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


async def test_a_secured_stack_runs_the_actions_service_and_lets_a_system_post_only_for_itself(
    postgres_admin, tmp_path,
):
    ours, theirs = "black-country", "lincolnshire"
    action = f"bc-ap3-{uuid.uuid4().hex[:6]}"
    with running_stack(("actions",), secured=True, postgres_url=postgres_admin, with_clock=False,
                       database_suffix=_suffix(), logs_dir=tmp_path) as stack:
        # Ready means the service logged in as svc-actions and its ACLs let it subscribe.
        assert httpx.get(f"{stack.url('actions')}/ready").status_code == 200
        login = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                 "sasl_plain_username": system_principal(ours),
                 "sasl_plain_password": stack.credentials[system_principal(ours)]}
        await produce(stack.sasl_bootstrap, system_inbound(ours),
                      [commitment(action_id=action, system=ours).to_bytes()], key=action.encode(), **login)
        changes = await collect(stack.kafka_bootstrap, ACTION_CHANGES.name,
                                lambda r: any(x.key == action.encode() for x in r))
        assert any(x.key == action.encode() for x in changes), "the service took the system's commitment"

        with pytest.raises(TopicAuthorizationFailedError):
            await produce(stack.sasl_bootstrap, system_inbound(theirs),
                          [commitment(action_id=action, system=theirs).to_bytes()], **login)
    assert "svc-actions=" in (tmp_path / "credentials.env").read_text()


def test_the_one_command_stack_prints_where_everything_is_and_stops_it_all_on_ctrl_c(
    kafka, postgres_admin, tmp_path,
):
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka,
           "POSTGRES_URL": postgres_admin}
    command = [sys.executable, "-m", "shared.infra.stack", "up", "--service", "actions", "--no-clock",
               "--free-ports", "--logs", str(tmp_path)]
    stack = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        printed = []
        for line in stack.stdout:
            printed.append(line)
            if line.startswith("running;"):
                break
        out = "".join(printed)
        assert re.search(r"^actions\s+http://127\.0\.0\.1:\d+\s+ready at [\d.]+s", out, re.M), out
        assert re.search(r"^stack ready in [\d.]+s", out, re.M), out
        url = re.search(r"(http://127\.0\.0\.1:\d+)", out)[1]
        assert httpx.get(f"{url}/ready").status_code == 200

        stack.send_signal(signal.SIGINT)
        rest, _ = stack.communicate(timeout=60)
    finally:
        if stack.poll() is None:
            stack.kill()
    assert stack.returncode == 0
    assert rest.rstrip().endswith("stopped")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/ready")
