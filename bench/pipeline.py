"""The end-to-end benchmark: the three services as real processes on the local stack.

    .venv/bin/python -m bench.pipeline [--actions 40] [--updates 15] [--slips 40] [--load 20]
    .venv/bin/python -m bench.pipeline --scale national   # the national log's replay (bench.national)

In one run it measures:

1. **baseline**: raw aiokafka produce and consume rates of progress-update-sized messages
   on a topic of its own (3 partitions, like the project's topics);
2. **sustained rate through the pipeline**: ``actions x updates`` progress updates posted
   at full speed to ``actions.inbound.<system>`` while the actions service is paused (SIGSTOP,
   ``bench.pipeline_rig.paused``: it then finds them waiting, as the sink does, and the bench's
   own producer, about 4,000 sends a second, does not set the rate); the clock starts when it
   goes on and stops when the accountability service has judged every one of them, i.e. every action's
   row in accountability's database carries the snapshot version of its last update
   (snapshots of one action arrive in order, and each is judged in the transaction that
   stores it). The time the actions service needed to persist them is reported beside it;
3. **slip-to-inbox latency**: under a steady background load of ``--load`` on-track updates
   per second, ``--slips`` updates that each report a milestone missed (each for a different
   action: the accountability rules make that off track at once, and the ladder raises an
   escalation to the accountable leader). Per action: wall time from just before the update
   is sent to the moment the leader's email is accepted by an SMTP server (aiosmtpd) running
   in this process; median and 99th percentile, with the median of each stage from the
   services' own database timestamps. The leader's notice is not grouped (only the SRO's,
   the chair's and the secretary's are), so no group wait applies; GROUP_WAIT_SECONDS is 0
   anyway, and no clock ticks are sent while measuring;
4. **the anchor** (``bench.pipeline_anchor``): the bare sink every rate is divided by, raw consume
   timed with the group join and from the first record, accountability alone, notifications
   alone, each service's peak memory (and with ``--volume N``, from 10 thousand to N updates);
5. **rebuild from the log**: ``services.actions.rebuild.rebuild_and_compare`` on the
   actions database, and ``services.accountability.replay`` (read every input topic from the
   beginning, apply it through the same engine into a fresh database, then compare every
   table). The notifications service has no replay of its own.

It starts its own Kafka and PostgreSQL through ``tools.stack.running_stack`` (or uses
``KAFKA_BOOTSTRAP_SERVERS`` / ``POSTGRES_URL``). Prints a table and writes
bench/results/pipeline.json. No figure here is asserted anywhere.

This module is the command; the rig the phases run on is ``bench.pipeline_rig``, the
phases are ``bench.pipeline_measure`` and the table ``bench.pipeline_report``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from bench import national
from bench.pipeline_measure import Parameters, measure
from bench.pipeline_report import DEFINITIONS, machine, ratios, table
from bench.pipeline_rig import Inbox, smtp_server
from shared.logging import configure_logging
from tools.stack import PIPELINE, running_stack

RESULTS = Path(__file__).with_name("results") / "pipeline.json"


cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    raw_messages: Annotated[int, typer.Option(help="messages for the aiokafka baseline and the sink")] = 50000,
    actions: Annotated[int, typer.Option(help="actions for the sustained-rate phase")] = 500,
    updates: Annotated[int, typer.Option(help="progress updates per action in that phase")] = 20,
    slips: Annotated[int, typer.Option(help="slip-causing updates (one action each)")] = 100,
    load: Annotated[float, typer.Option(help="background on-track updates per second")] = 1000.0,
    spacing: Annotated[float, typer.Option(help="seconds between slip-causing updates")] = 0.25,
    log_level: Annotated[str, typer.Option(help="the services' log level")] = "WARNING",
    alone: Annotated[int, typer.Option(help="events for accountability alone, and for notifications alone")] = 2000,
    volume: Annotated[int, typer.Option(help="updates for the peak-memory phase (0: none)")] = 0,
    scale: Annotated[str, typer.Option(help="'national': instead, the replay of a national log (bench.national: "
                                            "42 systems x 200 actions, weekly for 5 years)")] = "local",
) -> None:
    """The end-to-end benchmark: the three services as real processes on the local stack."""
    if scale == "national":
        national.main()
        return
    if scale != "local":
        raise typer.BadParameter(f"--scale is 'local' or 'national', not {scale!r}")
    args = Parameters(raw_messages, actions, updates, slips, load, spacing, log_level, alone, volume)
    # The replay runs in this process: its per-event log lines would bury the table.
    configure_logging("bench", "WARNING")
    # A topic the bench has just created is briefly missing from the metadata; aiokafka logs
    # that as an error and waits. Only the bench's own clients live in this process.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)

    run_id = uuid.uuid4().hex[:6]
    started = time.perf_counter()
    result: dict[str, Any] = {"benchmark": "pipeline", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "machine": machine(), "parameters": asdict(args)}
    inbox = Inbox(re.compile(rf"bench-{run_id}-slip-\d+"))
    with smtp_server(inbox) as smtp_port:
        # Each notice sent as soon as it is due: with one e-mail a day (the default) a slip's e-mail
        # waits for the clock to leave the day, and the bench sends no tick while measuring.
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "GROUP_WAIT_SECONDS": "0",
               "ONE_EMAIL_A_DAY": "false", "LOG_LEVEL": args.log_level, "DELIVERY_RETRY_BASE_SECONDS": "0.2"}
        with running_stack(PIPELINE, with_clock=False, extra_env=env) as stack:
            result["stack_ready_seconds"] = round(stack.timings.get("ready", 0), 1)
            result["service_settings"] = {**env, "SMTP_PORT": "(free port)",
                                          "clock": "no clock process; the bench sends one tick"}
            result |= asyncio.run(measure(stack, inbox, args, run_id))
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    result["definitions"] = DEFINITIONS
    RESULTS.parent.mkdir(exist_ok=True)
    result["ratios_to_sink"] = ratios(result)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(table(result))
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    cli()
