"""What the Java servers the tools start (the Kafka broker, the OpenID Connect server) share:
their jars resolved from Maven Central once, and a stop that asks, waits, then kills."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path


def maven_jars(pom: Path, lib: Path, marker: str, what: str) -> Path:
    """``lib`` holding ``pom``'s runtime jars: resolved with Maven the first time (when no file
    matches ``marker`` yet), reused after."""
    if list(lib.glob(marker)):
        return lib
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError(f"Maven (mvn) is needed to fetch {what}")
    subprocess.run(
        [mvn, "-q", "-B", "-f", str(pom), "dependency:copy-dependencies",
         f"-DoutputDirectory={lib}", "-DincludeScope=runtime"],
        check=True,
    )
    return lib


def stop_process(process: subprocess.Popen[bytes] | None, grace: float) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``grace`` seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
