"""docker-compose.yml is the secured stack: checked statically, since Docker cannot run here. No
listener without authentication outside a container's loopback, nothing published beyond the
documented ports, no default password, every secret from the environment with no default, each
service and the clock under its own principal over TLS, and ``python -m tools.secrets`` generating
every secret the file asks for."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from services.platform.acls import password_variable, principals, service_principal
from shared.contracts.topics import SERVICES
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tests.unit.test_compose import REPO, SERVICES_IN_COMPOSE, compose_service
from tools.secrets import API_CLIENTS, secret_names

TEXT = (REPO / "docker-compose.yml").read_text()
SYSTEMS = list(ReferenceData.load(DEFAULT_REFERENCE_DATA).systems)
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|_KEY\b|CREDENTIAL", re.I)
REQUIRED = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):\?[^}]+\}")
WITH_DEFAULT = re.compile(r"\$\{(?P<name>[A-Z0-9_]+):?-[^}]*\}")
# What the README documents as published: the portal and the systems' SASL_SSL listener on every
# interface; the development stand-ins (identity server, Mailpit's page) on the host's loopback only.
PUBLISHED = {"portal": ["8004:8000"], "kafka": ["29092:29092"],
             "identity": ["127.0.0.1:8090:8080"], "mailpit": ["127.0.0.1:8025:8025"]}
KAFKA: dict[str, Any] = compose_service("kafka")["environment"]
LOOPBACK = ("127.0.0.1", "localhost")


def listeners(value: str) -> dict[str, tuple[str, int]]:
    """``NAME://host:port,...`` -> {name: (host, port)}."""
    found = {}
    for item in value.split(","):
        name, address = item.split("://")
        host, port = address.rsplit(":", 1)
        found[name] = (host, int(port))
    return found


