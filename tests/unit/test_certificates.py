"""The project's CA (tools/certificates.py): what it issues is what TLS clients accept, and every
private key or credential file is readable by its owner only."""

from __future__ import annotations

import socket
import ssl
import stat
import threading
from pathlib import Path

import pytest
from cryptography import x509

from tools.certificates import ProjectCA, write_secret


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ProjectCA:
    return ProjectCA.create(tmp_path_factory.mktemp("ca"))


def test_private_keys_are_written_mode_0600_and_certificates_0644(ca: ProjectCA):
    files = ca.issue("broker", ("kafka", "localhost", "127.0.0.1"))
    assert mode(ca.key) == 0o600
    assert mode(files.key) == 0o600
    assert mode(ca.certificate) == 0o644
    assert mode(files.certificate) == 0o644


def test_a_credential_file_is_0600_even_when_it_existed_world_readable(tmp_path: Path):
    path = tmp_path / "credentials.env"
    path.write_text("old")
    path.chmod(0o644)
    write_secret(path, "svc-actions=secret\n")
    assert mode(path) == 0o600
    assert path.read_text() == "svc-actions=secret\n"


def test_the_server_certificate_names_every_host_it_is_reached_at(ca: ProjectCA):
    files = ca.issue("named", ("kafka", "localhost", "127.0.0.1"))
    cert = x509.load_pem_x509_certificates(files.certificate.read_bytes())[0]
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["kafka", "localhost"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def handshake(ca: ProjectCA, server_name: str, client: ssl.SSLContext) -> None:
    """A real TLS handshake on loopback, the server presenting a certificate from ``ca``."""
    files = ca.issue("tls-server", ("localhost", "127.0.0.1"))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(files.certificate, files.key)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            try:
                with server.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                pass  # the client refused us: what some tests expect

        thread = threading.Thread(target=serve)
        thread.start()
        try:
            with socket.create_connection(("127.0.0.1", port)) as raw:
                client.wrap_socket(raw, server_hostname=server_name).close()
        finally:
            thread.join(5)


def test_a_client_trusting_the_project_ca_accepts_the_servers_certificate(ca: ProjectCA):
    handshake(ca, "127.0.0.1", ca.client_context())


def test_a_client_refuses_a_name_the_certificate_does_not_carry(ca: ProjectCA):
    with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
        handshake(ca, "broker.elsewhere.example", ca.client_context())


def test_a_client_that_trusts_another_ca_refuses_the_server(ca: ProjectCA, tmp_path: Path):
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        handshake(ca, "localhost", ProjectCA.create(tmp_path / "other").client_context())
