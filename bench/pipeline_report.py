"""The pipeline benchmark's report: the machine it ran on, what each figure means and the
table printed at the end."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from tools.kafka import kafka_version

DEFINITIONS = {
    "sink": "bench.pipeline_anchor.sink: getmany (500 / 20 ms), one keyed unnest insert per batch, offset commit "
            "after it; every other rate is divided by it",
    "pipeline_per_s": "updates / seconds from when the actions service goes on (it was paused while they were "
                      "posted) until every action's row in accountability's database holds the version of its "
                      "last update (all judged)",
    "actions_persisted_per_s": "updates / seconds from when the actions service goes on (paused while they were "
                               "posted, so it finds them waiting as the sink does, and the bench's producer does "
                               "not set the rate) until all are in its audit trail",
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


def _rates(r: dict[str, Any]) -> dict[str, float | None]:
    """Every rate the run measured, in events per second."""
    s, rb = r["sustained"], r["rebuild"]
    return {
        "raw consume (group join included)": r["raw_consume"]["with_join_per_s"],
        "raw consume (from the first record)": r["raw_consume"]["from_first_record_per_s"],
        "bare sink (the anchor)": r["sink"]["per_s"],
        "actions service persists": s["actions_persisted_per_s"],
        "accountability alone": r["accountability_alone"]["per_s"],
        "notifications alone": r["notifications_alone"]["per_s"],
        "all three services": s["pipeline_per_s"],
        "accountability replay": rb["accountability"]["events_per_s"],
        "actions rebuild": rb["actions"]["events_per_s"],
    }


TARGETS = {"actions service persists": 0.5, "all three services": 0.3, "accountability replay": 0.5,
           "actions rebuild": 0.5}


def ratios(r: dict[str, Any]) -> dict[str, float | None]:
    sink = r["sink"]["per_s"]
    return {k: round(v / sink, 3) if v and sink else None for k, v in _rates(r).items()}


def table(r: dict[str, Any]) -> str:
    lat, rb, m = r["latency"], r["rebuild"], r["machine"]
    rows = []
    for name, rate in _rates(r).items():
        ratio = r["ratios_to_sink"].get(name)
        target = f"target >= {TARGETS[name]}" if name in TARGETS else ""
        rows.append((name, f"{rate:,} ev/s" if rate is not None else "-",
                     f"{ratio:.3f}" if ratio is not None else "-", target))
    rows += [
        ("slip -> email, median", f"{lat['median_ms']} ms", "",
         f"{lat['arrived']}/{lat['slips']} slips at {lat['background_achieved_per_s']} upd/s background"),
        ("slip -> email, p99", f"{lat['p99_ms']} ms", "", f"target < 250 ms; max {lat['max_ms']} ms"),
        ("rebuild actions", f"{rb['actions']['seconds']} s", "",
         f"{rb['actions']['events']:,} events, identical: {rb['actions']['identical']}"),
        ("replay accountability", f"{rb['accountability']['replay_seconds']} s", "",
         (f"{rb['accountability']['events']:,} events (reading the log alone "
          f"{rb['accountability']['of_which_reading_the_log_seconds']} s), "
          f"identical: {rb['accountability']['identical']}")),
    ]
    for mark, found in r.get("peak_memory_mb", {}).items():
        rows.append((f"peak memory {mark.replace('_', ' ')}", "", "",
                     ", ".join(f"{k} {v} MB" for k, v in found.items())))
    for mark in ("first", "last"):
        if mark in r.get("volume", {}):
            v = r["volume"][mark]
            rows.append((f"peak memory at {v['events']:,} updates", "", "",
                         ", ".join(f"{k} {x} MB" for k, x in v["memory_mb"].items())))
    w = [max(len(x[i]) for x in rows) for i in range(3)]
    lines = [f"| {'measure':<{w[0]}} | {'figure':>{w[1]}} | {'/ sink':>{max(w[2], 6)}} | conditions |",
             f"|{'-' * (w[0] + 2)}|{'-' * (w[1] + 1)}:|{'-' * (max(w[2], 6) + 1)}:|---|"]
    lines += [f"| {a:<{w[0]}} | {b:>{w[1]}} | {c:>{max(w[2], 6)}} | {d} |" for a, b, c, d in rows]
    stages = lat["stages"]
    legs = "; ".join(f"{k.replace('_', ' ')} {stages['median_ms'][k]} / {stages['mean_ms'][k]} ms"
                     for k in stages.get("median_ms", {}))
    lines += ["", (f"Slip -> email by stage (median / mean; the means add up to the mean of {lat['mean_ms']} ms): "
                   f"{legs}."),
              (f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}; Python {m['python']}, "
               f"Kafka {m['kafka']}; load average at start {m['load_average_at_start']}, "
               f"at end {r['load_average_at_end']}. {r['when']}, total {r['total_seconds']} s.")]
    return "\n".join(lines)
