"""What ``content/`` may hold: only what paperkb knows how to check, and nothing that leads out of it.

MkDocs publishes every file under its docs dir (``content/``): a Markdown file as a page with its raw HTML, any
other file as it is. A hand-written ``notes.md``, an ``.html`` or ``.svg`` file with a script, or a symbolic link to
``/proc/self/environ`` would reach the public site unchecked. :func:`content_problems` lists every such file, and
``paperkb check`` and the build refuse them:

- ``papers/<slug>.md``: paper pages (checked by ``paperkb check``, sanitized by the build);
- ``articles/<slug>.md``: articles across papers (:mod:`paperkb.model.articles`; checked and sanitized the same way);
- ``topics.yml``, ``labs.yml``: the vocabularies; ``syncs/<date>.yml``, ``syncs/<date>-<n>.yml``: sync records;
- ``assets/``: raster images and stylesheets (:data:`ASSET_TYPES`); never ``.html``, ``.svg`` or ``.js``, which run
  script on the site's origin;
- nothing else: no other Markdown, no symbolic link (to a file or a
  folder, inside or outside content/), no FIFO, device or socket.

Names starting with ``.`` are skipped (MkDocs never publishes them: editor files, an interrupted write's temporary
file), unless they are symbolic links, which MkDocs still walks into.
"""

from __future__ import annotations

import os
from pathlib import Path

from paperkb.model.limits import file_kind, symlink_message
from paperkb.model.syncs import RECORD_NAME
from paperkb.model.vocab import Problem

#: Files ``assets/`` may hold, by suffix (any case), with the reason each is safe to publish as it is.
ASSET_TYPES = {
    ".png": "raster image",
    ".jpg": "raster image",
    ".jpeg": "raster image",
    ".gif": "raster image",
    ".webp": "raster image",
    ".avif": "raster image",
    ".css": "stylesheet (the site's own, extra_css in mkdocs.yml); browsers run no script from CSS",
}
VOCABULARIES = ("topics.yml", "labs.yml")
#: What MkDocs reads as Markdown pages (mkdocs.utils.markdown_extensions; compared in any case, to be safe).
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkdn", ".mkd")

_LAYOUT = (
    "content/ holds paper pages (papers/<slug>.md), articles (articles/<slug>.md), topics.yml, labs.yml, sync records (syncs/<date>.yml) "
    "and images or stylesheets (assets/)"
)


def content_problems(content_dir: Path | str) -> list[Problem]:
    """Every file under ``content_dir`` that it may not hold, as errors naming the file and the fix.

    Walks without following symbolic links (a link is reported, never entered) and reads no file: one
    ``scandir`` per folder, whose entries know their type, so 10,000 pages cost a few milliseconds.
    """
    root = Path(content_dir)
    if os.path.islink(root):
        return [Problem(root, 1, symlink_message(root))]
    if not root.is_dir():
        return []
    problems: list[Problem] = []
    pending: list[tuple[Path, tuple[str, ...]]] = [(root, ())]
    while pending:
        folder, parts = pending.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as exc:
            problems.append(Problem(folder, 1, f"a folder that cannot be read ({exc.strerror or type(exc).__name__}); fix its permissions or remove it"))
            continue
        for entry in entries:
            path = folder / entry.name
            try:
                if entry.is_symlink():
                    problems.append(Problem(path, 1, symlink_message(path)))
                    continue
                if entry.name.startswith("."):
                    continue  # never published by MkDocs, never read by paperkb
                if entry.is_dir(follow_symlinks=False):
                    pending.append((path, (*parts, entry.name)))
                    continue
                if not entry.is_file(follow_symlinks=False):
                    kind = file_kind(entry.stat(follow_symlinks=False).st_mode)
                    problems.append(Problem(path, 1, f"{kind}, not a regular file; content/ holds only files: remove it"))
                    continue
            except OSError as exc:  # vanished while listed, or cannot be examined
                problems.append(Problem(path, 1, f"cannot be examined ({exc.strerror or type(exc).__name__}); remove it"))
                continue
            message = _placement_problem((*parts, entry.name))
            if message:
                problems.append(Problem(path, 1, message))
    problems.sort(key=lambda problem: str(problem.path))
    return problems


def _placement_problem(parts: tuple[str, ...]) -> str | None:
    """Why a regular file at content/<parts> is not allowed there, or None when it is."""
    name = parts[-1]
    top = parts[0] if len(parts) > 1 else ""
    suffix = Path(name).suffix.lower()
    markdown = suffix in MARKDOWN_SUFFIXES
    if top == "papers":
        if len(parts) == 2 and name.endswith(".md") and not name.startswith("_"):
            return None
        if markdown and len(parts) == 2:
            return (
                "paperkb reads only papers/<name>.md, not starting with '_' (so it checks none of this one), but MkDocs "
                "would publish it: rename it to papers/<slug>.md or remove it"
            )
        return "papers/ holds only paper pages (papers/<slug>.md, no subfolders); put images in assets/ and remove anything else"
    if top == "articles":
        if len(parts) == 2 and name.endswith(".md") and not name.startswith("_"):
            return None
        return (
            "articles/ holds only articles (articles/<slug>.md, no subfolders, not starting with '_'), which paperkb checks; "
            "MkDocs would publish anything else unchecked: rename it or remove it"
        )
    if top == "syncs":
        if len(parts) == 2 and RECORD_NAME.match(name):
            return None
        return (
            "not a sync record: syncs/ holds only <YYYY-MM-DD>.yml and <YYYY-MM-DD>-<n>.yml (written by paperkb sync), and MkDocs "
            "would publish any other file unchecked; rename or remove it"
        )
    if top == "assets":
        if suffix in ASSET_TYPES:
            return None
        allowed = ", ".join(ASSET_TYPES)
        return (
            f"assets/ holds only raster images and stylesheets ({allowed}): "
            f"{'an ' + suffix + ' file' if suffix else 'a file without a type'} is published as it is, and .svg, .html or .js "
            "run script on the site; convert images to PNG, remove anything else"
        )
    if not top and name in VOCABULARIES:
        return None
    if markdown:
        return (
            "a page outside papers/ and articles/: MkDocs would publish it with its raw HTML, unchecked and unsanitized; "
            "make it a paper page in papers/ or an article in articles/, or remove it"
        )
    return f"{_LAYOUT}; MkDocs would publish this file unchecked: move it where it belongs, or remove it"
