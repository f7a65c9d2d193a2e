"""Golden files: fixed input pages and vocabularies, and the Markdown the site generates from them.

``tests/golden/kb/input/`` holds the input (``papers/*.md``, ``articles/*.md``, ``topics.yml``, ``labs.yml``);
``tests/golden/kb/expected/`` the outputs side by side: ``indexes/<docs path>`` for each generated index
page (``indexes/index.md``, ``indexes/topics/reasoning.md``…) and ``papers/<slug>.md`` for the Markdown of
each paper page, ``articles/<slug>.md`` for each article and ``articles/index.md`` for the articles index.

Run the tests with ``PAPERKB_UPDATE_GOLDEN=1`` to rewrite the expected files after an intended change
(files no longer produced are deleted), then review the diff with ``git diff tests/golden`` before
committing it.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import os
import re
from pathlib import Path

from paperkb.model.pages import load_pages
from paperkb.model.site_input import SiteInput
from paperkb.model.vocab import load_vocabulary

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "kb"
INPUT = GOLDEN / "input"
EXPECTED = GOLDEN / "expected"
TODAY = dt.date(2025, 3, 1)


def updating() -> bool:
    return os.environ.get("PAPERKB_UPDATE_GOLDEN") == "1"


def golden_site() -> SiteInput:
    pages, errors = load_pages(INPUT / "papers")
    assert not errors, errors
    articles, errors = load_pages(INPUT / "articles")
    assert not errors, errors
    vocab = load_vocabulary(INPUT / "topics.yml", INPUT / "labs.yml")
    assert not vocab.problems, vocab.problems
    return SiteInput(pages=pages, vocab=vocab, articles=articles, site_url="https://example.org/kb/", today=TODAY)


def check_golden(produced: dict[str, str], subdir: str) -> None:
    """Compare ``produced`` ({path: text}) with the files under ``expected/<subdir>/``."""
    root = EXPECTED / subdir
    expected_paths = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    if updating():
        for stale in expected_paths - set(produced):
            (root / stale).unlink()
        for path, text in produced.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, "utf-8")
        return
    hint = "if the change is intended, rerun with PAPERKB_UPDATE_GOLDEN=1 and review `git diff tests/golden`"
    assert set(produced) == expected_paths, f"generated files differ from tests/golden/kb/expected/{subdir} ({hint})"
    for path in sorted(produced):
        expected = (root / path).read_text("utf-8")
        if produced[path] != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    produced[path].splitlines(keepends=True),
                    f"expected/{subdir}/{path}",
                    f"produced/{path}",
                )
            )
            raise AssertionError(f"{subdir}/{path} differs from its golden file ({hint}):\n{diff}")


# -- rendering the way the site does -------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def site_extensions() -> tuple[list[str], dict]:
    """markdown_extensions of the project's mkdocs.yml, as Python-Markdown takes them.

    Read with MkDocs' own YAML loader, as ``mkdocs build`` reads it: it resolves ``!ENV`` and
    ``!!python/name:`` tags (e.g. superfences' ``format: !!python/name:...fence_code_format``) to the real
    objects, so the golden rendering uses exactly the site's extension config. ``yaml.safe_load`` rejects those
    tags."""
    from mkdocs.utils.yaml import yaml_load

    with open(GOLDEN.parents[2] / "mkdocs.yml", encoding="utf-8") as source:
        config = yaml_load(source)
    names, configs = [], {}
    for entry in config["markdown_extensions"]:
        name, options = next(iter(entry.items())) if isinstance(entry, dict) else (entry, None)
        names.append(name)
        if options:
            configs[name] = options
    return names, configs


def to_html(markdown_text: str) -> str:
    """HTML of a page with the site's extensions: front matter dropped, the rest converted as MkDocs does
    (minus its link rewriting)."""
    import markdown

    names, configs = site_extensions()
    body = re.sub(r"\A---\n.*?\n---\n", "", markdown_text, count=1, flags=re.S)
    return markdown.Markdown(extensions=names, extension_configs=configs).convert(body)


class Elements:
    """The start tags (with attributes) and the text of an HTML fragment, as a browser would parse it."""

    def __init__(self, fragment: str):
        from html.parser import HTMLParser

        tags: list[tuple[str, dict[str, str | None]]] = []
        text: list[str] = []

        class _Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                tags.append((tag, dict(attrs)))

            def handle_startendtag(self, tag, attrs):
                tags.append((tag, dict(attrs)))

            def handle_data(self, data):
                text.append(data)

        parser = _Parser(convert_charrefs=True)
        parser.feed(fragment)
        parser.close()
        self.tags = tags
        self.text = "".join(text)

    def named(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == name]

    def names(self) -> set[str]:
        return {tag for tag, _ in self.tags}
