"""A real Apache Kafka 4.x broker, single node in KRaft mode, from Maven Central jars."""

from __future__ import annotations

import base64
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import typer

from services.platform.acls import ScramUser
from tools.certificates import ProjectCA, write_secret
from tools.java import maven_jars, stop_process
from tools.ports import free_port, wait_for_port

DEPLOY = Path(__file__).resolve().parents[1] / "deploy" / "kafka"
LIB = DEPLOY / "lib"


def kafka_version() -> str:
    jars = sorted(LIB.glob("kafka_2.13-*.jar"))
    return jars[0].name.removeprefix("kafka_2.13-").removesuffix(".jar") if jars else "unknown"


def ensure_jars() -> Path:
    """Resolve the broker's jars with Maven once; later runs reuse deploy/kafka/lib."""
    return maven_jars(DEPLOY / "pom.xml", LIB, "kafka_2.13-*.jar", "the Kafka broker jars")


@dataclass
class KafkaServer:
    """One broker+controller process. ``secured`` adds a SASL_SSL listener (SCRAM-SHA-512 over
    TLS, the certificate issued by ``ca``, a CA of its own when none is given) with ACLs."""

    secured: bool = False
    users: list[ScramUser] = field(default_factory=list)
    ca: ProjectCA | None = None
    workdir: Path | None = None
    keep_logs_in: Path | None = None
    port: int = 0
    sasl_port: int = 0
    controller_port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _tmp: Path | None = None

    @property
    def bootstrap(self) -> str:
        """The PLAINTEXT listener (loopback only; in secured mode it is the super user's)."""
        return f"127.0.0.1:{self.port}"

    @property
    def sasl_bootstrap(self) -> str:
        """The SASL_SSL listener: systems, services and ops log in there, over TLS."""
        return f"127.0.0.1:{self.sasl_port}"

    @property
    def ca_file(self) -> Path:
        """The certificate clients verify the SASL_SSL listener against."""
        assert self.ca is not None, "only a secured broker has a CA"
        return self.ca.certificate

    @property
    def log_file(self) -> Path:
        assert self._tmp is not None
        return self._tmp / "server.log"

    def start(self, timeout: float = 60.0) -> KafkaServer:
        lib = ensure_jars()
        self._tmp = Path(tempfile.mkdtemp(prefix="kafka-", dir=self.workdir))
        self.port, self.controller_port = free_port(), free_port()
        if self.secured:
            self.sasl_port = free_port()
            self._issue_certificate()
        props = self._tmp / "server.properties"
        props.write_text(self._properties())
        log4j = self._tmp / "log4j2.properties"
        log4j.write_text(_LOG4J.format(log=self._tmp / "server.log"))
        java = [
            shutil.which("java") or "java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
            f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{lib}/*",
        ]
        fmt = [*java, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(props),
               "--standalone"]
        for user in self.users:
            fmt += ["-S", f"SCRAM-SHA-512=[name={user.name},password={user.password}]"]
        done = subprocess.run(fmt, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"formatting Kafka storage failed:\n{done.stdout}\n{done.stderr}")
        # The broker keeps writing to the file; this process needs no handle on it.
        with open(self._tmp / "stdout.log", "wb") as out:
            process = self.process = subprocess.Popen(
                [*java, "kafka.Kafka", str(props)], stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = time.monotonic()
        wait_for_port(self.port, timeout, self.log_file, alive=lambda: process.poll() is None)
        self._wait_for_log("Kafka Server started", timeout - (time.monotonic() - started))
        return self

    def _issue_certificate(self) -> None:
        """The broker's certificate for the loopback names, and its PEM key store (key then chain,
        mode 0600: Kafka's file-based PEM store wants both in one file)."""
        assert self._tmp is not None
        if self.ca is None:
            self.ca = ProjectCA.create(self._tmp / "ca")
        files = self.ca.issue(f"broker-{self.sasl_port}")
        write_secret(self._tmp / "keystore.pem", files.key.read_bytes() + files.certificate.read_bytes())

    def _wait_for_log(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + max(timeout, 1)
        while time.monotonic() < deadline:
            if self.log_file.exists() and text in self.log_file.read_text(errors="replace"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"Kafka did not log {text!r}; see {self.log_file}")

    def stop(self) -> None:
        stop_process(self.process, 30)
        if self._tmp is not None:
            if self.keep_logs_in is not None:
                self.keep_logs_in.mkdir(parents=True, exist_ok=True)
                for name in ("server.log", "stdout.log"):
                    if (self._tmp / name).exists():
                        shutil.copy(self._tmp / name, self.keep_logs_in / f"kafka-{self.port}-{name}")
            shutil.rmtree(self._tmp, ignore_errors=True)

    def kill(self) -> None:
        """kill -9, for resilience tests: the data directory stays for a restart."""
        if self.process:
            self.process.kill()
            self.process.wait()

    def relaunch(self, timeout: float = 90.0) -> None:
        """Start the broker again after ``kill`` (or a SIGTERM), on the same properties file: the
        same ports, the same data directory. Waits for a new 'Kafka Server started'."""
        assert self._tmp is not None, "relaunch follows start"
        started_before = self.log_file.read_text(errors="replace").count("Kafka Server started")
        java = [shutil.which("java") or "java", "-Xms256m", "-Xmx768m", "-XX:+UseG1GC",
                f"-Dlog4j2.configurationFile={self._tmp / 'log4j2.properties'}", "-cp", f"{LIB}/*"]
        with open(self._tmp / "stdout.log", "ab") as out:
            process = self.process = subprocess.Popen([*java, "kafka.Kafka", str(self._tmp / "server.properties")],
                                                      stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_port(self.port, timeout, self.log_file, alive=lambda: process.poll() is None)
        deadline = time.monotonic() + timeout
        while self.log_file.read_text(errors="replace").count("Kafka Server started") <= started_before:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"Kafka did not start again; see {self.log_file}")
            time.sleep(0.2)

    def _properties(self) -> str:
        assert self._tmp is not None
        lines = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.bootstrap.servers": f"127.0.0.1:{self.controller_port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "log.dirs": str(self._tmp / "data"),
            "num.partitions": "3",
            "offsets.topic.replication.factor": "1",
            "offsets.topic.num.partitions": "3",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
            "log.segment.bytes": str(16 * 1024 * 1024),
        }
        listeners = [f"PLAINTEXT://127.0.0.1:{self.port}", f"CONTROLLER://127.0.0.1:{self.controller_port}"]
        protocol_map = ["PLAINTEXT:PLAINTEXT", "CONTROLLER:PLAINTEXT"]
        if self.secured:
            listeners.append(f"SASL://127.0.0.1:{self.sasl_port}")
            protocol_map.append("SASL:SASL_SSL")
            lines |= {
                "sasl.enabled.mechanisms": "SCRAM-SHA-512",
                "listener.name.sasl.scram-sha-512.sasl.jaas.config":
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                # Kafka reads PEM key stores itself (KIP-651): no keytool, no JKS password.
                "listener.name.sasl.ssl.keystore.type": "PEM",
                "listener.name.sasl.ssl.keystore.location": str(self._tmp / "keystore.pem"),
                "listener.name.sasl.ssl.enabled.protocols": "TLSv1.3,TLSv1.2",
                "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                # The loopback PLAINTEXT listeners (controller, inter-broker, admin) are
                # ANONYMOUS; KRaft cannot start unless that principal is a super user. They are
                # bound to 127.0.0.1 and never given to a system or service (README, "Security").
                "super.users": "User:ANONYMOUS",
                "allow.everyone.if.no.acl.found": "false",
            }
        lines["listeners"] = ",".join(listeners)
        lines["advertised.listeners"] = ",".join(x for x in listeners if not x.startswith("CONTROLLER"))
        lines["listener.security.protocol.map"] = ",".join(protocol_map)
        return "".join(f"{k}={v}\n" for k, v in lines.items())


def _cluster_id() -> str:
    """A random cluster id as Kafka writes them: 16 bytes, URL-safe base64, no padding.

    About one draw in 64 starts with ``-`` and the storage tool reads that as an option and
    refuses it; Kafka's own ``Uuid.randomUuid()`` draws again in that case, and so does this.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


_LOG4J = """\
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = {log}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
"""


def main() -> None:  # pragma: no cover - a manual check: python -m tools.kafka
    """Start a broker on free ports, print where it is, stop it on Ctrl-C."""
    t0 = time.monotonic()
    server = KafkaServer().start()
    print(f"Kafka {kafka_version()} on {server.bootstrap} in {time.monotonic() - t0:.1f}s; logs {server.log_file}")
    try:
        signal.pause()
    finally:
        server.stop()


if __name__ == "__main__":
    typer.run(main)
