"""How much the services log while the broker is away: bytes and lines per minute of outage.

    .venv/bin/python -m bench.log_volume [--outage 60] [--label after]

Starts a broker, a database, an SMTP server and the three services (``running_stack``, at
``LOG_LEVEL=INFO``, the default), waits until every service is ready, kills the broker (SIGKILL)
for ``--outage`` seconds, starts it again on its data and waits until every service is ready
again. The figure is what each service's log grew by between the kill and the relaunch, per
minute of outage, with the lines that repeat most. Prints a table and writes
``bench/results/log_volume-<label>.json``. No test asserts any figure.
"""

from __future__ import annotations

import json
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from tools.kafka import KafkaServer
from tools.postgres import PostgresServer
from tools.stack import Stack, running_stack

RESULTS = Path(__file__).with_name("results")


def sizes(stack: Stack) -> dict[str, int]:
    return {name: p.log_file.stat().st_size for name, p in stack.services.items()}


def wait_ready(stack: Stack, timeout: float = 180.0) -> float:
    """Seconds until every service answers /ready with 200."""
    started = time.monotonic()
    with httpx.Client(timeout=3.0) as http:
        while time.monotonic() - started < timeout:
            try:
                if all(http.get(f"{p.url}/ready").status_code == 200 for p in stack.services.values()):
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
    raise RuntimeError(f"not ready {timeout:.0f}s after the broker came back")


def common_lines(text: str, top: int = 5) -> list[tuple[int, str]]:
    """The most repeated log lines, the timestamp left out so identical ones count together."""
    shapes: Counter[str] = Counter()
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            shapes[line[:160]] += 1
            continue
        entry.pop("timestamp", None)
        shapes[json.dumps(entry, sort_keys=True)[:160]] += 1
    return [(n, shape) for shape, n in shapes.most_common(top)]


def measure(outage: float) -> dict[str, Any]:
    logs = Path(tempfile.mkdtemp(prefix="log-volume-"))
    kafka, postgres = KafkaServer(keep_logs_in=logs), PostgresServer()
    kafka.start()
    postgres.start()
    try:
        with running_stack(with_clock=False, kafka_bootstrap=kafka.bootstrap, postgres_url=postgres.dsn(),
                           logs_dir=logs, extra_env={"LOG_LEVEL": "INFO"}) as stack:
            time.sleep(5)  # the consumers settle into their groups
            before = sizes(stack)
            kafka.kill()
            time.sleep(outage)
            during = sizes(stack)
            kafka.relaunch()
            back = wait_ready(stack)
            figures = {}
            for name, process in stack.services.items():
                with process.log_file.open("rb") as log:
                    log.seek(before[name])
                    text = log.read(during[name] - before[name]).decode(errors="replace")
                grown = during[name] - before[name]
                figures[name] = {"bytes": grown, "lines": text.count("\n"),
                                 "bytes_per_minute": round(grown * 60 / outage),
                                 "most_repeated": common_lines(text)}
            return {"outage_seconds": outage, "ready_again_after_seconds": round(back, 1), "services": figures,
                    "logs": str(logs)}
    finally:
        kafka.stop()
        postgres.stop()


def main(outage: Annotated[float, typer.Option(help="seconds the broker stays down")] = 60.0,
         label: Annotated[str, typer.Option(help="names the results file, e.g. before or after")] = "latest",
         ) -> None:
    """Kill the broker for a while and measure what the services log meanwhile."""
    result = measure(outage) | {"label": label, "machine": f"{platform.system()} {platform.machine()}, "
                                                         f"Python {platform.python_version()}"}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"log_volume-{label}.json").write_text(json.dumps(result, indent=2) + "\n")
    typer.echo(f"broker killed for {outage:.0f}s; every service ready {result['ready_again_after_seconds']}s "
               f"after it came back; logs in {result['logs']}")
    typer.echo(f"{'service':<16}{'bytes':>12}{'lines':>9}{'bytes/min':>12}")
    for name, f in result["services"].items():
        typer.echo(f"{name:<16}{f['bytes']:>12,}{f['lines']:>9,}{f['bytes_per_minute']:>12,}")
    for name, f in result["services"].items():
        for n, shape in f["most_repeated"][:3]:
            typer.echo(f"  {name} x{n}: {shape}")


if __name__ == "__main__":
    typer.run(main)
