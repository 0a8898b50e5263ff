"""Headless chromium (Debian's ``chromium`` package), for printing a page to PDF: the Board's
report in the accountability service and, attached to the cycle's close, in notifications."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path


class NoChromium(RuntimeError):
    """Chromium is not installed where this runs (the container images leave it out)."""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise NoChromium("chromium is not installed: install Debian's 'chromium' package (deploy/setup.sh does)")
    return found


def chromium_command(*args: str, profile: str) -> list[str]:
    """Headless chromium that stays off the network (no updates, sync or background fetches)."""
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}", *args]


def print_to_pdf(html_path: Path, pdf_path: Path, *, timeout: float = 120.0) -> Path:
    """Print an HTML file to PDF; RuntimeError (NoChromium when it is missing) when no PDF came out."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path).resolve()
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chromium-pdf-") as profile:
        done = subprocess.run(
            chromium_command(f"--print-to-pdf={pdf_path}", "--no-pdf-header-footer", html_path.as_uri(),
                             profile=profile),
            check=False, capture_output=True, text=True, timeout=timeout)
    if not pdf_path.exists() or not pdf_path.read_bytes().startswith(b"%PDF"):
        raise RuntimeError(f"chromium did not print {pdf_path} (exit {done.returncode}): {done.stderr[-500:]}")
    return pdf_path


def pdf_of(html: str, *, timeout: float = 120.0) -> bytes:
    """A page's PDF, printed from its HTML (written to a temporary folder first)."""
    with tempfile.TemporaryDirectory(prefix="pdf-of-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(html)
        return print_to_pdf(page, Path(folder) / "page.pdf", timeout=timeout).read_bytes()
