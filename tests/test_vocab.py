"""Vocabulary loading: bad topics.yml / labs.yml become problems with lines, never exceptions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from paperkb.model.paths import lab_path
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


def test_labs_whose_names_give_one_page_are_an_error_on_the_second(tmp_path):
    vocab = load(tmp_path, labs="- name: Meta AI\n- name: Meta/AI\n- name: meta-ai!\n")
    assert set(vocab.labs) == {"Meta AI"}
    message = (
        "lab '{}' would have the page labs/meta-ai.md, which is lab 'Meta AI' (line 1): names must differ in letters or digits, "
        "not only in case, accents or punctuation; rename one, or make it an alias of the other"
    )
    assert found(vocab) == [("labs.yml", 2, "error", message.format("Meta/AI")), ("labs.yml", 3, "error", message.format("meta-ai!"))]


def test_a_lab_name_without_latin_letters_or_digits_is_an_error_not_labs_dot_md(tmp_path):
    vocab = load(tmp_path, labs="- name: 月之暗面\n- name: 深度求索\n- name: Moonshot AI\n  aliases: [月之暗面 AI]\n")
    assert set(vocab.labs) == {"Moonshot AI"}
    assert [(line, message) for _, line, _, message in found(vocab)] == [
        (
            line,
            f"lab name '{name}' has no letter or digit a page name can use (a-z, 0-9), so its page would be labs/.md; "
            f"give the lab a name in Latin letters (e.g. its English name) and keep '{name}' as an alias",
        )
        for line, name in ((1, "月之暗面"), (2, "深度求索"))
    ]


def test_lab_paths_are_never_empty_and_differ_for_different_names():
    assert lab_path("DeepSeek") == "labs/deepseek.md"
    unnamed = {lab_path("月之暗面"), lab_path("深度求索"), lab_path("!!!")}
    assert len(unnamed) == 3 and all(path.startswith("labs/lab-") and path != "labs/.md" for path in unnamed)


def test_topic_ids_are_their_own_slugs_so_two_topics_never_share_a_page(tmp_path):
    topics = TOPICS + "- id: Reasoning\n  title: R\n  description: d\n- id: reasoning\n  title: Again\n  description: d\n"
    vocab = load(tmp_path, topics=topics)
    assert set(vocab.topics) == {"reasoning"}
    assert [(line, message.split(";")[0].split(" must")[0]) for _, line, _, message in found(vocab)] == [
        (4, "topic id 'Reasoning'"),
        (7, "topic id 'reasoning' is defined twice (first on line 1)"),
    ]


@pytest.mark.parametrize("name", ["topics.yml", "labs.yml"])
def test_a_vocabulary_that_is_a_link_or_a_fifo_is_an_error_not_a_read(tmp_path, name):
    load(tmp_path)  # both files written
    (tmp_path / name).unlink()
    (tmp_path / name).symlink_to("/dev/zero")
    vocab = load_vocabulary(tmp_path / "topics.yml", tmp_path / "labs.yml")
    [(file, line, severity, message)] = found(vocab)
    assert (file, line, severity) == (name, 1, "error") and message.startswith("a symbolic link (to /dev/zero); ")
    (tmp_path / name).unlink()
    os.mkfifo(tmp_path / name)
    vocab = load_vocabulary(tmp_path / "topics.yml", tmp_path / "labs.yml")
    assert found(vocab) == [(name, 1, "error", "a named pipe (FIFO), not a regular file; content/ holds only files: remove it")]
