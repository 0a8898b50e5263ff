"""The report printed to PDF by headless chromium (Debian's ``chromium`` package; ``shared.chromium``)."""

from __future__ import annotations

from pathlib import Path

from shared.chromium import chromium_command, print_to_pdf

from .data import ReportError

__all__ = ["chromium_command", "write_pdf"]


def write_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 120.0) -> Path:
    """Print the HTML report to PDF with headless chromium."""
    try:
        return print_to_pdf(html_path, pdf_path, timeout=timeout)
    except RuntimeError as exc:
        raise ReportError(str(exc)) from exc
