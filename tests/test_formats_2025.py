"""Reading the arbiter prompts of the 2025 git builds (ERAS.md): <id> blocks,
judges, manual and automatic context; and what no reader knows."""
import json

from consortium_backfill import formats
from builder import arbiter_prompt
from conftest import run_backfill


def with_ids(prompt):
    """The <id>N</id> line the builds from July 2025 put before each <model>."""
    parts = prompt.split("<model_response>\n            <model>")
    return parts[0] + "".join(
        f"<model_response>\n            <id>{n}</id>\n            <model>{part}" for n, part in enumerate(parts[1:], start=1)
    )


def texts(prompt, quotes):
    return [prompt[q["start"] - 1 : q["start"] - 1 + q["length"]] for q in quotes]


def test_id_blocks_read_as_release_blocks():
    plain = arbiter_prompt("Q", [("a", "x </response> y"), ("b", "z")], [([("a", "p"), ("b", "q")], "s1")])
    numbered = with_ids(plain)
    assert "<id>2</id>" in numbered
    assert texts(numbered, formats.parse(numbered)["members"]) == texts(plain, formats.parse(plain)["members"])


def judge_prompt(tag, original, answers):
    blocks = "\n".join(
        f"<model_response>\n            <id>{n}</id>\n            <model>{m}</model>\n            <instance>1</instance>\n"
        f"            <confidence>0.0</confidence>\n            <response>{text}</response>\n        </model_response>"
        for n, (m, text) in enumerate(answers, start=1)
    )
    return (f"<{tag}>\n    <user_instructions></user_instructions>\n    <original_prompt>{original}</original_prompt>\n"
            f"    <model_responses>\n        {blocks}\n    </model_responses>\n</{tag}>\n\nYour task is to act as a judge.")


def test_a_judge_quotes_its_members_and_its_output_is_one_of_them():
    for tag in ("pick_one_prompt", "rank_prompt"):
        prompt = judge_prompt(tag, "Q?", [("a", "one"), ("b", "two")])
        parsed = formats.parse(prompt)
        assert (parsed["format"], parsed["iterations"], parsed["output"]) == ("judge", 1, "member")
        assert texts(prompt, parsed["members"]) == ["one", "two"]
        assert [(q["iteration"], q["position"], q["model"], q["source"]) for q in parsed["members"]] == [
            (1, 1, "a", "model_responses"), (1, 2, "b", "model_responses")]
        assert formats.original_prompt(prompt) == "Q?"


def test_manual_context_quotes_earlier_syntheses_only():
    # A member's answer that reads like a chat is no part of the history.
    prompt = arbiter_prompt("Q?", [("a", "x"), ("b", "y\n\nHuman: hi\n\nAssistant: hello")]).replace(
        "<no_previous_iterations>No previous iterations available.</no_previous_iterations>",
        "Human: Q?\n\nAssistant: first synthesis\n\nHuman: refine it\nplease\n\nAssistant: second\nsynthesis",
    )
    parsed = formats.parse(prompt)
    assert (parsed["format"], parsed["history"], parsed["iterations"]) == ("manual_context", "syntheses", 3)
    assert texts(prompt, parsed["syntheses"]) == ["first synthesis", "second\nsynthesis"]
    assert [(q["iteration"], q["position"], q["source"]) for q in parsed["syntheses"]] == [
        (1, 1, "iteration_history"), (2, 1, "iteration_history")]
    assert [(q["iteration"], q["position"], q["model"], q["source"]) for q in parsed["members"]] == [
        (3, 1, "a", "model_responses"), (3, 2, "b", "model_responses")]


