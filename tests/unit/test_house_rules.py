"""The plan every service follows (README, "The house"), checked on the code itself, so it holds
after this change and after the next one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from shared.contracts.topics import SERVICES

REPO = Path(__file__).resolve().parents[2]
ROOMS = ("domain", "persistence", "handlers", "api", "settings", "app")
SHIPPED = ("shared", "services")  # what the image carries (Dockerfile)
TEST_ONLY = ("aiosmtpd", "testcontainers", "hypothesis", "pytest", "playwright", "yaml")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# Longer than the rule on purpose, each with its reason.
LONGER_BY_DESIGN = {
    "shared/contracts/events.py": "every v1 event, declared once: forty small declarations read best together",
}


def python_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (REPO / top).rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def strings_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


@pytest.mark.parametrize("path", python_files("shared"), ids=lambda p: str(p.relative_to(REPO)))
def test_the_common_library_knows_no_service(path: Path):
    services = sorted(m for m in imported_modules(path) if m == "services" or m.startswith("services."))
    assert not services, f"{path.relative_to(REPO)} imports {services}"
    named = sorted(s for s in strings_in(path) if s.startswith("services."))
    assert not named, f"{path.relative_to(REPO)} names {named} by string"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_rooms(service: str):
    folder = REPO / "services" / service
    missing = [room for room in ROOMS if not (folder / f"{room}.py").exists() and not (folder / room).is_dir()]
    assert not missing, f"services/{service} has no {missing}"


@pytest.mark.parametrize("path", python_files(*SHIPPED), ids=lambda p: str(p.relative_to(REPO)))
def test_code_in_the_image_imports_no_test_only_dependency(path: Path):
    used = sorted(m for m in imported_modules(path) if m.split(".")[0] in TEST_ONLY)
    assert not used, f"{path.relative_to(REPO)} ships in the image and imports {used}"


@pytest.mark.parametrize("path", python_files("shared", "services", "tools", "bench"),
                         ids=lambda p: str(p.relative_to(REPO)))
def test_modules_and_functions_stay_short_enough_to_read(path: Path):
    text = path.read_text()
    name = str(path.relative_to(REPO))
    lines = len(text.splitlines())
    assert name in LONGER_BY_DESIGN or lines <= MAX_MODULE_LINES, f"{name}: {lines} lines, over {MAX_MODULE_LINES}"
    long = [f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]
    assert not long, f"{path.relative_to(REPO)}: {', '.join(long)} over {MAX_FUNCTION_LINES} lines"
