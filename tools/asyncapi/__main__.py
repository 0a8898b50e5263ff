"""Generate each service's AsyncAPI document from its code, and its readable page.

    .venv/bin/python -m tools.asyncapi          # rewrite docs/asyncapi/*.json
    .venv/bin/python -m tools.asyncapi --html   # and docs/asyncapi/html/*.html (AsyncAPI's generator)
    .venv/bin/python -m tools.asyncapi --check  # exit 1 when the committed copies drift or the
                                                # official parser finds an error or a warning
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shared.contracts.topics import SERVICES

from . import official
from .document import DOCS, generate

HTML = DOCS / "html"

cli = typer.Typer(add_completion=False)


def _drifted() -> list[str]:
    """Documents that differ from the code, and pages rendered from another version of their document."""
    drifted = []
    for service in SERVICES:
        path = DOCS / f"{service}.json"
        if not path.exists() or path.read_text() != generate(service):
            drifted.append(f"{path}: differs from the code; run: python -m tools.asyncapi --html")
        elif official.rendered_from(HTML / f"{service}.html") != official.source_hash(path):
            drifted.append(f"{HTML / service}.html: not rendered from {path.name}; "
                           "run: python -m tools.asyncapi --html")
    return drifted


def _official_check(documents: list[Path]) -> bool:
    """Print what the official parser says; False when it finds an error, a warning or a remark not accepted."""
    try:
        code, report = official.validate(documents)
    except official.ToolingMissing as missing:
        typer.echo(f"official parser not run: {missing}")
        return True
    ok = code == 0
    for document, diagnostics in report["documents"].items():
        for d in diagnostics:
            ok = ok and d["code"] in official.ACCEPTED_REMARKS
            typer.echo(f"{Path(document).name}: {d['severity']} {d['code']} at {d['path']}: {d['message']}")
        typer.echo(f"{Path(document).name}: @asyncapi/parser {report['parser']}: {len(diagnostics)} diagnostic(s)")
    return ok


@cli.command()
def main(
    check: Annotated[bool, typer.Option(
        "--check", help="only compare with the code, and run the official parser")] = False,
    html: Annotated[bool, typer.Option(
        "--html", help="also render each document as a page (needs node and npm)")] = False,
) -> None:
    """Write each service's AsyncAPI document to docs/asyncapi/ (with --html its page to docs/asyncapi/html/),
    or only check them with --check."""
    documents = [DOCS / f"{service}.json" for service in SERVICES]
    if check:
        drifted = _drifted()
        typer.echo("\n".join(drifted) or "documents and pages match the code")
        if not _official_check(documents) or drifted:
            raise typer.Exit(1)
        return
    DOCS.mkdir(parents=True, exist_ok=True)
    for service, path in zip(SERVICES, documents, strict=True):
        path.write_text(generate(service))
        typer.echo(f"wrote {path}")
    if html:
        try:
            pages = official.render(documents, HTML)
        except official.ToolingMissing as missing:
            typer.secho(f"pages not rendered: {missing}", fg="red", err=True)
            raise typer.Exit(1) from None
        typer.echo("\n".join(f"wrote {page}" for page in pages))


if __name__ == "__main__":
    cli()
