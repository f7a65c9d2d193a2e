"""Vocabulary loading: bad topics.yml / labs.yml become problems with lines, never exceptions."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperkb.model.vocab import load_vocabulary

TOPICS = "- id: reasoning\n  title: Reasoning\n  description: Models that think.\n"
LABS = "- name: DeepSeek\n"


def load(tmp_path: Path, topics: str | bytes = TOPICS, labs: str | bytes = LABS):
    files = []
    for name, text in (("topics.yml", topics), ("labs.yml", labs)):
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        files.append(path)
    return load_vocabulary(*files)


def found(vocab) -> list[tuple[str, int, str, str]]:
    return [(p.path.name, p.line, p.severity, p.message) for p in vocab.problems]


@pytest.mark.parametrize("text", ["", "# no topics yet\n", "\n\n"])
def test_empty_or_comment_only_vocabulary_is_an_empty_list_with_a_warning(tmp_path, text):
    vocab = load(tmp_path, topics=text, labs=text)
    assert vocab.topics == {} and vocab.labs == {}
    assert found(vocab) == [
        ("topics.yml", 1, "warning", "topics.yml has no topic entries; add '- ...' entries (see CONTRIBUTING.md)"),
        ("labs.yml", 1, "warning", "labs.yml has no lab entries; add '- ...' entries (see CONTRIBUTING.md)"),
    ]


def test_non_utf8_vocabulary_is_an_error_on_the_line_of_the_bad_byte(tmp_path):
    vocab = load(tmp_path, labs=b"- name: DeepSeek\n- name: Caf\xe9\n")
    [(name, line, severity, message)] = found(vocab)
    assert (name, line, severity) == ("labs.yml", 2, "error")
    assert message.startswith("not UTF-8 text (") and message.endswith("save labs.yml as UTF-8")
    assert set(vocab.topics) == {"reasoning"}


def test_index_is_reserved_for_the_list_pages(tmp_path):
    vocab = load(
        tmp_path,
        topics=TOPICS + "- id: index\n  title: Index\n  description: d\n",
        labs=LABS + "- name: Index\n",
    )
    assert set(vocab.topics) == {"reasoning"} and set(vocab.labs) == {"DeepSeek"}
    assert found(vocab) == [
        ("topics.yml", 4, "error", "topic id 'index' is reserved: topics/index.md is the list of all topics; choose another id"),
        ("labs.yml", 2, "error", "lab name 'Index' is reserved: labs/index.md is the list of all labs; choose another name"),
    ]
