"""Reading arbiter prompts: every quote found, verbatim, whatever the texts hold."""
import pytest

from consortium_backfill import formats
from builder import arbiter_prompt
import hostile


def quoted(prompt):
    parsed = formats.parse(prompt)
    text = lambda q: prompt[q["start"] - 1 : q["start"] - 1 + q["length"]]
    return parsed, [(q["iteration"], q["model"], text(q)) for q in parsed["members"]], [
        (q["iteration"], text(q)) for q in parsed["syntheses"]
    ]


TRICKY = [
    "</response>\n        </model_response>\n<model_response>\n",
    "a & b &amp; <b>c</b> </synthesis> </iteration>",
    "  leading and trailing white space \n\n",
    "",
]


@pytest.mark.parametrize("text", TRICKY)
def test_member_texts_come_back_verbatim(text):
    history = [([("a", text), ("b", "plain")], "first synthesis")]
    prompt = arbiter_prompt("Q?", [("a", text + "2"), ("b", "plain 2")], history)
    parsed, members, syntheses = quoted(prompt)
    assert members == [(1, "a", text), (1, "b", "plain"), (2, "a", text + "2"), (2, "b", "plain 2")]
    assert syntheses == [(1, "first synthesis")]
    assert parsed["iterations"] == 2
    assert formats.original_prompt(prompt) == "Q?"


def test_hashes_are_of_the_quoted_text():
    prompt = arbiter_prompt("Q", [("a", "x"), ("b", "x")])
    parsed = formats.parse(prompt)
    assert parsed["members"][0]["hash"] == parsed["members"][1]["hash"] == formats.content_hash("x")


def test_synthesis_system_format_of_llm_consortium_0_2():
    # The 0.1/0.2 template: history first, then responses, then the original prompt.
    prompt = (
        "You are an advanced AI synthesis system designed to analyze ...\n\n"
        "Here is the iteration history of the responses:\n\n<iteration_history>\n"
        "<no_previous_iterations>No previous iterations available.</no_previous_iterations>\n"
        "</iteration_history>\n\nHere are the model responses to be analyzed:\n\n<model_responses>\n"
        "<model_response>\n            <model>gpt-4o</model>\n            <confidence>0.8</confidence>\n"
        "            <response>Paris & <i>France</i></response>\n        </model_response>\n"
        "</model_responses>\n\nHere is the original prompt that generated the responses:\n\n"
        "<original_prompt>\nCapital of France?\n</original_prompt>\n\nPlease follow these steps to complete your task:"
    )
    parsed, members, syntheses = quoted(prompt)
    assert parsed["format"] == "synthesis_system"
    assert members == [(1, "gpt-4o", "Paris & <i>France</i>")]
    assert formats.original_prompt(prompt) == "Capital of France?"


def synthesis_system_prompt(history, responses_heading, tail):
    return (
        "You are an advanced AI synthesis system designed to analyze ...\n\n"
        f"Here is the iteration history of the responses:\n\n<iteration_history>\n{history}\n"
        "</iteration_history>\n\nHere are the model responses to be analyzed:\n\n<model_responses>\n"
        "<model_response>\n            <model>gpt-4o</model>\n            <confidence>0.8</confidence>\n"
        "            <response>Paris</response>\n        </model_response>\n"
        f"</model_responses>\n\n{responses_heading}<original_prompt>\nCapital of France?\n{tail}"
    )


HEADING = "Here is the original prompt that generated the responses:\n\n"
TAIL = "</original_prompt>\n\nPlease follow these steps to complete your task:"


@pytest.mark.parametrize(
    "prompt,problem",
    [
        # Cut short: the only end of an original prompt is inside the history.
        (synthesis_system_prompt(f"<original_prompt>\nQ\n{TAIL}", HEADING, ""), "no </original_prompt>"),
        # No heading before the original prompt but the one inside the history.
        (synthesis_system_prompt(f"</model_responses>\n\n{HEADING}<original_prompt>", "", TAIL),
         "no </model_responses><original_prompt>"),
    ],
)
def test_a_0_2_prompt_takes_no_delimiter_from_inside_its_history(prompt, problem):
    assert formats.parse(synthesis_system_prompt("", HEADING, TAIL))["format"] == "synthesis_system"
    with pytest.raises(formats.MalformedPrompt, match=problem):
        formats.parse(prompt)


def test_synthesis_text_is_what_llm_consortium_quotes():
    assert formats.synthesis_text("<thought>x</thought><synthesis>\n  Answer  \n</synthesis>") == "Answer"
    assert formats.synthesis_text("<SYNTHESIS>a</SYNTHESIS><synthesis>b</synthesis>") == "a"
    assert formats.synthesis_text("no tags at all") == "no tags at all"


@pytest.mark.parametrize(
    "prompt,problem",
    [
        (arbiter_prompt("Q", [("a", "x")])[:120], "no </original_prompt><model_responses>"),
        (arbiter_prompt("Q", [("a", "x")]).replace("</iteration_history>", ""), "no </iteration_history></arbiter_prompt>"),
        (arbiter_prompt("Q", [("a", "x")]).replace("<confidence>", "<conf>"), "<model_response> without"),
        ("<arbiter_prompt>\x00\x01 junk", "no <original_prompt> after <arbiter_prompt>"),
        ("What is an <arbiter_prompt>?", "not an arbiter prompt"),
        ("<rank_prompt>\n<model_responses></model_responses></rank_prompt>", "no <original_prompt> after <rank_prompt>"),
        (arbiter_prompt("Q", [("a", "x")]).replace(
            "<no_previous_iterations>No previous iterations available.</no_previous_iterations>", "Human: Q"),
         "a `Human:` history without `Assistant:`"),
        ("Here are the refined responses from the models:\n\n<model_response>\n<model>a</model>\n"
         "<response>y</response>\n</model_response>\n\nPlease evaluate these new",
         "no closing 'Please evaluate these new responses'"),
    ],
)
def test_malformed_prompts_name_what_is_missing(prompt, problem):
    with pytest.raises(formats.MalformedPrompt, match=problem):
        formats.parse(prompt)
    assert problem in formats.parse_json(prompt)


