"""Related papers (paperkb.publish.related): the most similar papers by TF-IDF, the pages linking to a paper, and
the footer that shows both on a paper page.

Golden files: tests/golden/kb/expected/related (``PAPERKB_UPDATE_GOLDEN=1`` rewrites them, see
tests/support/golden.py). The golden pages reviewed-paper and edited-summary link to reasoning-rl in their Notes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperkb.model.pages import parse_page, render_new_page
from paperkb.publish import paper as paper_page, related, similarity
from paperkb.publish.related import LINKED_FROM_SHOWN, RelatedPapers, linked_from, paper_text, related_papers, similar_papers
from tests.support.golden import Elements, check_golden, golden_site


def make_page(slug: str, title: str, summary: str = "TODO", abstract: str = "", published: dt.date | None = None, notes: str = ""):
    meta = {"title": title, "abstract": abstract, "status": "todo"}
    if published:
        meta["published"] = published
    text = render_new_page(meta, {"summary": summary})
    if notes:
        text += f"\n## Notes\n\n{notes}\n"
    return parse_page(Path(f"content/papers/{slug}.md"), text)


# -- golden -------------------------------------------------------------------------------------------------------
def describe(found: RelatedPapers) -> str:
    lines = []
    for slug in sorted(found.titles):
        lines += [slug, f"  similar: {', '.join(found.similar.get(slug, ())) or '-'}", f"  linked from: {', '.join(found.linked_from.get(slug, ())) or '-'}"]
    return "\n".join(lines) + "\n"


def test_related_papers_of_the_golden_pages_match_their_golden_files():
    site = golden_site()
    found = related_papers(site.pages)
    files = {"related.txt": describe(found)}
    files.update({f"footers/{page.slug}.html": found.footer(page) + "\n" for page in site.pages})
    check_golden(files, "related")


def test_linked_from_reads_links_outside_code_to_other_paper_pages_newest_first():
    found = linked_from(golden_site().pages)
    # reviewed-paper links reasoning-rl twice (once with an anchor), itself, the timeline, undated as a link
    # definition, and not-on-arxiv only inside a code block; edited-summary links it as ../papers/reasoning-rl.md
    assert found == {"reasoning-rl": ("edited-summary", "reviewed-paper"), "undated": ("reviewed-paper",)}


# -- similar papers -------------------------------------------------------------------------------------------------
TOPIC_WORDS = {
    "moe": "mixture experts routing gating sparse experts load balancing expert capacity",
    "rl": "reinforcement reward policy gradient rollout advantage verifier reward shaping",
    "vision": "image pixels patches encoder visual grounding captions images resolution",
}


def topical_pages(per_topic: int = 4) -> list:
    pages = []
    for topic, words in TOPIC_WORDS.items():
        for number in range(per_topic):
            rng = random.Random(f"{topic}{number}")
            summary = " ".join(rng.choice(words.split()) for _ in range(40))
            pages.append(make_page(f"{topic}-{number}", f"{topic.upper()} paper {number}", summary))
    return pages


def test_similar_papers_are_the_papers_on_the_same_subject_never_the_page_itself():
    pages = topical_pages()
    found = similar_papers(pages, shown=3)
    for slug, similar in found.items():
        assert len(similar) == 3 and slug not in similar
        assert {s.split("-")[0] for s in similar} == {slug.split("-")[0]}, (slug, similar)


def test_results_do_not_depend_on_the_order_pages_are_read_in():
    pages = topical_pages()
    shuffled = list(pages)
    random.Random(3).shuffle(shuffled)
    assert similar_papers(shuffled) == similar_papers(pages)
    assert related_papers(shuffled) == related_papers(pages)


def test_equal_scores_rank_by_slug_and_papers_sharing_no_word_are_not_related():
    text = "quantization precision integer weights activations"
    pages = [make_page(slug, "Same", text) for slug in ("d-copy", "b-copy", "c-copy", "a-copy")]
    pages.append(make_page("lonely", "Zebra", "giraffe okapi savanna"))
    found = similar_papers(pages, shown=2)
    assert found["d-copy"] == ("a-copy", "b-copy")
    assert found["a-copy"] == ("b-copy", "c-copy")
    assert found["lonely"] == ()


def test_a_paper_is_compared_on_its_title_abstract_and_written_sections_not_placeholders():
    page = make_page("p", "Title Words", "TODO", abstract="Abstract words.", notes="Notes words.")
    text = paper_text(page)
    assert "Title Words" in text and "Abstract words." in text and "Notes words." in text
    assert "TODO" not in text
    # the Notes section alone can make two papers related
    pages = [
        make_page("a", "Alpha", notes="tokenizer byte pair merges"),
        make_page("b", "Beta", notes="tokenizer byte pair merges"),
        make_page("c", "Gamma", notes="protein folding structure"),
    ]
    assert similar_papers(pages)["a"] == ("b",)


def test_each_paper_keeps_its_most_characteristic_terms_renormalized():
    matrix = sp.csr_matrix(np.array([[0.1, 0.5, 0.3, 0.0, 0.2], [0.4, 0.0, 0.0, 0.4, 0.0]], dtype=np.float32))
    kept = similarity._keep_top_terms(matrix, 2).toarray()
    # row 0 keeps 0.5 and 0.3; row 1 has two terms; column 4 (kept by nobody) is dropped
    assert kept.shape == (2, 4)
    assert np.allclose(kept[0], np.array([0, 0.5, 0.3, 0]) / np.hypot(0.5, 0.3))
    assert np.allclose(kept[1], np.array([0.4, 0, 0, 0.4]) / np.hypot(0.4, 0.4))
    # with a cap of 2 terms, pages still find their subject
    pages = topical_pages()
    found = similar_papers(pages, shown=3, terms_kept=2)
    assert sum({s.split("-")[0] for s in similar} == {slug.split("-")[0]} for slug, similar in found.items()) >= 10


def test_no_page_words_at_all_gives_no_similar_papers_and_no_error():
    pages = [make_page("a", "The"), make_page("b", "A")]  # stop words only
    assert similar_papers(pages) == {"a": (), "b": ()}
    assert similar_papers(pages[:1]) == {"a": ()}


def test_memory_stays_far_below_a_dense_n_by_n_matrix():
    count = 4000
    rng = random.Random(5)
    words = [f"w{n}" for n in range(400)]
    pages = [make_page(f"p{n:05d}", f"Paper {n}", " ".join(rng.choice(words) for _ in range(120))) for n in range(count)]
    tracemalloc.start()
    try:
        found = similar_papers(pages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(len(similar) == 5 for similar in found.values())
    dense = count * count * 4  # float32
    assert peak < dense / 2, f"peak {peak / 1e6:.1f} MB, a dense N x N matrix is {dense / 1e6:.1f} MB"


# -- the footer -----------------------------------------------------------------------------------------------------
def test_the_footer_links_the_related_pages_escaped_with_headings_that_have_ids():
    site = golden_site()
    found = related_papers(site.pages)
    rl = next(p for p in site.pages if p.slug == "reasoning-rl")
    html = found.footer(rl)
    elements = Elements(html)
    assert [h["id"] for h in elements.named("h2")] == ["related-papers", "linked-from"]
    hrefs = [a["href"] for a in elements.named("a") if a.get("class") != "headerlink"]
    assert hrefs[-2:] == ["../../papers/edited-summary/", "../../papers/reviewed-paper/"]
    assert hrefs[:-2] == [f"../../papers/{slug}/" for slug in found.similar["reasoning-rl"]]
    assert "&lt;script&gt;alert(1)" in html and "<script>" not in html
    assert "<script>" not in RelatedPapers(similar={"reasoning-rl": ("hostile-title",)}, titles=found.titles).footer(rl)


def test_a_long_linked_from_list_is_cut_and_counted():
    target = make_page("target", "Target")
    sources = [make_page(f"s{n:03d}", f"Source {n}", notes="[t](target.md)", published=dt.date(2024, 1, 1) + dt.timedelta(days=n)) for n in range(30)]
    found = related_papers([target, *sources])
    assert found.linked_from["target"][:2] == ("s029", "s028")  # newest first
    html = found.footer(target)
    assert html.count("<li>") == LINKED_FROM_SHOWN + len(found.similar["target"])
    assert f"and {30 - LINKED_FROM_SHOWN} more pages" in html


def test_paper_pages_show_the_related_footer_before_cite_with_ids_unique_against_the_body():
    site = golden_site()
    found = related_papers(site.pages)
    rl = next(p for p in site.pages if p.slug == "reasoning-rl")
    document = paper_page.paper_document(rl, site.vocab, related=found)
    assert document.footer.index('id="related-papers"') < document.footer.index('id="linked-from"') < document.footer.index('id="cite"')
    footer = document.footer_html('<h2 id="related-papers">Related papers</h2>')
    assert 'id="related-papers_1"' in footer and 'href="#related-papers_1"' in footer
    # without related papers (outside a build) the page is as before: the golden paper pages hold that form
    assert 'id="related-papers"' not in paper_page.paper_document(rl, site.vocab).footer


def test_the_related_papers_a_build_shares_reach_the_paper_pages_the_hook_renders():
    site = golden_site()
    found = related_papers(site.pages)
    rl = next(p for p in site.pages if p.slug == "reasoning-rl")
    try:
        related.share(found)
        assert 'id="related-papers"' in paper_page.paper_document(rl, site.vocab).footer
    finally:
        related.share(RelatedPapers())
    assert related.shared() == RelatedPapers()


def test_golden_input_pages_are_unchanged_by_the_computation():
    site = golden_site()
    before = [dataclasses.replace(p) for p in site.pages]
    related_papers(site.pages)
    assert [p.text for p in site.pages] == [p.text for p in before]
    assert re.search(r"reasoning-rl", describe(related_papers(site.pages)))


def test_a_dirty_rebuild_reuses_the_related_papers_while_the_papers_are_the_same():
    pages = [make_page(f"p{i}", f"Paper {i}", abstract=f"reasoning with reinforcement learning number {i % 3}") for i in range(6)]
    cache = related.RelatedCache()
    first = cache.related_papers(pages, reuse=True)
    assert first == related_papers(pages)
    retitled = [make_page("p0", "Paper 0, retitled", abstract="something else entirely"), *pages[1:]]
    reused = cache.related_papers(retitled, reuse=True)
    assert reused.similar is first.similar and reused.titles["p0"] == "Paper 0, retitled"  # not computed again
    assert cache.related_papers(retitled, reuse=False) == related_papers(retitled)  # a full build computes them
    fewer = cache.related_papers(pages[:5], reuse=True)
    assert fewer == related_papers(pages[:5])  # a page removed (or added): computed again


def test_a_build_computes_the_similar_papers_in_a_worker_process_and_never_loads_scikit_learn_itself():
    # In a fresh interpreter (this one has loaded scikit-learn for the tests above), what scripts/gen_pages.py does
    script = """
