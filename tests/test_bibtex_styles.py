"""papers.bib as readers' tools print it: every shipped entry formatted by pybtex in the plain and unsrt styles
and, where Debian's ``bibtex`` is installed (texlive-binaries + texlive-base), by BibTeX itself with plain,
unsrt, abbrv, alpha and ieeetr. Titles keep the case of what must keep it (acronyms, inner capitals, proper
nouns, labs) and BibTeX still sees each colon; every entry prints its arXiv ID and URL; initials keep their letters.

CI does not install TeX (about a minute of packages for one test): the BibTeX test skips there and runs
wherever ``bibtex`` is on the PATH; the pybtex tests always run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pybtex.database import parse_string
from pybtex.plugin import find_plugin

from paperkb.model.config import load
from paperkb.model.pages import Page, load_pages
from paperkb.model.vocab import load_vocabulary
from paperkb.publish import bibtex

REPO = Path(__file__).resolve().parent.parent
KB = load(REPO)


def shipped() -> tuple[list[Page], dict[str, str], str]:
    pages, errors = load_pages(KB.papers_dir)
    assert not errors
    keys = bibtex.assign_keys(pages)
    names = bibtex.vocabulary_lab_names(load_vocabulary(KB.topics_file, KB.labs_file))
    return pages, keys, bibtex.format_bibliography(pages, keys, lab_names=names)


def pybtex_rendered(style_name: str) -> dict[str, str]:
    """Key -> the entry as pybtex's style prints it, as plain text."""
    _pages, _keys, text = shipped()
    style = find_plugin("pybtex.style.formatting", style_name)()
    formatted = style.format_bibliography(parse_string(text, "bibtex"))
    return {entry.key: " ".join(entry.text.render_as("text").split()) for entry in formatted.entries}


def kept_words(title: str) -> list[str]:
    """What of a title must print as written: each part of a word (split at '-' and '/') with an inner capital or
    a digit or in the proper nouns, and each word that is a one-word lab name or alias (any case)."""
    labs = {n.casefold() for n in bibtex.vocabulary_lab_names(load_vocabulary(KB.topics_file, KB.labs_file)) if " " not in n}
    kept = []
    for word in (w.strip("\"'()[].,:;!?") for w in title.split()):
        if word.casefold() in labs:
            kept.append(word)
        else:
            kept += [part for part in re.split(r"[-/]", word) if bibtex._needs_case_protection(part)]
    return kept


#: Titles as pybtex's plain style prints them (it lower-cases every letter not protected, after a colon too)
PYBTEX_TITLES = {
    "deepseek-r1": "DeepSeek-R1: incentivizing reasoning capability in LLMs via reinforcement learning",
    "deepseek-vs-o3-mini": "DeepSeek vs. o3-mini: how well can reasoning LLMs evaluate MT and summarization?",
    "deepseek-llm": "DeepSeek LLM: scaling open-source language models with longtermism",
    "medical-reasoning-in-llms": "Medical reasoning in LLMs: an in-depth analysis of DeepSeek R1",
    "visual-reasoning-evaluation-of-grok-deepseek-janus-gemini": ("Visual reasoning evaluation of Grok, Deepseek Janus, Gemini, Qwen, Mistral, and ChatGPT"),
    "safety-evaluation-of-deepseek-models-in-chinese-contexts": "Safety evaluation of DeepSeek models in Chinese contexts",
    "deepseek-coder": "DeepSeek-Coder: when the large language model meets programming – the rise of code intelligence",
}


@pytest.mark.parametrize("style_name", ["plain", "unsrt"])
def test_pybtex_prints_every_title_with_its_kept_words_and_every_locator(style_name):
    pages, keys, _text = shipped()
    rendered = pybtex_rendered(style_name)
    assert len(rendered) == len(pages)
    for page in pages:
        entry = rendered[keys[page.slug]]
        for word in kept_words(page.meta["title"]):
            assert word in entry, (page.slug, word, entry)
        arxiv_id = page.meta["arxiv"]
        assert f"arXiv:{arxiv_id}" in entry and f"https://arxiv.org/abs/{arxiv_id}" in entry, entry
    for slug, title in PYBTEX_TITLES.items():
        matching = [page for page in pages if page.slug == slug]
        assert matching, slug
        assert title in rendered[keys[slug]], rendered[keys[slug]]


