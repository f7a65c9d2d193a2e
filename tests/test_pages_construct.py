"""The fast front matter reader in paperkb.pages gives exactly what PyYAML's constructor gives.

``pages._construct_front_matter`` builds plain front matter directly and hands anything unusual to PyYAML;
``pages._Loader.resolve`` remembers scalar tags. Both exist for `paperkb check` on 10,000 pages
(scripts/bench_build.py); these tests guard that they never change a value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import frontmatter
import pytest
import yaml
from hypothesis import given, settings, strategies as st

from paperkb.model import pages
from paperkb.model.pages import InvalidDate, PageError, load_page, parse_page

REPO = Path(__file__).resolve().parent.parent


def both(front_matter: str):
    """(PyYAML's constructor, the fast path) on the same composed document."""
    results = []
    for construct in (lambda loader, node: loader.construct_document(node), pages._construct_front_matter):
        loader = pages._Loader(front_matter)
        try:
            node = loader.get_single_node()
            results.append(construct(loader, node))
        finally:
            loader.dispose()
    return results


EDGE_CASES = [
    "title: plain\narxiv: '2310.06770'\nnumber: 2310.06770\n",
    "hex: 0x1F\noctal: 0o17\nold_octal: 017\nunderscored: 1_000\nsexagesimal: 1:30\nfloat: 1.5e3\ninf: .inf\n",
    "yes: yes\nno: no\non: on\nnull_value: ~\nempty:\n",
    "published: 2025-02-30\nupdated: 2025-01-22\nstamp: 2025-01-22 10:00:00\n",
    "anchor: &a [1, 2]\nalias: *a\n",
    "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n",
    "tagged: !!str 123\nbinary: !!binary aGVsbG8=\nset: !!set {a, b}\n",
    "? [complex, key]\n: value\n",
    "1: int key\ntrue: bool key\n2025-01-01: date key\n",
    "abstract: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "nested:\n  - {a: [1, {b: c}]}\n  - - x\n    - y\n",
    "dup: 1\ndup: 2\n",
]


@pytest.mark.parametrize("front_matter", EDGE_CASES)
def test_fast_reader_equals_pyyaml_on_edge_cases(front_matter):
    try:
        expected, fast = both(front_matter)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError):
            both(front_matter)
        return
    assert fast == expected
    assert [type(v) for v in fast.values()] == [type(v) for v in expected.values()]


def test_fast_reader_equals_pyyaml_on_every_shipped_page():
    for path in sorted((REPO / "content" / "papers").glob("*.md")):
        text = pages.read_text(path)
        front_matter = pages._split_front_matter(path, text)[0]
        expected, fast = both(front_matter)
        assert fast == expected, path


def _comparable(value):
    """Dates as ISO strings, recursively: paperkb keeps an impossible date as InvalidDate (a str) where
    python-frontmatter's loader raises, so the two readers agree on a date's text, not always on its type."""
    if isinstance(value, dict):
        return {_comparable(key): _comparable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_comparable(item) for item in value]
    if isinstance(value, dt.date):  # datetime included
        return value.isoformat()
    return value


def test_load_page_reads_what_python_frontmatter_reads_on_every_shipped_page():
    """An independent reader (python-frontmatter, the design's reference) agrees with load_page on every shipped
    page's front matter and body: the fast reader and the split into front matter and body change nothing."""
    paths = sorted((REPO / "content" / "papers").glob("*.md"))
    assert paths, "no shipped pages to compare"
    for path in paths:
        page = load_page(path)
        post = frontmatter.load(path)
        assert _comparable(page.meta) == _comparable(post.metadata), path
        assert page.body.strip() == post.content.strip(), path


def test_impossible_dates_still_become_invalid_date():
    page = parse_page(Path("x.md"), "---\ntitle: x\npublished: 2025-02-30\n---\n")
    assert isinstance(page.meta["published"], InvalidDate)
    assert page.meta["published"] == "2025-02-30"


def test_unknown_tags_still_fail_with_the_line():
    with pytest.raises(PageError) as error:
        parse_page(Path("x.md"), "---\ntitle: x\nbad: !!python/object:os.system x\n---\n")
    assert error.value.line == 3


_scalars = st.one_of(
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=10), _values, min_size=1, max_size=6), st.booleans())
def test_fast_reader_equals_pyyaml_on_generated_documents(data, flow):
    front_matter = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    expected, fast = both(front_matter)
    assert fast == expected
    # Memoised tags resolve the same on a second read.
    assert both(front_matter)[1] == expected
