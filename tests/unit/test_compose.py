"""docker-compose.yml agrees with the code: Docker cannot run here, so these checks are
what keeps the compose file from drifting away from the services, their settings and the
topic registry."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic_settings import BaseSettings

from services.platform.clock import ClockSettings
from shared.contracts.topics import SERVICES, SHARED_TOPICS, dead_letter, system_feedback, system_inbound
from shared.reference import ReferenceData
from shared.settings import DEFAULT_REFERENCE_DATA
from tools.kafka import kafka_version

REPO = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((REPO / "docker-compose.yml").read_text())
SERVICES_IN_COMPOSE: dict[str, Any] = COMPOSE["services"]
FASTSTREAM_APP = re.compile(r"^services\.(?P<name>[a-z_]+)\.app:create_app$")
PORT = "8000"


def compose_service(name: str) -> dict[str, Any]:
    assert name in SERVICES_IN_COMPOSE, f"docker-compose.yml has no service {name!r}"
    return SERVICES_IN_COMPOSE[name]


def app_services() -> dict[str, str]:
    """Compose service name -> the code service its ``faststream run`` command starts."""
    found = {}
    for name, spec in SERVICES_IN_COMPOSE.items():
        command = spec.get("command") or []
        if command[:2] == ["faststream", "run"]:
            match = FASTSTREAM_APP.match(command[2])
            assert match, f"{name}: {command[2]!r} is not services.<name>.app:create_app"
            found[name] = match["name"]
    return found


def env_names(settings: type[BaseSettings]) -> set[str]:
    """The environment variables a settings class reads (no prefix; aliases where given)."""
    names = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(field_name.upper())
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names |= {str(choice).upper() for choice in alias.choices}
    return names


def settings_for(service: str) -> type[BaseSettings]:
    module = importlib.import_module(f"services.{service}.settings")
    cls = getattr(module, f"{service.capitalize()}Settings", None)
    assert cls is not None, f"services/{service}/settings.py has no {service.capitalize()}Settings"
    assert isinstance(cls, type) and issubclass(cls, BaseSettings)
    return cls


def test_compose_runs_exactly_the_three_services_of_the_code():
    assert sorted(app_services().values()) == sorted(SERVICES)
    assert all(compose == code for compose, code in app_services().items())


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_in_compose_has_an_app_factory_in_the_code(service: str):
    app = REPO / "services" / service / "app.py"
    assert app.exists(), f"docker-compose.yml runs {service} but {app.relative_to(REPO)} does not exist"
    tree = ast.parse(app.read_text())
    factories = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "create_app"]
    assert factories, f"{app.relative_to(REPO)} defines no create_app()"


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_compose_sets_for_a_service_is_a_field_of_its_settings(service: str):
    spec = compose_service(service)
    unknown = set(spec["environment"]) - env_names(settings_for(service))
    assert not unknown, f"{service}: {sorted(unknown)} are not fields of {settings_for(service).__name__}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_listens_where_its_health_check_and_port_mapping_look(service: str):
    spec = compose_service(service)
    command = spec["command"]
    # 0.0.0.0 inside its container: reached on the compose network only, published only for the portal.
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == PORT
    assert f":{PORT}/ready" in " ".join(spec["healthcheck"]["test"])
    assert all(str(p).endswith(f":{PORT}") for p in spec.get("ports", []))


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_waits_for_a_healthy_broker_and_database_and_its_topics(service: str):
    depends = compose_service(service)["depends_on"]
    assert depends["kafka"]["condition"] == "service_healthy"
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["topics-init"]["condition"] == "service_completed_successfully"


def test_every_dependency_awaited_as_healthy_has_a_health_check():
    for name, spec in SERVICES_IN_COMPOSE.items():
        for needed, condition in (spec.get("depends_on") or {}).items():
            assert needed in SERVICES_IN_COMPOSE, f"{name} depends on unknown service {needed}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES_IN_COMPOSE[needed], f"{needed} has no healthcheck"


def test_each_service_database_is_created_by_the_postgres_init_script_with_a_login_of_its_own():
    init = (REPO / "deploy" / "postgres" / "init.sh").read_text()
    created = set(re.search(r"^for service in ([a-z ]+); do$", init, re.M)[1].split())  # type: ignore[index]
    assert 'CREATE DATABASE :"name" OWNER :"name";' in init
    for service in SERVICES:
        url = compose_service(service)["environment"][f"{service.upper()}_DATABASE_URL"]
        password = f"${{{service.upper()}_DB_PASSWORD:?run python -m tools.secrets first}}"
        assert url == f"postgresql://{service}:{password}@postgres:5432/{service}"
        assert service in created
    volume = compose_service("postgres")["volumes"][0]
    assert volume.startswith("./deploy/postgres/init.sh:/docker-entrypoint-initdb.d/")


def test_the_broker_is_the_official_kraft_image_of_the_version_the_tests_run():
    kafka = compose_service("kafka")
    assert kafka["image"] == f"apache/kafka:{kafka_version()}"
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "topics-init makes them all"
    assert compose_service("postgres")["image"] == "postgres:15"
    assert "pg_isready" in " ".join(compose_service("postgres")["healthcheck"]["test"])


def topics_init_creates() -> list[str]:
    """What the topics-init container creates, asked of its own command in dry-run mode."""
    spec = compose_service("topics-init")
    assert spec["command"] == ["python", "-m", "services.platform.topics"]
    assert spec["network_mode"] == "service:kafka", "the loopback admin listener is reachable from there alone"
    assert set(spec["environment"]) <= {"KAFKA_BOOTSTRAP_SERVERS", "REFERENCE_DATA_PATH"}
    # As in the container: the packaged reference data unless compose names another file.
    env = {k: v for k, v in os.environ.items() if k != "REFERENCE_DATA_PATH"}
    env |= {k: str(v) for k, v in spec["environment"].items()}
    done = subprocess.run([sys.executable, "-m", "services.platform.topics", "--dry-run"], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)
    return done.stdout.split()


def registry_topics() -> set[str]:
    systems = ReferenceData.load(DEFAULT_REFERENCE_DATA).systems
    names = {t.name for t in SHARED_TOPICS} | {dead_letter(s) for s in SERVICES}
    for system in systems:
        names |= {system_inbound(system), system_feedback(system)}
    return names


def test_topics_init_creates_every_registry_topic_and_nothing_else():
    created = topics_init_creates()
    assert len(created) == len(set(created)), "a topic is created twice"
    assert set(created) - registry_topics() == set(), "topics created that the registry does not know"
    assert registry_topics() - set(created) == set(), "registry topics that are never created"


def test_the_clock_runs_from_the_same_image_after_the_topics_and_its_login_exist():
    clock = compose_service("clock")
    assert clock["command"] == ["python", "-m", "services.platform.clock"]
    assert clock["image"] == compose_service("actions")["image"]
    assert clock["depends_on"]["access-init"]["condition"] == "service_completed_successfully"
    assert compose_service("access-init")["depends_on"]["topics-init"]["condition"] == "service_completed_successfully"


def test_every_variable_compose_sets_for_the_clock_is_a_field_of_its_settings():
    unknown = set(compose_service("clock")["environment"]) - env_names(ClockSettings)
    assert not unknown, f"clock: {sorted(unknown)} are not fields of ClockSettings"


def test_notices_go_to_mailpit():
    notifications = compose_service("notifications")
    assert notifications["environment"]["SMTP_HOST"] == "mailpit"
    assert str(notifications["environment"]["SMTP_PORT"]) == "1025"
    assert compose_service("mailpit")["image"].startswith("axllent/mailpit")
    assert notifications["depends_on"]["mailpit"]["condition"] == "service_healthy"


def test_the_image_installs_the_project_as_a_package():
    dockerfile = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11", dockerfile, re.M)
    assert "pip install /src" in dockerfile
    for folder in ("shared", "services"):
        assert f"COPY {folder} /src/{folder}" in dockerfile
    assert all(compose_service(s)["build"] == "." for s in SERVICES)
