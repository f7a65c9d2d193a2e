"""A paper page as the site shows it (paperkb.render): header, collapsed authors, machine-written notes,
escaping and HTML sanitizing, footers.

Pages are rendered the way the MkDocs hook does it (``paper_document``, Markdown with the site's
extensions, ``sanitize_html``, then the header put back) and inspected as a browser would parse them.
Golden files: tests/golden/kb/expected/papers (``PAPERKB_UPDATE_GOLDEN=1`` rewrites them, see
tests/support/golden.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings, strategies as st

from paperkb.model import config, facts
from paperkb.model.pages import load_page, parse_page, set_section
from paperkb.publish import digest, markup, paper as paper_page, sanitize
from tests.support.golden import INPUT, Elements, check_golden, golden_site, to_html


def page(slug: str):
    return load_page(INPUT / "papers" / f"{slug}.md")


def vocab():
    return golden_site().vocab


def as_site_shows(paper) -> str:
    """The HTML the hook hands MkDocs' theme for this page (minus MkDocs' own link rewriting)."""
    document = paper_page.paper_document(paper, vocab())
    return document.html(sanitize.sanitize_html(to_html(document.markdown)))


def notes(html: str) -> list[str]:
    """The machine notes' titles as text (the date is a <time> element)."""
    titles = re.findall(r'<div class="admonition note pkb-machine">\s*<p class="admonition-title">(.*?)</p>', html)
    return [re.sub(r"<[^>]*>", "", title) for title in titles]


# -- golden -------------------------------------------------------------------------------------------------------
def test_paper_pages_match_their_golden_files():
    site = golden_site()
    check_golden({f"{p.slug}.md": paper_page.paper_markdown(p, site.vocab) for p in site.pages}, "papers")


def test_the_hook_form_and_the_markdown_form_render_the_same_page():
    for paper in golden_site().pages:
        direct = to_html(paper_page.paper_markdown(paper, vocab())).replace(markup.RAW_START, "").replace(markup.RAW_END, "")
        # both through the sanitizer, which drops the attributes it does not allow from the direct form
        same = [re.sub(r"\s+", " ", sanitize.sanitize_html(html)).strip() for html in (direct, as_site_shows(paper))]
        assert same[0] == same[1], paper.slug


# -- header -------------------------------------------------------------------------------------------------------
def test_header_shows_badges_labs_topics_date_links_and_abstract():
    html = as_site_shows(page("reasoning-rl"))
    elements = Elements(html)
    # The theme shows the title as the page's h1 (the hook sets it as page.meta["title"]), above this HTML
    assert facts.title_of(page("reasoning-rl")) == "Reasoning-RL: Incentivizing Reasoning via Reinforcement Learning"
    assert "<h1" not in html
    badges = {a["href"]: a["class"] for a in elements.named("a") if "pkb-badge" in (a.get("class") or "")}
    assert badges == {
        "../../priorities/urgent/": "pkb-badge pkb-priority pkb-priority--urgent",
        "../../status/#draft": "pkb-badge pkb-status pkb-status--draft",
    }
    hrefs = {a["href"] for a in elements.named("a")}
    assert {"../../labs/deepseek/", "../../topics/reasoning/", "../../topics/reinforcement-learning/"} <= hrefs
    assert {"https://arxiv.org/abs/2501.12948", "https://arxiv.org/pdf/2501.12948"} <= hrefs
    assert "Published 2025-01-22" in elements.text
    abstract = html.split('<div class="admonition abstract">')[1].split("</div>")[0]
    assert abstract.count("<p>") == 2 and "reasoning emerges from reinforcement learning" in abstract


def test_an_unrated_page_links_the_unrated_priority_and_unknown_names_stay_text():
    elements = Elements(as_site_shows(page("hostile-title")))
    hrefs = [a["href"] for a in elements.named("a")]
    assert "../../priorities/unrated/" in hrefs and "../../status/#todo" in hrefs
    assert "Mystery Lab" in elements.text and not any("mystery" in h for h in hrefs)
    assert "not-a-topic" in elements.text and not any("not-a-topic" in h for h in hrefs)


def test_a_paper_not_on_arxiv_links_its_url():
    hrefs = [a["href"] for a in Elements(as_site_shows(page("not-on-arxiv"))).named("a")]
    assert "https://example.org/paper.pdf" in hrefs
    assert not any("arxiv.org" in h for h in hrefs)


