"""The project's own certificate authority, for the local and compose stacks' TLS.

    python -m tools.certificates deploy/secrets/tls --host kafka --host localhost

writes ``ca.pem`` (the CA's certificate: what clients trust), ``ca.key`` (its private key: keep
it, or delete it once the certificates are issued), and for each server (``broker`` by
default) ``<name>.pem`` (its certificate, then the CA's) and ``<name>.key``. Keys are written
mode 0600 (``write_secret``), certificates 0644.

The certificates are made with the ``cryptography`` package: an EC P-256 CA valid ten years,
server certificates valid one year for the host names and IP addresses given (Kafka and
aiokafka check the name the client dialled against them). A production deployment uses its
organisation's CA instead (README, "Security"): only ``ca.pem`` and the broker's files change.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOCAL_HOSTS = ("localhost", "127.0.0.1")
CA_YEARS, SERVER_DAYS = 10, 365


def write_secret(path: Path, content: str | bytes) -> Path:
    """Write a file only its owner can read (0600), created so from the start: no moment where
    another user could open it, and an existing file's mode is tightened too."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
    finally:
        os.close(fd)
    return path


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Unencrypted PKCS#8: Kafka's PEM key store reads it without ssl.key.password; the file's
    # mode (0600) is what protects it.
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


@dataclass(frozen=True)
class ServerFiles:
    certificate: Path  # the server's certificate followed by the CA's
    key: Path


@dataclass(frozen=True)
class ProjectCA:
    """A certificate authority kept in ``folder`` (``ca.pem``, ``ca.key``)."""

    folder: Path

    @property
    def certificate(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def key(self) -> Path:
        return self.folder / "ca.key"

    @classmethod
    def create(cls, folder: Path, name: str = "Midlands governance local CA") -> ProjectCA:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5))
                .not_valid_after(now + dt.timedelta(days=365 * CA_YEARS))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                               critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        ca = cls(folder)
        write_secret(ca.key, _key_pem(key))
        ca.certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        ca.certificate.chmod(0o644)
        return ca

    def issue(self, name: str, hosts: tuple[str, ...] = LOCAL_HOSTS) -> ServerFiles:
        """A server certificate for ``hosts`` (names and IP addresses), signed by this CA."""
        ca_key = serialization.load_pem_private_key(self.key.read_bytes(), password=None)
        assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
        ca_cert = x509.load_pem_x509_certificate(self.certificate.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
                .add_extension(x509.SubjectAlternativeName([_san(h) for h in hosts]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        files = ServerFiles(self.folder / f"{name}.pem", self.folder / f"{name}.key")
        write_secret(files.key, _key_pem(key))
        files.certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM)
                                      + ca_cert.public_bytes(serialization.Encoding.PEM))
        files.certificate.chmod(0o644)
        return files

    def client_context(self) -> ssl.SSLContext:
        """What a client verifies the servers against: this CA only, host names checked."""
        return ssl.create_default_context(cafile=str(self.certificate))


def main(
    folder: Annotated[Path, typer.Argument(help="where the CA and the certificates are written")],
    host: Annotated[list[str] | None, typer.Option(help="a name or address the broker is reached at (repeatable)")
                    ] = None,
    server: Annotated[str, typer.Option(help="the certificate's file name")] = "broker",
) -> None:
    """Create a CA in FOLDER (or use the one there) and issue a server certificate from it."""
    ca = ProjectCA(folder) if (folder / "ca.key").exists() else ProjectCA.create(folder)
    files = ca.issue(server, tuple(host) if host else LOCAL_HOSTS)
    typer.echo(f"CA {ca.certificate}; {server}: {files.certificate} and {files.key} (0600)")


if __name__ == "__main__":
    typer.run(main)
