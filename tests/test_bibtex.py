"""BibTeX: every shipped paper's entry parsed back with bibtexparser 2.x; keys unique, stable, readable;
LaTeX specials escaped so any title survives the round trip; the site's papers.bib and per-topic files."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import random
from pathlib import Path

import bibtexparser
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
from hypothesis import given, settings, strategies as st
from pylatexenc import latex2text  # bibtexparser's own LaTeX decoder

from paperkb.model import config, paths
from paperkb.model.pages import as_list, load_pages, parse_page, render_new_page, set_keys
from paperkb.model.site_input import load_site_input
from paperkb.publish import bibtex

REPO = Path(__file__).resolve().parent.parent


def shipped_pages():
    pages, errors = load_pages(REPO / "content" / "papers")
    assert not errors
    return pages


def _latex_reader() -> latex2text.LatexNodes2Text:
    """pylatexenc as LaTeX prints text: its table lacks \\textbraceleft/right and maps \\textasciicircum to 'ˆ'."""
    context = latex2text.get_default_latex_context_db()
    context.add_context_category(
        "latex-text-symbols",
        prepend=True,
        macros=[
            latex2text.MacroTextSpec("textbraceleft", "{"),
            latex2text.MacroTextSpec("textbraceright", "}"),
            latex2text.MacroTextSpec("textasciicircum", "^"),
        ],
    )
    return latex2text.LatexNodes2Text(latex_context=context)


LATEX = _latex_reader()


def parse(text: str):
    decoder = LatexDecodingMiddleware(decoder=LATEX)
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors(), decoder])
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def tex_text(text: str) -> str:
    """What a LaTeX reader makes of plain text: '--' is an en dash, '---' an em dash (arXiv titles mean them so)."""
    text = " ".join(text.split())
    return text.replace("---", "\u2014").replace("--", "\u2013").replace("``", "\u201c").replace("''", "\u201d")


def page_from(meta: dict, name: str = "x"):
    return parse_page(Path(f"{name}.md"), render_new_page(meta))


def test_every_shipped_paper_parses_back_with_its_fields():
    pages = shipped_pages()
    keys = bibtex.assign_keys(pages)
    library = parse(bibtex.format_bibliography(pages, keys))
    assert len(library.entries) == len(pages) == len({e.key for e in library.entries})
    by_key = {e.key: e for e in library.entries}
    for page in pages:
        entry = by_key[keys[page.slug]]
        fields = {f.key: f.value for f in entry.fields}
        assert entry.entry_type == "misc"
        assert fields["title"].replace("{", "").replace("}", "") == tex_text(page.meta["title"])
        assert fields["eprint"] == page.meta["arxiv"]
        assert fields["archivePrefix"] == "arXiv"
        assert fields["url"] == f"https://arxiv.org/abs/{page.meta['arxiv']}"
        if page.meta.get("primary_category"):
            assert fields["primaryClass"] == page.meta["primary_category"]
        decoded = [LATEX.latex_to_text(a) for a in fields["author"]]
        assert decoded == [tex_text(bibtex.normalise_initials(str(a))) for a in page.meta["authors"]]  # "Y.K. Li" is "Y. K. Li"
        assert fields["year"] == str(bibtex.paper_year(page))


def test_keys_read_like_a_person_wrote_them():
    keys = bibtex.assign_keys(shipped_pages())
    assert keys["deepseek-r1"] == "deepseekai2025deepseekr1"
    assert keys["alignment-faking-in-large-language-models"] == "greenblatt2024alignment"
    assert keys["towards-economical-inference"] == "ji2025economical"  # no published date: the year from 2502.xxxxx
    assert all(key.isascii() and key.replace("_", "").isalnum() for key in keys.values())


def _colliding(n: int):
    return [
        page_from(
            {
                "title": f"Scaling {chr(97 + i)}",
                "arxiv": f"25{i + 1:02d}.00001",
                "authors": ["Jane Smith"],
                "published": dt.date(2025, i + 1, 1),
                "status": "todo",
            },
            name=f"scaling-{i}",
        )
        for i in range(n)
    ]


def test_colliding_keys_are_disambiguated_oldest_first_and_never_renamed_by_newer_papers():
    older = _colliding(3)
    keys = bibtex.assign_keys(older)
    assert [keys[p.slug] for p in older] == ["smith2025scaling", "smith2025scalingb", "smith2025scalingc"]
    newer = _colliding(5)[3:]
    again = bibtex.assign_keys(older + newer)
    assert {p.slug: again[p.slug] for p in older} == keys  # the existing keys did not move
    assert len(set(again.values())) == 5


def test_keys_do_not_depend_on_the_order_pages_are_read():
    pages = shipped_pages() + _colliding(4)
    shuffled = pages[:]
    random.Random(7).shuffle(shuffled)
    assert bibtex.assign_keys(shuffled) == bibtex.assign_keys(pages)


NASTY = (
    st.lists(st.sampled_from(list("abcXYZ 019&%$#_{}~^\\-:'\"äé漢") + ["LLMs", "DeepSeek-R1", " and "]), min_size=1, max_size=30)
    .map("".join)
    .filter(lambda s: s.strip())
)


@settings(max_examples=80, deadline=None)
@given(title=NASTY, author=NASTY)
def test_any_title_and_author_survive_the_round_trip(title, author):
    page = page_from({"title": title, "arxiv": "2501.12948", "authors": [author, "Second Author"], "published": dt.date(2025, 1, 20), "status": "todo"})
    library = parse(bibtex.format_entry(page, "key2025"))
    assert len(library.entries) == 1
    fields = {f.key: f.value for f in library.entries[0].fields}
    decoded_title = fields["title"]
    assert " ".join(decoded_title.split()) == tex_text(title)
    assert len(fields["author"]) == 2  # ' and ' inside a name cannot split it
    assert " ".join(LATEX.latex_to_text(fields["author"][0]).split()) == tex_text(author)


def test_latex_specials_are_escaped():
    assert bibtex.latex_escape("50% of A&B cost $5 #1 a_b {x} ~ ^ \\") == (
        r"50\% of A\&B cost \$5 \#1 a\_b \textbraceleft{}x\textbraceright{} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert bibtex.bibtex_title("DeepSeek-R1: LLMs and GRPO") == "{DeepSeek-R1}: {LLMs} and {GRPO}"  # the colon outside
    assert bibtex.bibtex_authors(["DeepSeek-AI", "Ada Lovelace", "Smith and Wesson Lab"]) == ("{DeepSeek-AI} and Ada Lovelace and {Smith and Wesson Lab}")


def test_a_paper_without_arxiv_gets_its_url_and_no_eprint():
    page = page_from({"title": "A Blog Post", "url": "https://example.org/post#1", "authors": ["A B"], "status": "todo"})
    fields = {f.key: f.value for f in parse(bibtex.format_entry(page, "b")).entries[0].fields}
    assert "eprint" not in fields and "archivePrefix" not in fields
    assert fields["url"] == "https://example.org/post#1"


def test_site_publishes_papers_bib_and_one_per_topic():
    site = dataclasses.replace(load_site_input(config.load(REPO)), today=dt.date(2026, 11, 22))
    files = bibtex.generate(site)
    everything = parse(files[paths.ALL_PAPERS_BIB])
    assert len(everything.entries) == len(site.pages)
    all_keys = {e.key for e in everything.entries}
    for topic_id in site.vocab.topics:
        topic = parse(files[paths.topic_bib_path(topic_id)])
        members = [p for p in site.pages if topic_id in as_list(p.meta.get("topics"))]
        assert len(topic.entries) == len(members)
        assert {e.key for e in topic.entries} <= all_keys  # the same key for a paper everywhere


def test_cite_footer_is_a_bibtex_block_with_the_site_key():
    site = load_site_input(config.load(REPO))
    keys = bibtex.generate(site) and bibtex.keys_for_site(site)
    page = next(p for p in site.pages if p.slug == "deepseek-r1")
    footer = bibtex.cite_footer(page)
    assert footer.startswith('<h2 id="cite">Cite<a class="headerlink" href="#cite" title="Permanent link">&para;</a></h2>\n')
    assert '<pre class="bibtex"><code>@misc{deepseekai2025deepseekr1,\n' in footer and footer.endswith("}</code></pre>")
    inner = html.unescape(footer.split("<code>", 1)[1].rsplit("</code>", 1)[0])
    assert parse(inner).entries[0].key == keys["deepseek-r1"]


def test_cite_footer_escapes_what_the_entry_holds():
    page = parse_page(Path("papers/x.md"), "---\ntitle: '<script>alert(1)</script> & co'\narxiv: '2501.00001'\n---\n")
    footer = bibtex.cite_footer(page)
    assert "<script>" not in footer and "&lt;script&gt;alert(1)&lt;/script&gt;} \\&amp; co" in footer


def test_cite_footer_outside_a_build_computes_keys_from_the_folder(tmp_path: Path):
    folder = tmp_path / "papers"
    folder.mkdir()
    for page in _colliding(2):
        (folder / page.path.name).write_text(page.text, "utf-8")
    pages, _ = load_pages(folder)
    second = next(p for p in pages if p.slug == "scaling-1")
    assert "@misc{smith2025scalingb," in bibtex.cite_footer(second)


def test_a_rebuild_in_the_same_process_shows_an_edited_title_and_nothing_else_changes(tmp_path):
    """generate() reuses the last build's entries of unchanged pages (make serve): an edit must still show."""
    site = load_site_input(config.load(REPO))
    first = bibtex.generate(site)
    assert bibtex.generate(site) == first  # reused: the same text
    edited = site.pages[0]
    retitled = parse_page(edited.path, set_keys(edited, {"title": "A Title Edited Meanwhile"}))
    again = bibtex.generate(dataclasses.replace(site, pages=[retitled, *site.pages[1:]]))
    changed = [line for line in set(again[paths.ALL_PAPERS_BIB].splitlines()) ^ set(first[paths.ALL_PAPERS_BIB].splitlines())]
    assert any("A Title Edited Meanwhile" in line for line in changed)
    assert len(changed) == 4, changed  # the edited entry's title and key (a key starts with the title's first word), old and new