import sys
from pathlib import Path
from paperkb.model.pages import parse_page, render_new_page
from paperkb.publish import related
words = {"rl": "reward policy gradient", "moe": "expert routing sparse", "vision": "image pixel encoder"}
pages = [
    parse_page(Path(f"content/papers/{topic}-{n}.md"), render_new_page({"title": f"{topic} {n}", "status": "todo"}, {"summary": f"{text} paper {n}"}))
    for topic, text in words.items()
    for n in range(3)
]
cache = related.RelatedCache()
cache.prepare()  # as the hook does before the pages are read
found = cache.start(pages, reuse=False)()
print(sorted(name for name in ("sklearn", "scipy", "numpy") if name in sys.modules))
print(repr(found.similar))
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parent.parent, check=True)
    loaded, similar = result.stdout.splitlines()
    assert loaded == "[]", f"the build's process loaded {loaded}"
    words = {"rl": "reward policy gradient", "moe": "expert routing sparse", "vision": "image pixel encoder"}
    pages = [make_page(f"{topic}-{n}", f"{topic} {n}", f"{text} paper {n}") for topic, text in words.items() for n in range(3)]
    assert similar == repr(similar_papers(pages))  # the worker's lists are this process's
    assert similar_papers(pages)["rl-0"][:2] == ("rl-1", "rl-2")
