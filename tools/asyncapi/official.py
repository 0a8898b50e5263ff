"""AsyncAPI's own tools, from the npm registry, each in a project-local folder with its lock file:
the parser (``deploy/asyncapi``, installed by ``deploy/setup.sh``) validates the documents; the
generator and its HTML template (``deploy/asyncapi-html``, installed when the pages are rendered)
turn each document into one self-contained HTML page.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PARSER = REPO / "deploy" / "asyncapi"
RENDERER = REPO / "deploy" / "asyncapi-html"
# The parser's only remark on the documents, at the "information" level: AsyncAPI 3.1.0 exists.
# The documents stay 3.0.0, the version FastStream (the services' framework) writes and the one
# integrators' tools support most widely; anything else the parser says fails the check.
ACCEPTED_REMARKS = {"asyncapi-latest-version"}
STAMP = re.compile(r'<meta name="asyncapi-source-sha256" content="([0-9a-f]{64})">')


class ToolingMissing(RuntimeError):
    """node, npm or an npm folder is not there; the message says what to run."""


def node() -> str | None:
    return shutil.which("node")


def installed(folder: Path) -> bool:
    return (folder / "node_modules" / ".package-lock.json").is_file()


def install(folder: Path) -> None:
    """``npm ci`` from the folder's lock file (install scripts off: none of these needs one)."""
    npm = shutil.which("npm")
    if npm is None:
        raise ToolingMissing("npm is not installed (Debian: apt-get install nodejs npm)")
    subprocess.run([npm, "ci", "--prefix", str(folder), "--ignore-scripts", "--no-audit", "--no-fund",
                    "--loglevel=error"], check=True)


def _node_script(folder: Path, script: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    found = node()
    if found is None:
        raise ToolingMissing("node is not installed (Debian: apt-get install nodejs npm)")
    if not installed(folder):
        raise ToolingMissing(f"{folder.relative_to(REPO)} is not installed: npm ci --prefix {folder.relative_to(REPO)}")
    return subprocess.run([found, str(folder / script), *args], capture_output=True, text=True, timeout=timeout,
                          check=False)


def validate(documents: list[Path]) -> tuple[int, dict[str, Any]]:
    """The official parser's exit code (1 on any error or warning) and every diagnostic, by document."""
    done = _node_script(PARSER, "validate.mjs", "--json", *map(str, documents), timeout=300)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"the AsyncAPI parser failed to run:\n{done.stderr}")
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def source_hash(document: Path) -> str:
    return hashlib.sha256(document.read_bytes()).hexdigest()


def rendered_from(page: Path) -> str | None:
    """The hash of the document a page was rendered from, as stamped in its head."""
    found = STAMP.search(page.read_text(encoding="utf-8")) if page.is_file() else None
    return found.group(1) if found else None


def render(documents: list[Path], out: Path) -> list[Path]:
    """One self-contained page per document, written to ``out`` with the document's hash stamped in."""
    if not installed(RENDERER):
        install(RENDERER)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="asyncapi-html-") as scratch:
        done = _node_script(RENDERER, "render.mjs", scratch, *map(str, documents), timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"AsyncAPI's generator failed:\n{done.stdout}\n{done.stderr}")
        for document in documents:
            page = Path(scratch) / f"{document.stem}.html"
            stamp = f'<meta name="asyncapi-source-sha256" content="{source_hash(document)}">'
            html = page.read_text(encoding="utf-8").replace("<head>", f"<head>\n      {stamp}", 1)
            target = out / page.name
            target.write_text(html, encoding="utf-8")
            written.append(target)
    return written
