"""Generate each service's AsyncAPI document from its code (FastStream builds it from the
subscribers, their typed parameters and the declared outputs).

    .venv/bin/python -m shared.asyncapi          # rewrite docs/asyncapi/*.json
    .venv/bin/python -m shared.asyncapi --check  # exit 1 when the committed copies drift
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from shared.contracts.topics import SERVICES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "asyncapi"


def generate(service: str) -> str:
    """Every service has ``app.build(settings)`` and ``settings.<Name>Settings``."""
    build = importlib.import_module(f"services.{service}.app").build
    settings_class = getattr(importlib.import_module(f"services.{service}.settings"),
                             f"{service.capitalize()}Settings")
    # Fixed settings, so the document does not depend on who generates it where.
    settings = settings_class(kafka_bootstrap_servers="kafka:9092", database_url="postgresql://unused/x")
    app = build(settings)
    return json.dumps(json.loads(app.schema.to_specification().to_json()), indent=2, sort_keys=True) + "\n"


def main() -> int:
    check = "--check" in sys.argv
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
        print("AsyncAPI documents differ from the code; run: python -m shared.asyncapi\n" + "\n".join(drifted))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
