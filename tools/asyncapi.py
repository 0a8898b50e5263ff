"""Generate each service's AsyncAPI document from its code (FastStream builds it from the
subscribers, their typed parameters and the declared outputs).

    .venv/bin/python -m tools.asyncapi          # rewrite docs/asyncapi/*.json
    .venv/bin/python -m tools.asyncapi --check  # exit 1 when the committed copies drift
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated

import typer

from shared.contracts.topics import SERVICES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "asyncapi"


def generate(service: str) -> str:
    """Every service has ``app.build(settings)`` and ``settings.<Name>Settings``."""
    build = importlib.import_module(f"services.{service}.app").build
    settings_class = getattr(importlib.import_module(f"services.{service}.settings"),
                             f"{service.capitalize()}Settings")
    # Fixed settings, so the document does not depend on who generates it where (nor on secrets
    # a service needs to run, such as the portal's session secret: nothing is validated or read).
    settings = settings_class.model_construct(kafka_bootstrap_servers="kafka:9092",
                                              database_url="postgresql://unused/x")
    app = build(settings)
    return json.dumps(json.loads(app.schema.to_specification().to_json()), indent=2, sort_keys=True) + "\n"


cli = typer.Typer(add_completion=False)


@cli.command()
def main(
    check: Annotated[bool, typer.Option("--check", help="exit 1 when the committed copies drift")] = False,
) -> None:
    """Write each service's AsyncAPI document to docs/asyncapi/, or only compare with --check."""
    drifted = []
    for service in SERVICES:
        path = DOCS / f"{service}.json"
        text = generate(service)
        if check:
            if not path.exists() or path.read_text() != text:
                drifted.append(str(path))
        else:
            DOCS.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if drifted:
        print("AsyncAPI documents differ from the code; run: python -m tools.asyncapi\n" + "\n".join(drifted))
        raise typer.Exit(1)


if __name__ == "__main__":
    cli()
