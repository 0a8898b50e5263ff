"""The command that writes the Board's report from a running service's read API.

    python -m services.accountability.board_report --api http://127.0.0.1:8002 \\
        --out out/board-report.html --pdf
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from shared.access import bearer_from_environment

from .client import fetch
from .data import ReportError, build_report_data
from .pdf import write_pdf
from .render import render_html

PROG = "python -m services.accountability.board_report"

cli = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@cli.command(help="Write the People Board's report for a cycle (HTML, and PDF).")
def board_report(
    api: Annotated[str, typer.Option(help="the accountability service's base URL (a Board API token in the "
                                          "API_TOKEN variable)")] = "http://127.0.0.1:8002",
    out: Annotated[Path, typer.Option(help="the HTML file to write")] = Path("out/board-report.html"),
    cycle: Annotated[str | None, typer.Option(help="the cycle to report (default: the latest)")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="also print it to a PDF beside the HTML")] = False,
) -> None:
    try:
        summaries, status = asyncio.run(fetch(api, headers=bearer_from_environment()))
        data = build_report_data(summaries, status, cycle_id=cycle)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(data), encoding="utf-8")
        typer.echo(out)
        if pdf:
            typer.echo(write_pdf(out, out.with_suffix(".pdf")))
    except ReportError as e:
        typer.echo(f"board report: {e}", err=True)
        raise typer.Exit(1) from None


def main() -> None:
    cli(prog_name=PROG)
