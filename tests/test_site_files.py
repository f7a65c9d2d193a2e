"""The files a build generates besides the pages (feeds, BibTeX), and what the paper pages need from them.

``paperkb.publish.site.generate_site`` is the whole generated file set; ``paperkb check`` accepts links to
``paths.generated_paths``: both must name the same files, or check and the strict build disagree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paperkb.model import config, paths
from paperkb.model.site_input import SiteInput, load_site_input
from paperkb.publish import bibtex
from paperkb.publish.site import generate_files, generate_site
from tests.support.golden import golden_site

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def shipped() -> SiteInput:
    return load_site_input(config.load(REPO), site_url="https://example.org/kb/")


def test_check_knows_every_file_the_build_generates(shipped):
    for kb in (shipped, golden_site()):
        generated = set(generate_site(kb))
        known = paths.generated_paths(kb.vocab.topics, [lab.name for lab in kb.vocab.labs.values()])
        # every listed path is written; what is not listed is a sync run's own digest or a page-per-item index
        assert known <= generated, sorted(known - generated)
        unlisted = {p for p in generated if p not in known and not p.startswith("digests/")}  # `in`: archive pages by shape
        assert not unlisted, sorted(unlisted)


def test_the_cite_blocks_show_the_keys_of_the_bibliography(shipped):
    bibtex._KEYS_BY_FOLDER.clear()
    files = generate_files(shipped)
    r1 = next(p for p in shipped.pages if p.slug == "deepseek-r1")
    assert "@misc{deepseekai2025deepseekr1," in files[paths.ALL_PAPERS_BIB]
    assert "@misc{deepseekai2025deepseekr1," in bibtex.cite_footer(r1)