def test_long_author_lists_collapse_after_five():
    html = as_site_shows(page("reasoning-rl"))  # nine authors
    authors = html.split('<div class="pkb-authors">')[1].split("</div>")[0]
    shown, folded = authors.split("<details", 1)
    assert re.findall(r"Author [A-I]", shown) == ["Author A", "Author B", "Author C", "Author D", "Author E"]
    assert "<summary>and 4 more</summary>" in folded
    assert re.findall(r"Author [A-I]", folded) == ["Author F", "Author G", "Author H", "Author I"]


def test_short_author_lists_are_not_folded():
    assert "<details" not in paper_page.authors_html([f"Author {n}" for n in range(6)])
    assert "and 2 more" in paper_page.authors_html([f"Author {n}" for n in range(7)])
    assert paper_page.authors_html([]) == ""


# -- escaping -----------------------------------------------------------------------------------------------------
def test_hostile_title_authors_and_abstract_show_as_text():
    html = as_site_shows(page("hostile-title"))
    elements = Elements(html)
    assert not {"script", "think", "img"} & elements.names()
    title = Elements(markup.html_text(facts.title_of(page("hostile-title"))))  # page.meta["title"]: the theme's h1
    assert not title.names() and title.text == "<script>alert(1)</script> | *Bold* [link](x) <think>hm</think> & more"
    assert "[link](x) <think>hm</think>" in elements.text  # in the Cite block
    assert "<img src=x onerror=alert(2)>" in elements.text and "Pipe | Person" in elements.text
    assert "<think>hidden thoughts</think>" in elements.text
    assert not any(a["href"].startswith("javascript") for a in elements.named("a"))


def test_raw_html_in_a_page_body_is_shown_as_text_or_defused():
    body = (
        'Text <script>alert(5)</script> and <think>inner</think>, <a href="javascript:alert(6)" onclick="x()">a</a>, '
        '[md link](javascript:alert(7)), <img src="x.png" onerror="alert(8)"> and <b>bold</b>.\n\n'
        '<iframe src="https://example.org"></iframe>\n\n<!-- a comment -->\n'
    )
    paper = parse_page(Path("content/papers/x.md"), page("edited-summary").text.replace("A person rewrote this summary after the model.", body))
    html = as_site_shows(paper)
    elements = Elements(html)
    assert not {"script", "think", "iframe"} & elements.names()
    assert "<script>alert(5)</script>" in elements.text and "<think>inner</think>" in elements.text
    assert all(not (a.get("href") or "").startswith("javascript") and "onclick" not in a for a in elements.named("a"))
    assert elements.named("img") == [{"src": "x.png"}]
    assert elements.named("b") == [{}]  # harmless markup a person wrote survives
    assert "a comment" not in html


def test_sanitizer_keeps_what_markdown_makes_and_drops_the_rest():
    fine = (
        '<p class="x"><a href="../a/" title="t">a</a> <code>&lt;b&gt;</code> &amp; <img alt="i" src="i.png"></p>\n'
        '<table><tbody><tr><td style="text-align: right;">1</td></tr></tbody></table>'
    )
    assert sanitize.sanitize_html(fine) == fine
    assert sanitize.sanitize_html('<p style="color: red" onmouseover="x()">t</p>') == "<p>t</p>"
    assert sanitize.sanitize_html('<a href="JaVaScRiPt:alert(1)">x</a>') == "<a>x</a>"
    assert sanitize.sanitize_html('<a href="java\nscript:alert(1)">x</a>') == "<a>x</a>"
    assert sanitize.sanitize_html("<svg onload=alert(1)>") == "&lt;svg onload=alert(1)&gt;"
    assert sanitize.sanitize_html("<style>p{}</style>") == "&lt;style&gt;p{}&lt;/style&gt;"


_PIECES = [
    "# Title",
    "## Section",
    "text with *em* and **strong**",
    "- item",
    "1. first",
    "> quote",
    "`code <x>`",
    "```\nfenced <b>\n```",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[link](../x.md)",
    "[ext](https://example.org/a?b=1&c=2)",
    "![img](i.png)",
    '!!! note "Title"\n    body',
    "&amp; &lt; &copy;",
    "<b>raw</b>",
    "<script>x</script>",
    '<a href="javascript:x">j</a>',
    "<img src=x onerror=y>",
    "<!-- c -->",
    "a<b",
    "x > y",
    # entity-encoded schemes: browsers decode them, so the fast path must hand them to the full parser
    "[x](javascript&colon;alert(1))",
    "[x](javascript&#58;alert(1))",
    "[x](javascript&#x3A;alert(1))",
    "![i](javascript&#58;alert(1))",
    '<a href="java&Tab;script&colon;x">t</a>',
    "[amp](a&amp;b/c)",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8))
