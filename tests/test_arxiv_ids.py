"""Every form of arXiv identifier people paste."""

import pytest

from paperkb.model.arxiv_ids import ArxivId, is_valid_arxiv_id, parse_arxiv_id


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2501.12948", ArxivId("2501.12948", None)),
        ("2501.12948v2", ArxivId("2501.12948", 2)),
        ("arXiv:2501.12948", ArxivId("2501.12948", None)),
        ("https://arxiv.org/abs/2501.12948", ArxivId("2501.12948", None)),
        ("https://arxiv.org/pdf/2501.12948v1", ArxivId("2501.12948", 1)),
        ("http://export.arxiv.org/abs/1706.03762v7", ArxivId("1706.03762", 7)),
        ("https://arxiv.org/pdf/2501.12948v1.pdf", ArxivId("2501.12948", 1)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("astro-ph/0601001", ArxivId("astro-ph/0601001", None)),
        ("cs/9901001v2", ArxivId("cs/9901001", 2)),
        ("math.GT/0309136", ArxivId("math.GT/0309136", None)),
        ("https://arxiv.org/abs/hep-th/9901001", ArxivId("hep-th/9901001", None)),
    ],
)
def test_recognised_forms(text, expected):
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    ["abc", "2513.12948", "2501.12948v", "cs/99010011", "https://example.com/abs/2501.12948", ""],
)
def test_malformed_ids_are_rejected(text):
    assert parse_arxiv_id(text) is None


def test_only_bare_ids_are_valid_page_values():
    assert is_valid_arxiv_id("2501.12948")
    assert not is_valid_arxiv_id("2501.12948v1")
    assert not is_valid_arxiv_id("arXiv:2501.12948")


def test_digit_count_is_left_to_arxiv_but_known_to_check():
    from paperkb.model.arxiv_ids import digits_fit_year

    assert parse_arxiv_id("0808.05394") == ArxivId("0808.05394", None)  # arXiv answers: no such paper
    assert not digits_fit_year("0808.05394") and not digits_fit_year("2501.1294") and not digits_fit_year("0703.0001")
    assert digits_fit_year("0808.0539") and digits_fit_year("2501.12948") and digits_fit_year("cs/9901001")
