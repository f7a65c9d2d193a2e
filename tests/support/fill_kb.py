"""Small knowledge bases for the ``paperkb fill`` tests, and a way to run the command in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

from paperkb.cli import main as cli

REPO = Path(__file__).resolve().parents[2]

#: A hand-edited page: comments, odd spacing, a quoted title, placeholders, an empty section, a person's notes.
PAGE = """\
---
# A person's comment stays where it is.
title: "SparseMix: Routing   Experts"   # quoted on purpose
arxiv: '2401.06066'
authors: [Ada Lovelace, Alan Turing]
topics:
  - mixture-of-experts
published: 2024-01-11
status:   todo   # flip to draft when done
abstract: |
  We present SparseMix, a Mixture-of-Experts language model with 16B parameters trained on 2T tokens.
  It activates 2.8B parameters per token and was built by DeepSeek-AI.
  On MMLU it scores 45.3%, matching a dense 7B model with 2.5 times the compute.
  Fine-grained experts specialise more than coarse ones in every layer we examine.
  Shared experts capture common knowledge and reduce redundancy among routed experts.
  The approach scales to 145B parameters with 28.5% of the computation of a dense model.
---

## Summary

TODO

## Key Insights

*TBD*

## Why It Matters

## Notes

My notes: compare with GShard (600B), which routes to the top-2 experts.
"""


def make_kb(root: Path) -> Path:
    """A knowledge base with the project's configuration and vocabularies, no pages yet, filled from abstracts."""
    (root / "content" / "papers").mkdir(parents=True)
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    for name in ("topics.yml", "labs.yml"):
        shutil.copy2(REPO / "content" / name, root / "content" / name)
    # From the abstract: these pages' arXiv IDs are not served here (tests of the full text start a fake arXiv).
    configure_fill(root, full_text=False)
    return root


def kb_talking_to(server, root: Path, monkeypatch) -> Path:
    """A fresh knowledge base at ``root`` whose `paperkb fill` talks to the fake API ``server``.

    The working directory moves there: paths in fill's output are shown relative to it (content/papers/...).
    """
    from tests.support.fake_anthropic import TEST_KEY

    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
    make_kb(root)
    monkeypatch.chdir(root)
    return root


def add_page(root: Path, slug: str, text: str = PAGE, newline: str = "\n") -> Path:
    path = root / "content" / "papers" / f"{slug}.md"
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def variant(title: str, arxiv: str, text: str = PAGE) -> str:
    """The sample page for another paper (a distinct title and arXiv ID)."""
    return text.replace('"SparseMix: Routing   Experts"', f'"{title}"').replace("'2401.06066'", f"'{arxiv}'")


def run_fill(root: Path, *args: str) -> int:
    """``paperkb --root ROOT fill ARGS`` in this process (tests set ANTHROPIC_* with monkeypatch)."""
    return cli.main(["--root", str(root), "fill", *args])


def configure_fill(root: Path, extra_tables: str = "", **settings: object) -> None:
    """Set keys of [tool.paperkb.fill] in the copy's pyproject.toml (replacing or adding lines); ``extra_tables``
    (TOML text, e.g. a [tool.paperkb.fill.prices."m"] table) is appended to the file."""
    import json
    import re

    pyproject = root / "pyproject.toml"
    text = pyproject.read_text("utf-8")
    head, sep, rest = text.partition("[tool.paperkb.fill]\n")
    assert sep, "the copied pyproject.toml has no [tool.paperkb.fill] table"
    end = re.search(r"^\[", rest, re.M)
    section, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    for name, value in settings.items():
        line = f"{name} = {json.dumps(value)}"
        if re.search(rf"^{name}\s*=", section, re.M):
            section = re.sub(rf"^{name}\s*=.*$", line.replace("\\", "\\\\"), section, flags=re.M)
        else:
            section = line + "\n" + section
    pyproject.write_text(head + sep + section + tail + extra_tables, "utf-8")


def kb_talking_to_openai(server, root: Path, monkeypatch, model: str = "llama3.1:8b") -> Path:
    """A fresh knowledge base at ``root`` whose `paperkb fill` talks to the fake OpenAI-compatible ``server``
    (provider, base_url and model in its [tool.paperkb.fill]; no key in the environment, as for a local server)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    make_kb(root)
    configure_fill(root, provider="openai", base_url=server.base_url, model=model)
    monkeypatch.chdir(root)
    return root
