"""Property: on any hand-edited page, fill changes nothing outside the sections and keys it owns.

Hypothesis writes pages the way people do: comments in the front matter, odd spacing, quoted and plain values,
CRLF or LF, with or without a final newline, unicode, extra sections before, between and after the required
ones, some required sections written by a person, some placeholders, some absent, generated records that still
match and ones a person has since edited. Each page is built from chunks marked as owned by fill or not; after
``paperkb fill`` every chunk fill does not own must still be there, byte for byte and in order.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from paperkb.model.pages import REQUIRED_SECTIONS, is_missing, parse_page, section_hash
from tests.support.fake_anthropic import TEST_KEY, FakeAnthropic
from tests.support.fill_kb import add_page, make_kb, run_fill

WORDS = ["naïve", "Über", "数据", "résumé", "Ζήτα", "routing", "experts", "😀", "tokens", "π", "façade", "model"]
PLACEHOLDERS = ["TODO", "TBD", "", "  todo  ", "*TODO*", "...", "Coming soon"]
OWNED_KEYS = {"generated", "status"}


@dataclass
class Chunk:
    text: str
    owned: bool


words = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
sentence = st.builds(
    lambda w, n, m, p: f"We train {w} on {m}T tokens with a {n}B model and reach {p}% accuracy.",
    words, st.integers(1, 700), st.integers(1, 30), st.decimals("10", "99.9", places=1),
)  # fmt: skip
spacing = st.sampled_from(["\n", "\n\n", "\n\n\n"])


@st.composite
def hand_edited_page(draw) -> tuple[list[Chunk], str, bool]:
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    front = draw(front_matter())
    body, human = draw(body_chunks())
    # generated records for sections a person wrote: still matching, or a person edited them since
    # Records fill writes are appended to the map; the ones already there, and comments in and after the
    # block, are not fill's: they must survive byte for byte.
    records = []
    for key, text in human.items():
        if draw(st.booleans()):
            digest = section_hash(text) if draw(st.booleans()) else "0" * 64
            comment = draw(st.sampled_from(["", "  # checked by Ada"]))
            records.append(Chunk(f"  {key}: {{model: m, date: 2026-01-02, sha256: '{digest}'}}{comment}\n", False))
            if draw(st.booleans()):
                records.append(Chunk(f"  # {draw(words)}\n", False))
    if records:
        header = Chunk(f"generated:{draw(st.sampled_from(['', '  # provenance']))}\n", False)
        line_starts = [i for i in range(len(front) + 1) if i == 0 or front[i - 1].text.endswith("\n")]
        at = draw(st.sampled_from(line_starts))
        front[at:at] = [header, *records]
    chunks = [Chunk("---\n", False), *front, Chunk("---\n", False), *body]
    final_newline = draw(st.booleans())
    return chunks, newline, final_newline


@st.composite
def front_matter(draw) -> list[Chunk]:
    title = draw(words)
    quote = draw(st.sampled_from(['"{}"', "'{}'", "{}"]))
    lines = [
        Chunk(f"title:{draw(st.sampled_from([' ', '   ']))}{quote.format(title)}{draw(st.sampled_from(['', '   # a note']))}\n", False),
        Chunk("arxiv: '2401.06066'\n", False),
        Chunk(draw(st.sampled_from(["authors: [Ada Lovelace, 数据 Wang]\n", "authors:\n  - Ada Lovelace\n  - Zoë Ríos\n"])), False),
        Chunk("published: 2024-01-11\n", False),
    ]
    for key, present in (("topics", "  - mixture-of-experts\n"), ("labs", "  - DeepSeek\n")):
        form = draw(st.sampled_from(["absent", "empty", "present"]))
        if form != "absent":
            lines.append(Chunk(f"{key}: []\n" if form == "empty" else f"{key}:\n{present}", form == "empty"))  # an empty key is lacking: fill may set it
    if draw(st.booleans()):
        lines.append(Chunk(f"priority: {draw(st.sampled_from(['high', 'low']))}\n", False))
    if draw(st.booleans()):
        abstract = " ".join(draw(st.lists(sentence, min_size=2, max_size=6)))
        lines.append(Chunk(f"abstract: |\n  {abstract}\n", False))
    for _ in range(draw(st.integers(0, 3))):
        lines.insert(draw(st.integers(0, len(lines))), Chunk(f"# {draw(words)}\n", False))
    # Only the value is fill's: the spacing before it and a comment after it stay.
    status = [
        Chunk(f"status:{draw(st.sampled_from([' ', '    ']))}", False),
        Chunk("todo", True),
        Chunk(f"{draw(st.sampled_from(['', '  # flip later']))}\n", False),
    ]
    at = draw(st.integers(0, len(lines)))
    lines[at:at] = status
    return lines


@st.composite
def body_chunks(draw) -> tuple[list[Chunk], dict[str, str]]:
    chunks: list[Chunk] = []
    human: dict[str, str] = {}
    if draw(st.booleans()):
        chunks.append(Chunk(f"\nAn introduction by a person: {draw(words)}.\n", False))
    extras = draw(st.lists(st.sampled_from(["Notes", "What Didn't Work", "Quotes", "References"]), unique=True, max_size=3))
    slots: dict[int, list[str]] = {}
    for extra in extras:
        slots.setdefault(draw(st.integers(0, 3)), []).append(extra)
    for index, (key, title) in enumerate([*REQUIRED_SECTIONS, (None, None)]):
        for extra in slots.get(index, []):
            text = f"{draw(words).capitalize()} wrote this, about {draw(words)}." if extra != "Quotes" else f"> {draw(words)}"
            heading = draw(st.sampled_from([f"## {extra}", f"##   {extra}", f"## {extra} ##"]))
            chunks.append(Chunk(f"\n{heading}{draw(spacing)}{text}{draw(spacing)}", False))
        if key is None:
            break
        state = draw(st.sampled_from(["absent", "placeholder", "human"]))
        heading = draw(st.sampled_from([f"## {title}", f"##  {title}"]))
        if state == "placeholder":
            chunks.append(Chunk(f"\n{heading}{draw(spacing)}{draw(st.sampled_from(PLACEHOLDERS))}\n", True))
        elif state == "human":
            text = f"- {draw(words)} matters.\n- So does {draw(words)}." if key == "key_insights" else f"{draw(words).capitalize()}, as a person put it."
            human[key] = text
            chunks.append(Chunk(f"\n{heading}{draw(spacing)}{text}\n", False))
    return chunks, human


def render(chunks: list[Chunk], newline: str, final_newline: bool) -> str:
    text = "".join(chunk.text for chunk in chunks)
    text = text.rstrip("\n") + ("\n" if final_newline else "")
    return text.replace("\n", newline)


def assert_only_owned_changes(chunks: list[Chunk], newline: str, before: str, after: str) -> None:
    position = 0
    for chunk in chunks:
        # A body chunk starts with the blank line that separates it from what precedes it: keep that too.
        piece = (("\n" if chunk.text.startswith("\n") else "") + chunk.text.rstrip("\n")).replace("\n", newline)
        if chunk.owned or not piece.strip():
            continue
        found = after.find(piece, position)
        assert found >= 0, f"not kept byte for byte (or out of order): {piece!r}"
        position = found + len(piece)
    if newline == "\r\n":
        assert "\n" not in after.replace("\r\n", "")
    else:
        assert "\r" not in after
    assert after.endswith("\n") == before.endswith("\n")


def assert_owned_changes_are_right(before_page, after_page) -> None:
    lacking = {key for key in ("priority", "topics", "labs") if before_page.meta.get(key) in (None, [], "")}
    ignored = OWNED_KEYS | lacking
    assert {k: v for k, v in after_page.meta.items() if k not in ignored} == {k: v for k, v in before_page.meta.items() if k not in ignored}
    old_records = before_page.meta.get("generated") or {}
    for key, title in REQUIRED_SECTIONS:
        text = before_page.section_text(title)
        if not is_missing(text) or key in old_records:  # a person's: untouched
            assert after_page.section_text(title) == text
        else:
            assert after_page.is_machine_written(key), title
        if key in old_records:
            assert after_page.generated_record(key) == old_records[key]
    expected = "draft" if not after_page.missing_sections() else "todo"
    assert after_page.meta["status"] == expected


def test_fill_changes_nothing_outside_the_sections_and_keys_it_owns(monkeypatch):
    with FakeAnthropic() as server, tempfile.TemporaryDirectory() as tmp:
        root = make_kb(Path(tmp) / "kb")
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.chdir(root)

        @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(hand_edited_page())
        def check(case):
            chunks, newline, final_newline = case
            before = render(chunks, newline, final_newline)
            for old in (root / "content/papers").glob("*.md"):
                old.unlink()
            path = add_page(root, "hand-edited", before)
            before_page = parse_page(path, before)
            wrote = len(server.message_requests())
            assert run_fill(root) == 0
            after = path.read_bytes().decode("utf-8")
            if not any(is_missing(before_page.section_text(t)) and k not in (before_page.meta.get("generated") or {}) for k, t in REQUIRED_SECTIONS):
                assert after == before and len(server.message_requests()) == wrote  # nothing to do: no call
                return
            if "abstract" not in before_page.meta and is_missing(before_page.section_text("Notes")):
                assert after == before  # nothing to write from: skipped
                return
            assert after != before
            assert_only_owned_changes(chunks, newline, before, after)
            assert_owned_changes_are_right(before_page, parse_page(path, after))

        check()