def test_automatic_context_prompts_quote_no_earlier_iteration():
    first = arbiter_prompt("Q?", [("a", "x")]).replace(
        "<no_previous_iterations>No previous iterations available.</no_previous_iterations>", "")
    parsed = formats.parse(first)
    assert (parsed["format"], parsed["history"], parsed["syntheses"]) == ("auto_context", "conversation", [])
    follow_up = (
        "Here are the refined responses from the models:\n\n<model_response>\n            <id>1</id>\n"
        "            <model>a</model>\n            <instance>1</instance>\n            <confidence>0.0</confidence>\n"
        "            <response>y</response>\n        </model_response>\n\n"
        "Please evaluate these new responses based on the original prompt and your previous feedback."
    )
    parsed = formats.parse(follow_up)
    assert (parsed["format"], parsed["original_prompt"], parsed["history"]) == ("auto_context_follow_up", None, "conversation")
    assert texts(follow_up, parsed["members"]) == ["y"]
    # SQL reads only the head: the same family name for every <arbiter_prompt>.
    assert formats.arbiter_format(first[: formats.PREFIX_LENGTH]) == "arbiter_prompt"


def test_an_unknown_format_is_reported_with_its_first_line(logs_db, tmp_path):
    prototype = "Original prompt: What is 2+2?\n\nResponses from the consortium:\n1. four"
    logs_db.log("a", "What is 2+2?", "four")
    logs_db.log("stub-arbiter", prototype, "four")
    output = logs_db.log("cons", "What is 2+2?", "four")
    same_question = logs_db.log("cons", "What is 2+2?", "4", seconds=1)
    result = run_backfill(logs_db.path, tmp_path / "models.txt", "--report", tmp_path / "report.json")
    review = {r["response_id"]: r for r in json.loads((tmp_path / "report.json").read_text())["review"]}
    assert review[output]["reason"] == "unknown arbiter format"
    assert review[output]["evidence"]["previous_prompt_first_line"] == "Original prompt: What is 2+2?"
    assert review[same_question]["reason"] == "previous row is another output"


def test_a_chat_turn_drops_the_earlier_turns_iterations_only_when_they_come_first(logs_db, tmp_path):
    """Turn 2's history quotes turn 1's iteration first: turn 2 is grouped alone, from
    iteration 1. A history whose foreign iteration comes after its own is skipped."""
    from builder import arbiter_prompt, arbiter_response

    turn1 = logs_db.run("cons", "Turn one?", [[("a", "t1 a"), ("b", "t1 b")]])
    turn1_history = ([("a", "t1 a"), ("b", "t1 b")], "cons synthesis 1 of Turn one?")
    members = [logs_db.log(m, "<prompt>Turn two?</prompt>", text) for m, text in [("a", "t2 a"), ("b", "t2 b")]]
    final = logs_db.log("stub-arbiter", arbiter_prompt("Turn two?", [("a", "t2 a"), ("b", "t2 b")], [turn1_history]),
                        arbiter_response("turn two synthesis"))
    turn2 = logs_db.log("cons", "Turn two?", "turn two synthesis")
    # Own iteration first, then another prompt's: not a chat turn's shape.
    own = logs_db.log("stub-arbiter", arbiter_prompt("Mixed?", [("a", "m1")]), arbiter_response("mixed one"))
    logs_db.log("a", "<prompt>Mixed?</prompt>", "m2")
    mixed_final = logs_db.log("stub-arbiter", arbiter_prompt(
        "Mixed?", [("a", "m2")], [([("a", "m1")], "mixed one"), turn1_history]), arbiter_response("mixed two"))
    mixed = logs_db.log("cons", "Mixed?", "mixed two")
    result = run_backfill(logs_db.path, tmp_path / "models.txt", "--report", tmp_path / "report.json")
    rows = logs_db.rows()
    assert {i for i, (c, _) in rows.items() if c == rows[turn2][0]} == {*members, final, turn2}
    assert {i for i, (c, _) in rows.items() if c == rows[turn1["output"]][0]} == {
        *turn1["members"], turn1["final"], turn1["output"]}
    iterations = dict(logs_db.conn.execute("SELECT response_id, iteration FROM consortium_members"))
    assert {iterations[i] for i in [*members, final, turn2]} == {1}
    review = {r["response_id"]: r["reason"] for r in json.loads((tmp_path / "report.json").read_text())["review"]}
    assert review[mixed] == "history quotes a run of another prompt (llm chat turn)"
    assert rows[mixed_final][0] is None and rows[own][0] is None