def test_every_entry_has_the_locator_fields_classic_styles_print():
    """plain.bst and its kin print howpublished and note for @misc, never eprint or url (pybtex's styles print
    those too, so this is what keeps the locator for BibTeX where the test below cannot run)."""
    pages, keys, text = shipped()
    entries = parse_string(text, "bibtex").entries
    for page in pages:
        fields = entries[keys[page.slug]].fields
        assert fields["howpublished"] == f"arXiv:{page.meta['arxiv']}"
        assert fields["note"] == f"https://arxiv.org/abs/{page.meta['arxiv']}"


def test_pybtex_reads_run_together_initials_as_separate_names():
    _pages, _keys, text = shipped()
    coder = parse_string(text, "bibtex").entries["guo2024deepseekcoder"]
    li = [p for p in coder.persons["author"] if p.last_names == ["Li"]]
    assert [p.first_names + p.middle_names for p in li] == [["Y.", "K."]]  # was ['Y.K.']: abbrv printed "Y. Li"


# -- BibTeX itself -------------------------------------------------------------------------------------------
CLASSIC_STYLES = ["plain", "unsrt", "abbrv", "alpha", "ieeetr"]


def _bbl_items(bbl: str) -> dict[str, str]:
    """Key -> an item of the .bbl as text: BibTeX's braces and \\newblock gone, '~' a space, spaces folded."""
    items = {}
    for match in re.finditer(r"\\bibitem(?:\[[^\]]*\])?\{([^}]*)\}(.*?)(?=\\bibitem|\\end\{thebibliography\})", bbl, re.S):
        text = match.group(2).replace("\\newblock", " ").replace("~", " ").replace("{", "").replace("}", "")
        items[match.group(1)] = " ".join(text.replace("\\em ", "").split())
    return items


@pytest.fixture(scope="module")
def bibtex_binary() -> str:
    found = shutil.which("bibtex")
    if not found or subprocess.run(["kpsewhich", "plain.bst"], capture_output=True, text=True).returncode != 0:
        pytest.skip("Debian's bibtex and its styles are not installed (apt-get install texlive-binaries texlive-base)")
    return found


@pytest.mark.parametrize("style_name", CLASSIC_STYLES)
def test_bibtex_compiles_every_entry_without_a_warning_and_prints_titles_and_locators(bibtex_binary, style_name, tmp_path):
    pages, keys, text = shipped()
    (tmp_path / "papers.bib").write_text(text, "utf-8")
    (tmp_path / "doc.aux").write_text(f"\\citation{{*}}\n\\bibdata{{papers}}\n\\bibstyle{{{style_name}}}\n", "utf-8")
    result = subprocess.run([bibtex_binary, "doc"], cwd=tmp_path, capture_output=True, text=True)
    log = (tmp_path / "doc.blg").read_text("utf-8", "replace")
    assert result.returncode == 0 and "Warning--" not in log, log
    items = _bbl_items((tmp_path / "doc.bbl").read_text("utf-8"))
    assert len(items) == len(pages)
    for page in pages:
        item = items[keys[page.slug]]
        arxiv_id = page.meta["arxiv"]
        assert f"arXiv:{arxiv_id}" in item and f"https://arxiv.org/abs/{arxiv_id}" in item, item
        for word in kept_words(page.meta["title"]):
            assert word.replace("\u2013", "--") in item, (page.slug, word, item)
    # BibTeX's own case rule keeps the capital after a colon, once the colon is outside the braces
    assert "DeepSeek-R1: Incentivizing reasoning capability in LLMs" in items["deepseekai2025deepseekr1"]
    assert "o3-mini vs DeepSeek-R1: Which one is safer?" in " ".join(items.values())
    if style_name == "abbrv":
        assert "Y. K. Li" in items["guo2024deepseekcoder"]  # two initials: it printed "Y. Li"
