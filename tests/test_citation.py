"""What reference managers read: Highwire citation_* tags in a paper page's head (what Zotero's Connector and Google
Scholar read) and a COinS span per paper in the lists, checked in a real build by parsing its HTML with lxml and
each ContextObject as the URL query it is (urllib.parse)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

import pytest
from lxml import html as lxml_html

from paperkb.model.pages import load_pages, parse_page, render_new_page
from paperkb.publish import citation
from tests.support.shared_site import CITATION_SLUG

REPO = Path(__file__).resolve().parent.parent


def meta_tags(document) -> list[tuple[str, str]]:
    return [(m.get("name"), m.get("content")) for m in document.head.iter("meta") if (m.get("name") or "").startswith("citation_")]


@pytest.fixture(scope="module")
def built(shared_site):
    return shared_site["site"]


@pytest.mark.build
def test_a_paper_pages_head_holds_its_highwire_tags(built):
    document = lxml_html.parse(str(built / "papers" / "deepseek-coder" / "index.html")).getroot()
    tags = meta_tags(document)
    assert tags[0] == ("citation_title", "DeepSeek-Coder: When the Large Language Model Meets Programming – The Rise of Code Intelligence")
    pages, _errors = load_pages(REPO / "content" / "papers")
    coder = next(p for p in pages if p.slug == "deepseek-coder")
    assert [value for name, value in tags if name == "citation_author"] == coder.meta["authors"]
    assert dict(tags) | {"citation_author": None} == {
        "citation_title": tags[0][1],
        "citation_author": None,
        "citation_publication_date": "2024/01/25",
        "citation_date": "2024/01/25",
        "citation_arxiv_id": "2401.14196",
        "citation_abstract_html_url": "https://arxiv.org/abs/2401.14196",
        "citation_pdf_url": "https://arxiv.org/pdf/2401.14196",
        "citation_doi": "10.48550/arXiv.2401.14196",
    }


@pytest.mark.build
def test_hostile_values_stay_attribute_text(built):
    document = lxml_html.parse(str(built / "papers" / CITATION_SLUG / "index.html")).getroot()
    tags = meta_tags(document)
    assert tags[:3] == [
        ("citation_title", 'Quotes " and <script>alert(1)</script> & α'),
        ("citation_author", 'Ada "Bobby" <b>Lovelace</b>'),
        ("citation_author", "Y.K. Li"),
    ]
    assert not document.head.xpath(".//script[contains(., 'alert(1)')]") and not document.head.xpath(".//b")


@pytest.mark.build
def test_other_pages_have_no_citation_tags(built):
    for path in ("index.html", "papers/index.html", "topics/reasoning/index.html", "status/index.html"):
        assert meta_tags(lxml_html.parse(str(built / path)).getroot()) == [], path


@pytest.mark.build
def test_every_paper_in_a_list_carries_its_coins(built):
    pages, _errors = load_pages(built.parent / "content" / "papers")  # the shipped pages and the shared build's own
    document = lxml_html.parse(str(built / "papers" / "index.html")).getroot()
    spans = document.xpath("//span[@class='Z3988']")
    assert len(spans) == len(pages) > 36
    objects = [parse_qs(span.get("title")) for span in spans]
    r1 = next(o for o in objects if o.get("rft.atitle", [""])[0].startswith("DeepSeek-R1: Incentivizing"))
    assert r1["ctx_ver"] == ["Z39.88-2004"] and r1["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:journal"] and r1["rft.genre"] == ["preprint"]
    assert r1["rft.au"] == ["DeepSeek-AI"] and r1["rft.date"] == ["2025-01-22"]
    assert r1["rft_id"] == ["info:arxiv/2501.12948", "https://arxiv.org/abs/2501.12948", "info:doi/10.48550/arXiv.2501.12948"]
    hostile = next(o for o in objects if "<script>" in o["rft.atitle"][0])
    assert hostile["rft.au"] == ['Ada "Bobby" <b>Lovelace</b>', "Y.K. Li"]
    assert len(document.xpath("//span[@class='Z3988']/*")) == 0  # empty spans: nothing inside became markup


def test_a_page_not_on_arxiv_cites_its_url_and_no_arxiv_fields():
    page = parse_page(Path("papers/blog.md"), render_new_page({"title": "A Post", "url": "https://example.org/p?a=1&b=2", "status": "todo"}))
    assert citation.highwire_fields(page) == [("citation_title", "A Post"), ("citation_abstract_html_url", "https://example.org/p?a=1&b=2")]
    assert 'content="https://example.org/p?a=1&amp;b=2"' in citation.highwire_tags(page)
    coins = lxml_html.fromstring(citation.coins_span(page)).get("title")
    assert parse_qs(coins)["rft_id"] == ["https://example.org/p?a=1&b=2"] and "rft.jtitle" not in parse_qs(coins)
