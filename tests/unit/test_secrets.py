"""``python -m tools.secrets``: every secret compose asks for, written 0600, kept across runs,
rotated only when named; certificates with the names the broker is reached at."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509

from services.platform.acls import password_variable, principals
from shared.access import digest
from tools.secrets import API_CLIENTS, read_env, secret_names, write_env, write_tls

SYSTEMS = ["black-country", "lincolnshire"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_env_file_holds_every_principals_password_and_every_secret_and_is_0600(tmp_path: Path):
    env = tmp_path / ".env"
    made, kept = write_env(env, SYSTEMS, set())
    assert mode(env) == 0o600
    values = read_env(env)
    clients = json.loads(values.pop(API_CLIENTS).strip("'"))  # derived from three of the secrets below
    assert set(values) == set(secret_names(SYSTEMS)) == set(made)
    assert kept == []
    assert {c["name"]: c["token_sha256"] for c in clients} == {
        "portal": [digest(values["PORTAL_ACCOUNTABILITY_TOKEN"])], "ops": [digest(values["OPS_API_TOKEN"])],
        "notifications": [digest(values["NOTIFICATIONS_ACCOUNTABILITY_TOKEN"])]}
    assert {password_variable(p) for p in principals(SYSTEMS)} <= set(values)
    assert len(set(values.values())) == len(values), "every secret drawn on its own"
    assert all(len(v) >= 32 and v.replace("-", "").replace("_", "").isalnum() for v in values.values())


def test_a_second_run_keeps_every_value_and_rotates_only_what_is_named(tmp_path: Path):
    env = tmp_path / ".env"
    write_env(env, SYSTEMS, set())
    before = read_env(env)
    env.write_text(env.read_text() + "KAFKA_PUBLIC_HOST=kafka.example.org\n")  # an operator's own line
    made, _ = write_env(env, SYSTEMS, {"SCRAM_PASSWORD_OPS"})
    after = read_env(env)
    assert made == ["SCRAM_PASSWORD_OPS"]
    assert after["SCRAM_PASSWORD_OPS"] != before["SCRAM_PASSWORD_OPS"]
    assert {k: v for k, v in after.items() if k != "SCRAM_PASSWORD_OPS"} == {
        k: v for k, v in before.items() if k != "SCRAM_PASSWORD_OPS"} | {"KAFKA_PUBLIC_HOST": "kafka.example.org"}
    with pytest.raises(ValueError, match="no such secret: OPS"):
        write_env(env, SYSTEMS, {"OPS"})


def test_a_system_added_to_the_reference_data_gets_its_password_and_the_others_keep_theirs(tmp_path: Path):
    env = tmp_path / ".env"
    write_env(env, SYSTEMS[:1], set())
    made, _ = write_env(env, SYSTEMS, set())
    assert made == [password_variable("system-lincolnshire")]


def test_the_certificates_name_the_broker_where_it_is_reached_and_its_key_store_is_0600(tmp_path: Path):
    done = write_tls(tmp_path, ("kafka", "localhost", "127.0.0.1", "kafka.example.org"), new_ca=False, renew=False)
    assert done[0] == "CA"
    store = (tmp_path / "broker-keystore.pem").read_text()
    assert store.startswith("-----BEGIN PRIVATE KEY-----") and store.count("BEGIN CERTIFICATE") == 2
    assert mode(tmp_path / "broker-keystore.pem") == mode(tmp_path / "ca.key") == mode(tmp_path / "mail.key") == 0o600
    cert = x509.load_pem_x509_certificates((tmp_path / "broker.pem").read_bytes())[0]
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["kafka", "localhost", "kafka.example.org"]
    assert write_tls(tmp_path, ("kafka",), new_ca=False, renew=False) == [], "kept when nothing is asked"