def test_sanitized_markdown_holds_nothing_that_runs_and_is_stable(pieces):
    safe = sanitize.sanitize_html(to_html("\n\n".join(pieces)))
    elements = Elements(safe)
    assert not {"script", "iframe", "svg", "style"} & elements.names()
    assert not any(name.startswith("on") for _, attrs in elements.tags for name in attrs)
    assert not any(_is_javascript(attrs.get(name)) for _, attrs in elements.tags for name in ("href", "src"))
    assert sanitize.sanitize_html(safe) == safe  # sanitizing twice changes nothing: no markup hides in the text


def _is_javascript(url: str | None) -> bool:
    """Whether a browser would run ``url`` (already entity-decoded) as script: it ignores tabs, newlines and
    leading controls/spaces, and schemes are case-insensitive."""
    cleaned = re.sub(r"[\t\n\r]", "", url or "").lstrip("\x00- ").lower()
    return cleaned.startswith(("javascript:", "vbscript:", "data:"))


_ENCODED_JAVASCRIPT = [
    "javascript&colon;alert(1)",
    "javascript&#58;alert(1)",
    "javascript&#x3A;alert(1)",
    "javascript&#X3a;alert(1)",
    "javascript&#0058;alert(1)",
    "javascript&#58alert(1)",
    "java&Tab;script&colon;alert(1)",
    "&#106;avascript:alert(1)",
    "JaVaScRiPt&colon;alert(1)",
]


def test_entity_encoded_javascript_urls_are_dropped_from_markdown_and_raw_html():
    for url in _ENCODED_JAVASCRIPT:
        sources = [f"[x]({url})", f"![i]({url})", f'<a href="{url}">r</a>', f'<img src="{url}" alt="r">']
        for source in sources:
            html = sanitize.sanitize_html(to_html(source))
            elements = Elements(html)  # decodes attribute entities, as a browser does
            links = [attrs.get(name) for _, attrs in elements.tags for name in ("href", "src") if name in attrs]
            assert not any(_is_javascript(link) for link in links), (source, html)


# -- machine-written notes ----------------------------------------------------------------------------------------
def test_machine_written_sections_carry_a_note_right_under_their_heading():
    html = as_site_shows(page("reasoning-rl"))  # summary and key_insights generated, why_it_matters not
    assert notes(html) == ["Machine-written by claude-sonnet-4-5 on 2025-02-01"] * 2
    for heading in ("summary", "key-insights"):
        after = html.split(f'<h2 id="{heading}">', 1)[1].split("</h2>", 1)[1]
        assert after.lstrip().startswith('<div class="admonition note pkb-machine">'), heading
    why = html.split('<h2 id="why-it-matters">', 1)[1]
    assert "pkb-machine" not in why


def test_the_note_goes_away_once_a_person_edits_the_section():
    original = page("reasoning-rl")
    edited = parse_page(original.path, set_section(original, "Summary", "A person rewrote the summary."))
    html = as_site_shows(edited)
    assert len(notes(html)) == 1  # only Key Insights is still the model's text
    summary = html.split('<h2 id="summary">', 1)[1].split("<h2", 1)[0]
    assert "pkb-machine" not in summary and "A person rewrote the summary." in summary


def test_a_stale_record_means_a_person_wrote_the_section():
    assert notes(as_site_shows(page("edited-summary"))) == []


def test_model_names_in_notes_are_escaped():
    note = paper_page.machine_note({"model": '<b>"evil"</b> *model*', "date": "2025-01-01"})
    html = to_html("## Summary\n\n" + markup.raw_html(note))
    assert "<b>" not in html and "<em>" not in html
    assert 'Machine-written by <b>"evil"</b> *model* on 2025-01-01' in Elements(html).text


# -- footers ------------------------------------------------------------------------------------------------------
def test_registered_footers_end_every_paper_page():
    footers = paper_page.paper_footers()
    for paper in golden_site().pages:
        markdown = paper_page.paper_markdown(paper, vocab())
        body_end = markdown.index("## Why It Matters") if "## Notes" not in markdown else markdown.index("## Notes")
        for footer in footers:
            block = footer(paper).strip()
            if block:
                assert markdown.index(block) > body_end, (paper.slug, footer)


