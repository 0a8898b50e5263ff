"""The one-command stack: services start as real processes and answer /ready, a service
that cannot start is named with its reason, and everything stops on Ctrl-C.
(The secured stack is proven in test_platform_secured.py, on that file's broker.)"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import uuid

import httpx
import pytest

from tools.stack import StackError, running_stack

pytestmark = pytest.mark.integration


def _suffix() -> str:
    return f"_{uuid.uuid4().hex[:8]}"


def test_a_service_that_cannot_start_is_named_with_its_reason(kafka, postgres_admin, tmp_path):
    nowhere = "postgresql://postgres@127.0.0.1:1/nowhere"
    with pytest.raises(StackError) as failed, running_stack(
        ("actions",), kafka_bootstrap=kafka, postgres_url=postgres_admin, with_clock=False,
        database_suffix=_suffix(), logs_dir=tmp_path, ready_timeout=30, extra_env={"ACTIONS_DATABASE_URL": nowhere},
    ):
        pytest.fail("the stack must not come up without its service")
    message = str(failed.value)
    assert "services failed to start: actions" in message
    assert "last log lines" in message


def test_the_one_command_stack_prints_where_everything_is_and_stops_it_all_on_ctrl_c(
    kafka, postgres_admin, tmp_path,
):
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": kafka,
           "POSTGRES_URL": postgres_admin}
    command = [sys.executable, "-m", "tools.stack", "up", "--service", "actions", "--no-clock",
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