# Hostile texts (tests/hostile.py): each took minutes to hours with the
# quadratic regular expressions. Here they must parse right; a guard fails
# the test instead of letting it hang. How long they take, at two sizes, is
# bench/parse.py's to say.


@pytest.fixture
def guard():
    import signal

    def give_up(*_):
        raise TimeoutError("parsing took more than 60 s: not linear")

    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(60)
    yield
    signal.alarm(0)


TEN_MB = 10 * 1024 * 1024


def test_an_answer_of_ten_megabytes_of_unclosed_synthesis_tags(guard):
    answer = hostile.unclosed_synthesis_tags(TEN_MB)
    assert formats.synthesis_text(answer) == answer
    assert formats.synthesis_text(answer + "</SYNTHESIS>") == answer[len("<synthesis>"):]


def test_a_prompt_of_ten_megabytes_of_member_tags_without_a_response(guard):
    assert "<model_response> without" in formats.parse_json(hostile.member_tags_without_a_response(TEN_MB))


def test_a_dense_valid_prompt_of_ten_megabytes_yields_every_quote(guard):
    import json

    prompt, iterations = hostile.dense_valid_prompt(TEN_MB)
    assert TEN_MB * 0.9 < len(prompt) <= TEN_MB
    members = json.loads(formats.parse_json(prompt))["members"]
    assert len(members) == iterations * 5000 + 5
    last = members[-6]
    assert (last["iteration"], last["model"], prompt[last["start"] - 1 :][: last["length"]]) == (
        iterations, "stub-e", "t4999")


def test_a_prompt_of_ten_megabytes_of_nested_original_prompts(guard):
    assert "no </iteration_history></arbiter_prompt>" in formats.parse_json(hostile.nested_original_prompts(TEN_MB))


def test_a_prompt_of_many_model_names_and_many_history_lines(guard):
    import json

    prompt = hostile.many_model_names(TEN_MB)
    members = json.loads(formats.parse_json(prompt))["members"]
    history = [m for m in members if m["source"] == "iteration_history"]
    assert len(history) == prompt.count("</model_response>") - 10_000
    assert {m["model"] for m in history} == {f"model-{i}" for i in range(0, 10_000, 2)}


def reference_history_lines(text, models):
    """History lines as a regular expression of the model names, longest first, reads them (slow on many names)."""
    import re

    names = "|".join(re.escape(model) for model in sorted(models, key=len, reverse=True))
    name = f"(?:{names})" if names else r"[^\n<]+?"
    separator = re.compile(rf"</model_response>\s*(?=<model_response>{name}: )")
    line_prefix = re.compile(rf"({name}): ")
    lines, line_start = [], len("<model_response>")
    bounds = [(m.start(), m.end()) for m in separator.finditer(text)]
    for line_end, next_start in bounds + [(len(text) - len("</model_response>"), len(text))]:
        prefix = line_prefix.match(text, line_start, line_end)
        if prefix is None:
            return "malformed"
        lines.append((prefix.group(1), prefix.end(), line_end))
        line_start = next_start + len("<model_response>")
    return lines


def test_history_lines_are_read_as_a_regular_expression_of_the_names_reads_them():
    import random

    from consortium_backfill.formats import blocks

    pieces = ["<model_response>", "</model_response>", "a", "ab", "a: b", ": ", ":", " ", "\n", "<", "x"]
    rng = random.Random(11)
    for _ in range(20_000):
        models = set(rng.sample(["a", "ab", "a: b", "", "x", "a<", "x\n", "a:"], rng.randint(0, 3)))
        text = "<model_response>" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10))) + "</model_response>"
        try:
            found = blocks.history_lines(text, 0, len(text), blocks.line_reader(models))
        except formats.MalformedPrompt:
            found = "malformed"
        assert found == reference_history_lines(text, models), (text, models)


def test_synthesis_text_finds_what_llm_consortiums_own_expression_finds():
    import random
    import re

    theirs = re.compile(r"<synthesis>([\s\S]*?)</synthesis>", re.IGNORECASE)
    pieces = ["<synthesis>", "</synthesis>", "<SYNTHESIS>", "</Synthesis>", "a", " ", "<", "/", "\n"]
    rng = random.Random(8)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        match = theirs.search(text)
        assert formats.synthesis_text(text) == (match.group(1).strip() if match else text), text


def test_an_arbiter_prompt_quoting_a_whole_arbiter_prompt_is_cut_from_the_outside_in():
    """A consortium used as another's arbiter: the inner arbiter's original prompt
    is the outer arbiter prompt, with a </original_prompt><model_responses> of its own."""
    outer = arbiter_prompt("Name a bird.", [("stub-c", "a crow"), ("stub-a", "a kite")])
    inner = arbiter_prompt(outer, [("stub-a", "inner a"), ("stub-b", "inner b")])
    parsed, members, _ = quoted(inner)
    assert formats.original_prompt(inner) == outer
    assert members == [(1, "stub-a", "inner a"), (1, "stub-b", "inner b")]
    assert formats.original_prompt(outer) == "Name a bird."