# -- list items that are not names ---------------------------------------------------------------------------------
ODD_LISTS = (
    "---\ntitle: 'Odd lists'\narxiv: '2501.99996'\nstatus: todo\nadded: 2026-11-20\n"
    "topics:\n  reasoning:\nlabs: [{DeepSeek: 1}, [x], 7, DeepSeek]\nauthors: [{a: 1}, 5, '  Ada   Lovelace ', '']\n"
    "---\n\n## Summary\n\nTODO\n"
)


def test_every_generator_skips_list_items_that_are_not_names(kb_copy):
    """`topics:` written as a mapping, or lists holding mappings/lists/numbers, are `check`'s to report: every
    site generator skips such items instead of crashing the build (TypeError: unhashable dict, before)."""
    import dataclasses
    import datetime as dt

    from paperkb.model.site_input import load_site_input
    from paperkb.publish.site import generate_site

    (kb_copy / "content" / "papers" / "odd.md").write_text(ODD_LISTS, encoding="utf-8")
    (kb_copy / "content" / "papers" / "odd2.md").write_text(
        ODD_LISTS.replace("topics:\n  reasoning:\n", "topics: [{a: 1}, reasoning]\n").replace("99996", "99995"), encoding="utf-8"
    )
    site = dataclasses.replace(load_site_input(config.load(kb_copy), "https://kb.example.org/"), today=dt.date(2026, 11, 22))
    odd = next(p for p in site.pages if p.slug == "odd")
    assert facts.topics_of(odd) == [] and facts.labs_of(odd) == ["DeepSeek"] and facts.authors_of(odd) == ["Ada Lovelace"]
    files = generate_site(site)
    assert "Ada Lovelace" in files["feeds/papers.xml"]
    bib_entry = files["papers.bib"].split("Odd lists")[1].split("\n}")[0]
    assert re.search(r"author\s*= \{Ada Lovelace\},", bib_entry) and "'a'" not in bib_entry
    assert "Odd lists" in files["feeds/topics/reasoning.xml"]  # odd2 still names 'reasoning' as a string
    header = paper_page.header_html(odd, site.vocab, "papers/odd.md")
    assert "Ada Lovelace" in header and "{'a': 1}" not in header
    window = digest.digest_for_window(site.pages, dt.date(2026, 11, 20), dt.date(2026, 11, 20))
    links = digest.ExternalLinks("https://kb.example.org/")
    for text in (digest.render_markdown(window, links), digest.render_html(window, links)):
        assert "Ada Lovelace" in text and "{'a': 1}" not in text and "['x']" not in text


# -- raw blocks and ids ------------------------------------------------------------------------------------------
def test_a_note_under_a_heading_with_text_right_below_it_stays_a_block():
    from paperkb.model.pages import section_hash

    text = (
        "---\ntitle: Tight\narxiv: '2501.00001'\nstatus: draft\ngenerated:\n  summary: {model: m, date: 2026-01-01, sha256: "
        + section_hash("Text right under the heading.\n- and a list")
        + "}\n---\n\n## Summary\nText right under the heading.\n- and a list\n"
    )
    paper = parse_page(Path("papers/tight.md"), text)
    assert paper.is_machine_written("summary")
    html = as_site_shows(paper)
    assert "PAPERKB-RAW" not in html and notes(html) == ["Machine-written by m on 2026-01-01"]
    assert "<p>Text right under the heading.</p>" in html or "Text right under the heading." in html.split("</div>", 2)[-1]


def test_the_cite_block_is_renamed_only_for_an_element_id_never_for_text():
    footer = markup.section_heading("Cite", "cite") + '\n<pre><code>title = {Setting id="summary"}</code></pre>'
    assert markup.unique_ids(footer, {"summary"}) == footer  # text that reads id="summary" is not an id
    renamed = markup.unique_ids(footer, {"cite", "cite_1"})
    assert '<h2 id="cite_2">' in renamed and 'href="#cite_2"' in renamed and 'id="summary"' in renamed
    assert markup.element_ids('<p>Write <code>&lt;span id="cite"&gt;</code> or id="x"</p><h2 id="a">A</h2>') == ["a"]
