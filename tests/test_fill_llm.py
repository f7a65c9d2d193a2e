"""The parts of ``paperkb fill`` that need no server: the faithfulness guard, Markdown safety, validation,
the schema and the prompt."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import anthropic
import pytest

from paperkb.fill import llm
from paperkb.model.pages import parse_page
from paperkb.model.vocab import load_vocabulary
from tests.support.fill_kb import PAGE, REPO

SOURCE = (
    "DeepSeek-V3 has 671B total parameters with 37B activated per token, trained on 14.8T tokens "
    "in 2.788M H800 GPU hours. It scores 97.3% on MATH-500 and 1,000 more things in 2024."
)


@pytest.fixture(scope="module")
def vocab():
    return load_vocabulary(REPO / "content/topics.yml", REPO / "content/labs.yml")


# -- numbers -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, value",
    [
        ("2.788M", 2_788_000),
        ("2.788 million", 2_788_000),
        ("2,788,000", 2_788_000),
        ("671B", 671_000_000_000),
        ("671-billion", 671_000_000_000),
        ("14.8T", 14_800_000_000_000),
        ("128k", 128_000),
        ("97.3%", "97.3"),
        ("97.3 percent", "97.3"),
    ],
)
def test_numbers_are_read_with_their_scale(text, value):
    (number,) = llm.extract_numbers(text)
    assert number.value == Decimal(value)


@pytest.mark.parametrize(
    "generated",
    [
        "It has 671 billion parameters, 37B of them active.",
        "Training took 2.788 million GPU hours on 14.8 trillion tokens.",
        "It reaches 97.3 percent on MATH-500 (97.3%), using 2,788,000 GPU hours.",
        "DeepSeek-V3 was trained on H800 GPUs in 2024; 1000 more things.",
        "No numbers at all.",
    ],
)
def test_numbers_the_input_states_pass_in_any_usual_form(generated):
    assert llm.unsupported_numbers(generated, SOURCE) == []


@pytest.mark.parametrize(
    "generated, invented",
    [
        ("It improves accuracy by 42.7%.", ["42.7%"]),
        ("It has 671M parameters.", ["671M"]),  # the right digits at the wrong scale
        ("It took about 2.8M GPU hours.", ["2.8M"]),  # rounded: not what the input says
        ("Trained in 2025 on 15T tokens.", ["2025", "15T"]),
    ],
)
def test_invented_numbers_are_caught(generated, invented):
    assert llm.unsupported_numbers(generated, SOURCE) == invented


# -- Markdown safety -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, reason",
    [
        ('Good <script>alert("x")</script>', "raw HTML"),
        ("An <img src=x onerror=alert(1)> image", "raw HTML"),
        ("In `<script>` backticks too", "raw HTML"),
        ("A comment <!-- hidden -->", "raw HTML"),
        ("See [this](javascript:alert(1))", "link"),
        ("An ![image](https://example.com/x.png)", "link"),
        ("[ref]: https://example.com", "link"),
        ("Text\n# Heading", "heading"),
        ("Text\n#1 result in Python-Markdown is a heading too", "heading"),
        ("Text\n-----", "underline"),
        ("Text\n```\ncode\n```", "code fence"),
        ('Styled {: onclick="x"}', "attribute"),
        ("A {{ macro }}", "template"),
        ('--8<-- "secrets.txt"', "snippet"),
    ],
)
def test_markup_that_could_reach_the_site_is_rejected(text, reason):
    problems = llm.unsafe_markdown(text)
    assert problems and any(reason in p for p in problems), problems


def test_ordinary_prose_with_symbols_is_accepted():
    text = "Scores rise when a < b; shorter answers (<5,000 characters) are better; `GRPO` and **RL** matter - a lot."
    assert llm.unsafe_markdown(text) == []


# -- validation ------------------------------------------------------------------------------------------------------
GOOD = {
    "summary": "DeepSeek-V3 is a Mixture-of-Experts model with 671B total parameters and 37B activated per token.",
    "key_insights": ["- It was trained on 14.8T tokens.", "Training took 2.788M H800 GPU hours."],
    "why_it_matters": "It shows that frontier-scale training can be done at a fraction of the usual cost.",
    "priority": "urgent",
    "topics": ["mixture-of-experts", "efficiency"],
    "labs": ["DeepSeek"],
}
ALL = ["summary", "key_insights", "why_it_matters"]


def test_a_good_answer_becomes_markdown_sections(vocab):
    generated, problems = llm.validate(GOOD, ALL, list(llm.TRIAGE_KEYS), vocab, SOURCE)
    assert problems == []
    assert generated.sections["key_insights"] == "- It was trained on 14.8T tokens.\n- Training took 2.788M H800 GPU hours."
    assert generated.triage == {"priority": "urgent", "topics": ["mixture-of-experts", "efficiency"], "labs": ["DeepSeek"]}


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"summary": ""}, "summary is missing or empty"),
        ({"summary": "TODO"}, "summary is missing or empty"),
        ({"summary": "Too short."}, "summary is 10 characters"),
        ({"summary": "x " * 900}, "summary is 1799 characters"),
        ({"why_it_matters": None}, "why_it_matters is missing or empty"),
        ({"key_insights": ["Only one insight here."]}, "key_insights has 1 insight(s); give 2 to 6"),
        ({"key_insights": ["An insight that is long enough."] * 7}, "key_insights has 7 insight(s)"),
        ({"key_insights": "not a list"}, "key_insights must be a list"),
        ({"key_insights": ["Two lines\nin one insight.", "Another insight here."]}, "spans several lines"),
        ({"priority": "critical"}, "priority must be one of urgent, high, medium, low"),
        ({"topics": []}, "topics must be 1 to 4 ids"),
        ({"topics": ["quantum-chemistry"]}, "topics must be 1 to 4 ids"),
        ({"labs": ["DeepSeek-AI"]}, "labs must be canonical names"),
        ({"summary": GOOD["summary"] + " It beats GPT-4 by 12.5%."}, "numbers not in the paper input: 4, 12.5%"),
    ],
)
def test_invalid_answers_are_rejected_with_a_reason(vocab, change, problem):
    _, problems = llm.validate({**GOOD, **change}, ALL, list(llm.TRIAGE_KEYS), vocab, SOURCE)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("sep", ["\r", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_every_character_the_page_reader_breaks_lines_at_is_a_line_break_to_the_validator(vocab, sep):
    assert sep.splitlines() != [sep]  # one of str.splitlines()' breaks, as paperkb.model.pages reads pages
    hidden = {**GOOD, "why_it_matters": GOOD["why_it_matters"] + f"{sep}## Heading{sep}", "key_insights": [f"One insight,{sep}two lines.", "Another one."]}
    _, problems = llm.validate(hidden, ALL, [], vocab, SOURCE)
    assert "why_it_matters: a heading (a line starting with '#')" in problems and "insight 1 spans several lines; write one sentence" in problems
    harmless = {**GOOD, "summary": GOOD["summary"] + f"{sep}It is open.", "why_it_matters": GOOD["why_it_matters"] + sep}
    generated, problems = llm.validate(harmless, ALL, [], vocab, SOURCE)
    assert problems == [] and generated.sections["summary"].endswith(".\nIt is open.")
    assert all(text.splitlines() == text.split("\n") for text in generated.sections.values())  # written with \n only


@pytest.mark.parametrize("char", ["\x00", "\x1b[31m", "\x7f", "\x9b"])
def test_control_characters_are_rejected(vocab, char):
    _, problems = llm.validate({**GOOD, "summary": GOOD["summary"] + char}, ALL, [], vocab, SOURCE)
    assert "summary: a control character (write plain text)" in problems


@pytest.mark.parametrize(
    "answered, recorded",
    [
        ("claude-sonnet-5-5", "claude-sonnet-5-5"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet-20241022"),
        ("us.anthropic.claude:v1/x", "us.anthropic.claude:v1/x"),
        ('claude"\n## Injected', "asked"),
        ("<img src=x onerror=alert(1)>", "asked"),
        ("-leading-dash", "asked"),
        ("x" * 101, "asked"),
        ("", "asked"),
        (None, "asked"),
        (["claude"], "asked"),
    ],
)
def test_the_model_name_is_recorded_only_when_it_looks_like_a_model_id(answered, recorded):
    assert llm.model_name(answered, "asked") == recorded


def test_only_the_requested_fields_are_read(vocab):
    generated, problems = llm.validate({"why_it_matters": GOOD["why_it_matters"]}, ["why_it_matters"], [], vocab, SOURCE)
    assert problems == [] and list(generated.sections) == ["why_it_matters"] and generated.triage == {}


def test_an_empty_labs_list_is_valid_and_not_written(vocab):
    generated, problems = llm.validate({**GOOD, "labs": []}, ALL, ["labs"], vocab, SOURCE)
    assert problems == [] and "labs" not in generated.triage


# -- schema and prompt -------------------------------------------------------------------------------------------------
def test_the_schema_uses_only_what_structured_outputs_accept(vocab):
    schema = llm.output_schema(ALL, list(llm.TRIAGE_KEYS), vocab)
    # The SDK's own transform turns a schema into what the API supports; ours must come through unchanged.
    assert anthropic.transform_schema(schema) == schema
    assert schema["required"] == ["summary", "key_insights", "why_it_matters", "priority", "topics", "labs"]
    assert schema["properties"]["topics"]["items"]["enum"] == list(vocab.topics)
    assert schema["properties"]["labs"]["items"]["enum"] == [lab.name for lab in vocab.labs.values()]


def test_triage_fields_are_asked_for_only_when_wanted(vocab):
    schema = llm.output_schema(["summary"], [], vocab)
    assert list(schema["properties"]) == ["summary"]


def test_the_prefix_is_stable_and_marked_for_caching(vocab):
    first, second = llm.system_blocks(vocab), llm.system_blocks(vocab)
    assert first == second
    assert first[-1]["cache_control"] == {"type": "ephemeral"}
    assert all("cache_control" not in block for block in first[:-1])
    assert "reinforcement-learning" in first[-1]["text"] and "DeepSeek-AI" in first[-1]["text"]


def test_the_paper_input_carries_metadata_abstract_and_notes():
    paper = llm.paper_input(parse_page(Path("p.md"), PAGE))
    assert paper.label == "abstract+notes"
    assert paper.text.startswith("<paper>\ntitle: SparseMix: Routing Experts\narxiv: 2401.06066\npublished: 2024-01-11\n")
    assert "<abstract>\nWe present SparseMix" in paper.text
    assert "<notes>\nMy notes: compare with GShard (600B)" in paper.text


def test_no_abstract_and_no_notes_means_no_input():
    page = parse_page(Path("p.md"), "---\ntitle: X\nstatus: todo\n---\n\n## Summary\n\nTODO\n")
    assert llm.paper_input(page) is None


def test_a_retry_continues_the_conversation_with_the_reasons(vocab):
    settings = llm.FillSettings()
    paper = llm.PaperInput("<paper>\ntitle: X\n</paper>", "abstract")
    params = llm.request_params(settings, "m", llm.system_blocks(vocab), paper, {}, "Write it.", retry=("{bad", ["reason one", "reason two"]))
    assert [m["role"] for m in params["messages"]] == ["user", "assistant", "user"]
    assert params["messages"][1]["content"] == "{bad"
    assert "reason one; reason two" in params["messages"][2]["content"]
    assert "temperature" not in params and "tool_choice" not in params


def test_cost_uses_every_price_and_halves_for_batches():
    settings = llm.FillSettings(price_input_per_mtok=3, price_output_per_mtok=15, price_cache_read_per_mtok=0.3, price_cache_write_per_mtok=3.75)
    usage = llm.Usage(input=1_000_000, output=1_000_000, cache_read=1_000_000, cache_write=1_000_000)
    assert usage.cost(settings) == pytest.approx(22.05)
    usage.batch = True
    assert usage.cost(settings) == pytest.approx(11.025)


def test_the_ledger_refuses_what_would_exceed_max_cost():
    ledger = llm.Ledger(llm.FillSettings(), max_cost=1.0)
    assert ledger.reserve(0.6)
    assert not ledger.reserve(0.5)
    ledger.settle(0.6, llm.Usage(input=100_000))  # actually cost $0.30
    assert ledger.reserve(0.5)
