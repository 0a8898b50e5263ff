"""The stack's child processes: each starts in a session of its own with its output in a
log file, is stopped with SIGTERM (SIGKILL after a grace period) and, for a service, is
ready when its ``/ready`` answers 200. ``tools.stack`` assembles the stack from these.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Process:
    """One child process of the stack and where it writes its output."""

    name: str
    command: list[str]
    log_file: Path
    port: int | None = None
    popen: subprocess.Popen[bytes] | None = None
    ready_after: float | None = None  # seconds from the stack's start
    problem: str | None = None

    @property
    def url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}" if self.port else None

    def start(self, env: dict[str, str]) -> None:
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as out:
            # Own session: a stop signal reaches the process and anything it spawned.
            self.popen = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, env=env,
                                          cwd=REPO, start_new_session=True)

    def exited(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def log_tail(self, chars: int = 2500) -> str:
        return self.log_file.read_text(errors="replace")[-chars:] if self.log_file.exists() else ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        except ProcessLookupError:
            pass


def wait_until_ready(processes: list[Process], started: float, timeout: float) -> None:
    """Poll each service's /ready until it answers 200, its process dies, or time runs out."""
    waiting = {p.name: p for p in processes if p.problem is None}
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while waiting and time.monotonic() < deadline:
            for name, process in list(waiting.items()):
                code = process.exited()
                if code is not None:
                    process.problem = f"exited with code {code} while starting; last log lines:\n{process.log_tail()}"
                    del waiting[name]
                    continue
                try:
                    if client.get(f"{process.url}/ready").status_code == 200:
                        process.ready_after = time.monotonic() - started
                        del waiting[name]
                except httpx.HTTPError:
                    pass
            time.sleep(0.2)
    for process in waiting.values():
        process.problem = (f"not ready after {timeout:.0f}s (GET {process.url}/ready); last log lines:\n"
                           f"{process.log_tail()}")
