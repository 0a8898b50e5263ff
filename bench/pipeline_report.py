"""The pipeline benchmark's report: the machine it ran on, what each figure means and the
table printed at the end."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from tools.kafka import kafka_version

DEFINITIONS = {
    "pipeline_per_s": "updates / seconds from just before the first was posted until every action's row in "
                      "accountability's database holds the version of its last update (all judged)",
    "actions_persisted_per_s": "updates / seconds until all are in the actions service's audit trail",
    "latency": "wall time from just before a missed-milestone update is sent to the SMTP server accepting "
               "the leader's email naming that action, under the background load",
    "rebuild_actions": "services.actions.rebuild.rebuild_and_compare on the actions database",
    "replay_accountability": "services.accountability.replay.rebuild from the topics into a fresh database; "
                             "compare is the table-by-table comparison with the live one",
}


def machine() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": memory_gb,
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "python": platform.python_version(), "kafka": kafka_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def table(r: dict[str, Any]) -> str:
    b, s, lat, rb = r["baseline"], r["sustained"], r["latency"], r["rebuild"]
    m = r["machine"]
    rows = [
        ("raw aiokafka produce", f"{b['produce_per_s']:,} msg/s", f"{b['messages']:,} x {b['message_bytes']} B"),
        ("raw aiokafka consume", f"{b['consume_per_s']:,} msg/s", "same messages, one consumer"),
        ("actions service persists", f"{s['actions_persisted_per_s']:,} upd/s",
         f"{s['updates']:,} updates in {s['actions_persisted_seconds']} s"),
        ("through all three services", f"{s['pipeline_per_s']:,} upd/s",
         f"until accountability judged all {s['updates']:,} ({s['all_judged_seconds']} s)"),
        ("slip -> email, median", f"{lat['median_ms']} ms",
         f"{lat['arrived']}/{lat['slips']} slips at {lat['background_achieved_per_s']} upd/s background"),
        ("slip -> email, p99", f"{lat['p99_ms']} ms", f"max {lat['max_ms']} ms, min {lat['min_ms']} ms"),
        ("rebuild actions", f"{rb['actions']['seconds']} s",
         (f"{rb['actions']['events']:,} events, {rb['actions']['actions']} actions, "
          f"identical: {rb['actions']['identical']}")),
        ("replay accountability", f"{rb['accountability']['replay_seconds']} s",
         (f"{rb['accountability']['events']:,} events (reading the log alone "
          f"{rb['accountability']['of_which_reading_the_log_seconds']} s; "
          f"+{rb['accountability']['compare_seconds']} s compare), "
          f"identical: {rb['accountability']['identical']}")),
    ]
    w0 = max(len(x[0]) for x in rows)
    w1 = max(len(x[1]) for x in rows)
    lines = [f"| {'measure':<{w0}} | {'figure':>{w1}} | conditions |", f"|{'-' * (w0 + 2)}|{'-' * (w1 + 1)}:|---|"]
    lines += [f"| {a:<{w0}} | {b_:>{w1}} | {c} |" for a, b_, c in rows]
    stages = lat["stages"]
    legs = "; ".join(f"{k.replace('_', ' ')} {stages['median_ms'][k]} / {stages['mean_ms'][k]} ms"
                     for k in stages.get("median_ms", {}))
    lines += ["", (f"Slip -> email by stage (median / mean; the means add up to the mean of {lat['mean_ms']} ms): "
                   f"{legs}."),
              (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}; Python {m['python']}, "
               f"Kafka {m['kafka']}; load average at start {m['load_average_at_start']}, "
               f"at end {r['load_average_at_end']}. {r['when']}, total {r['total_seconds']} s.")]
    return "\n".join(lines)
