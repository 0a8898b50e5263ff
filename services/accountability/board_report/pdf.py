"""The report printed to PDF by headless chromium (Debian's ``chromium`` package)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .data import ReportError


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ReportError("chromium is not installed: install Debian's 'chromium' package (deploy/setup.sh does)")
    return found


def chromium_command(*args: str, profile: str) -> list[str]:
    """Headless chromium that stays off the network (no updates, sync or background fetches)."""
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", *args]


def write_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 120.0) -> Path:
    """Print the HTML report to PDF with headless chromium."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="board-report-chromium-") as profile:
        done = subprocess.run(
            chromium_command(f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", html_path.as_uri(),
                             profile=profile),
            check=False, capture_output=True, text=True, timeout=timeout)
    if not pdf_path.exists() or not pdf_path.read_bytes().startswith(b"%PDF"):
        raise ReportError(f"chromium did not print {pdf_path} (exit {done.returncode}): {done.stderr[-500:]}")
    return pdf_path