def protocols() -> dict[str, str]:
    return dict(pair.split(":") for pair in KAFKA["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))


def test_every_kafka_listener_outside_the_containers_loopback_is_sasl_ssl():
    bound = listeners(KAFKA["KAFKA_LISTENERS"])
    for name, (host, _) in bound.items():
        if host not in LOOPBACK:
            assert protocols()[name] == "SASL_SSL", f"{name} listens on {host or 'every interface'} without SASL_SSL"
    assert {n for n, p in protocols().items() if p in ("PLAINTEXT", "SSL", "SASL_PLAINTEXT")} == {"INTERNAL",
                                                                                                   "CONTROLLER"}
    assert all(bound[n][0] == "127.0.0.1" for n in ("INTERNAL", "CONTROLLER"))
    assert KAFKA["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"


def test_the_broker_enforces_acls_and_its_only_super_user_is_the_loopback_one():
    assert KAFKA["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert KAFKA["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert KAFKA["KAFKA_SUPER_USERS"] == "User:ANONYMOUS"  # the principal of the loopback PLAINTEXT listeners only


def test_the_published_kafka_port_is_the_systems_sasl_ssl_listener_and_its_certificate_is_the_projects():
    (mapping,) = compose_service("kafka")["ports"]
    container_port = int(str(mapping).rsplit(":", 1)[1].split()[0])
    (name,) = [n for n, (_, port) in listeners(KAFKA["KAFKA_LISTENERS"]).items() if port == container_port]
    assert protocols()[name] == "SASL_SSL"
    assert KAFKA["KAFKA_SSL_KEYSTORE_TYPE"] == "PEM"
    assert KAFKA["KAFKA_SSL_KEYSTORE_LOCATION"] == "/etc/kafka/tls/broker-keystore.pem"
    for listener in ("BROKER", "SYSTEMS"):
        assert "ScramLoginModule" in KAFKA[f"KAFKA_LISTENER_NAME_{listener}_SCRAM__SHA__512_SASL_JAAS_CONFIG"]


def test_nothing_is_published_beyond_the_documented_ports():
    published = {name: [str(p) for p in spec["ports"]] for name, spec in SERVICES_IN_COMPOSE.items()
                 if spec.get("ports")}
    assert published == PUBLISHED
    assert not any("network_mode" in spec and spec["network_mode"] == "host" for spec in SERVICES_IN_COMPOSE.values())


def test_no_secret_has_a_default_and_every_secret_comes_from_the_environment():
    assert not [m["name"] for m in WITH_DEFAULT.finditer(TEXT) if SECRET_NAME.search(m["name"])]
    for name, spec in SERVICES_IN_COMPOSE.items():
        for variable, value in (spec.get("environment") or {}).items():
            if SECRET_NAME.search(variable) and not variable.endswith(("_FILE", "_AUTH_METHOD", "_CERT", "_KEY")):
                assert REQUIRED.fullmatch(str(value)), f"{name}: {variable} is not ${{VAR:?...}}: {value!r}"


def test_no_default_password_or_known_secret_is_written_in_the_file():
    for known in ("change-me", "postgres:postgres", "POSTGRES_PASSWORD: postgres", "password=", "secret="):
        assert known not in TEXT
    for name in SERVICES:
        url = compose_service(name)["environment"][f"{name.upper()}_DATABASE_URL"]
        assert REQUIRED.search(url), f"{name} logs in to PostgreSQL without a password from the environment"
        assert not url.startswith("postgresql://postgres"), f"{name} logs in as the superuser"


def test_postgresql_asks_every_network_login_for_a_scram_password():
    environment = compose_service("postgres")["environment"]
    assert environment["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert REQUIRED.fullmatch(environment["POSTGRES_PASSWORD"])
    assert "ports" not in compose_service("postgres")


@pytest.mark.parametrize("name", [*SERVICES, "clock"])
def test_each_service_and_the_clock_log_in_as_their_own_principal_over_tls(name: str):
    environment = compose_service(name)["environment"]
    principal = service_principal(name)
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9094"
    assert protocols()["BROKER"] == "SASL_SSL" and listeners(KAFKA["KAFKA_LISTENERS"])["BROKER"][1] == 9094
    assert environment["KAFKA_SASL_USERNAME"] == principal
    assert REQUIRED.fullmatch(environment["KAFKA_SASL_PASSWORD"])["name"] == password_variable(principal)  # type: ignore[index]
    assert environment["KAFKA_SSL_CAFILE"] == "/run/tls/ca.pem"
    assert "./deploy/secrets/tls/ca.pem:/run/tls/ca.pem:ro" in compose_service(name)["volumes"]


def test_the_access_job_creates_every_principal_of_the_registry_over_the_loopback_listener_only():
    job = compose_service("access-init")
    assert job["command"] == ["python", "-m", "services.platform.acls", "--admin-bootstrap", "127.0.0.1:9092"]
    assert job["network_mode"] == "service:kafka"
    expected = {password_variable(p) for p in principals(SYSTEMS)}
    assert set(job["environment"]) == expected
    for variable, value in job["environment"].items():
        assert REQUIRED.fullmatch(value)["name"] == variable  # type: ignore[index]
    for name, spec in SERVICES_IN_COMPOSE.items():
        said = yaml.safe_dump(spec.get("environment") or {}) + " ".join(spec.get("command") or [])
        if name != "kafka" and "127.0.0.1:9092" in said:
            assert spec.get("network_mode") == "service:kafka", f"{name} reaches for the super user's listener"


def test_notices_are_sent_with_starttls_required_against_the_projects_ca():
    environment = compose_service("notifications")["environment"]
    assert environment["SMTP_REQUIRE_TLS"] == "true"
    assert environment["SMTP_CA_FILE"] == "/run/tls/ca.pem"
    assert compose_service("mailpit")["environment"]["MP_SMTP_REQUIRE_STARTTLS"] == "true"


# Required and not a secret: the deployment's own address, which only its operator can give.
OPERATORS_TO_GIVE = {"PORTAL_PUBLIC_URL"}


def test_the_documented_command_generates_every_secret_the_compose_file_requires():
    required = {m["name"] for m in REQUIRED.finditer(TEXT)} - OPERATORS_TO_GIVE
    generated = {*secret_names(SYSTEMS), API_CLIENTS}
    assert required <= generated, sorted(required - generated)
    assert all("run python -m tools.secrets first" in m[0] for m in REQUIRED.finditer(TEXT)
               if m["name"] not in OPERATORS_TO_GIVE)


def test_the_portal_address_notices_link_to_has_no_default_in_compose():
    """A default of localhost would put links nobody can open in every e-mail of a deployment."""
    for service in ("portal", "notifications"):
        value = str(compose_service(service)["environment"]["PORTAL_PUBLIC_URL"])
        assert REQUIRED.fullmatch(value) and "localhost" not in value, value


def test_the_generated_secrets_and_keys_are_never_committed():
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored
    assert "deploy/secrets/" in ignored
