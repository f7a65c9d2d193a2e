"""Build the real site in a temporary copy of the knowledge base, and inspect what MkDocs wrote.

Used by the build and browser tests: ``copy_knowledge_base`` mirrors the ``kb_copy`` fixture (module-scoped
tests cannot use a function-scoped fixture), ``add_machine_written_page`` writes a page whose sections are
still exactly what a model wrote (correct sha256 records), ``mkdocs_build`` runs ``mkdocs build`` as a
subprocess, and ``internal_links`` lists every ``<a href>`` of the built HTML with the file it resolves to.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from paperkb.model.pages import render_new_page, section_hash

REPO = Path(__file__).resolve().parents[2]
# MkDocs prints a long banner about MkDocs 2 unless told not to.
BUILD_ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "DISABLE_MKDOCS_2_WARNING": "true"}

MACHINE_SLUG = "machine-written-example"
MACHINE_SECTIONS = {
    "summary": "A model wrote this summary of the example paper and nobody has touched it since.",
    "key_insights": "- First machine insight about the example.\n- Second machine insight.",
    "why_it_matters": "It matters because the site must say who wrote what.",
}
MACHINE_MODEL = "claude-sonnet-4-5"
MACHINE_AUTHORS_SHOWN = 5  # of 8: the other three fold into "and 3 more"
MACHINE_DATE = dt.date(2026, 11, 1)


def copy_knowledge_base(dest: Path) -> Path:
    """A private copy of the shipped knowledge base (config, content, overrides, scripts) at ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "mkdocs.yml"):
        shutil.copy2(REPO / name, dest / name)
    for name in ("content", "overrides", "scripts"):
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return dest


def add_machine_written_page(root: Path, title: str = "Machine-Written Example: A Page the Model Filled") -> Path:
    """A draft page whose three sections carry generated records with the right hashes."""
    meta = {
        "title": title,
        "arxiv": "2511.00001",
        "authors": ["Ada Example", "Ben Example", "Cy Example", "Di Example", "Ed Example", "Flo Example", "Gus Example", "Hal Example"],
        "labs": ["DeepSeek"],
        "topics": ["reasoning"],
        "published": dt.date(2025, 11, 3),
        "added": dt.date(2026, 11, 2),
        "priority": "high",
        "status": "draft",
        "abstract": "An example abstract for a page whose sections a model wrote.\n",
        "generated": {key: {"model": MACHINE_MODEL, "date": MACHINE_DATE, "sha256": section_hash(text)} for key, text in MACHINE_SECTIONS.items()},
    }
    path = root / "content" / "papers" / f"{MACHINE_SLUG}.md"
    path.write_text(render_new_page(meta, MACHINE_SECTIONS), "utf-8")
    return path


def mkdocs_build(
    root: Path,
    strict: bool = True,
    site_dir: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    dirty: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``mkdocs build`` of the knowledge base at ``root`` into ``root/site`` (the real CLI, in a subprocess; a build
    still running after ``timeout`` seconds is killed and raises subprocess.TimeoutExpired)."""
    command = [str(Path(sys.executable).with_name("mkdocs")), "build", "--site-dir", str(site_dir or root / "site")]
    if strict:
        command.append("--strict")
    if dirty:  # MkDocs' dirty build, as `make serve` runs it: only pages whose file changed are rendered
        command.append("--dirty")
    return subprocess.run(command, cwd=root, env={**BUILD_ENV, **(env or {})}, capture_output=True, text=True, timeout=timeout)


#: What MkDocs logs at the end of each build (under ``mkdocs serve`` too).
BUILT = re.compile(r"Documentation built in ([\d.]+) seconds")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def mkdocs_serve(root: Path, log: Path, dirty: bool = True, env: dict[str, str] | None = None, timeout: float = 300.0) -> Iterator[tuple[str, float]]:
    """``mkdocs serve`` (the real CLI, ``--dirty`` as ``make serve`` runs it) of the knowledge base at ``root`` on
    127.0.0.1, its output in ``log``; yields (the site's base URL, seconds until it first answered). Raises
    RuntimeError with the log's end when the server exits or does not answer within ``timeout`` seconds."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("mkdocs")), "serve", "--dev-addr", f"127.0.0.1:{port}"] + (["--dirty"] if dirty else [])
    start = time.perf_counter()
    with open(log, "w", encoding="utf-8") as output:
        server = subprocess.Popen(command, cwd=root, env={**BUILD_ENV, **(env or {})}, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}{site_path_prefix(root)}"  # serve mounts the site at site_url's path
    try:
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"mkdocs serve exited with {server.returncode}:\n{log.read_text('utf-8')[-4000:]}")
            try:
                with urllib.request.urlopen(base, timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"no answer from mkdocs serve after {timeout:.0f} s:\n{log.read_text('utf-8')[-4000:]}")
            time.sleep(0.5)
        yield base, time.perf_counter() - start
    finally:
        os.killpg(server.pid, signal.SIGINT)  # the server we started (its own process group), as Ctrl-C would
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def builds_logged(log: Path) -> list[float]:
    """MkDocs' "Documentation built in X seconds" of every build logged so far, in seconds."""
    return [float(seconds) for seconds in BUILT.findall(log.read_text("utf-8", errors="replace"))]


def site_path_prefix(root: Path) -> str:
    """The path part of mkdocs.yml's site_url ('/paperkb/'): 404.html links absolutely under it."""
    match = re.search(r"^site_url:\s*(\S+)", (root / "mkdocs.yml").read_text("utf-8"), re.M)
    return urlsplit(match.group(1)).path if match else "/"


def internal_links(site: Path, prefix: str = "/") -> list[tuple[Path, str, Path]]:
    """(HTML file, href, file the href resolves to) for every link to a page of this site."""
    found = []
    for page in sorted(site.rglob("*.html")):
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]*)"', page.read_text("utf-8")):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path:
                continue  # external, or an anchor on the same page
            path = unquote(parts.path)
            if path.startswith("/"):
                target = site / path[len(prefix) :] if path.startswith(prefix) else Path("/nonexistent") / path
            else:
                target = page.parent / path
            target = target.resolve()
            found.append((page, href, target / "index.html" if target.is_dir() else target))
    return found
