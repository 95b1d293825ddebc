"""The generated real-package fixtures agree with their truth.json."""

import json
import re
import sqlite3
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
COMBOS = sorted(p.name for p in FIXTURES.iterdir() if (p / "truth.json").exists()) \
    if FIXTURES.exists() else []
RELEASE_PREFIXES = ("<arbiter_prompt>", "You are an advanced AI synthesis system")
BUILD_PREFIXES = ("<arbiter_prompt>", "<pick_one_prompt>", "<rank_prompt>",
                  "Here are the refined responses from the models:")


def load(combo):
    truth = json.loads((FIXTURES / combo / "truth.json").read_text())
    conn = sqlite3.connect(f"file:{FIXTURES / combo / 'logs.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    rows = {r["id"]: dict(r) for r in conn.execute(
        "select rowid, id, model, prompt, response from responses")}
    conn.close()
    return truth, rows


def era08_ids(truth):
    """Rows of the consortium_logs.db era in logs.db: outputs and plain prompts."""
    era = truth.get("consortium_logs", {"runs": [], "plain": []})
    outputs = {i for r in era["runs"] for i in [r["output_id"], *r["output_candidates"]] if i}
    return outputs | {p["id"] for p in era["plain"]}


def is_build(truth):
    """A fixture of a 2025 git build (families/builds2025.py), not of a release."""
    return "build" in truth


def member_models(truth, run):
    """Models whose rows one iteration logs: `m:2` is two instances; stub-fail logs none."""
    models = []
    for m in run["members"]:
        name, _, count = m.partition(":")
        models += [name] * int(count or 1)
    return sorted(m for m in models if m != "stub-fail")


def test_fixtures_present():
    assert COMBOS, "no fixtures under tests/fixtures"


@pytest.mark.parametrize("combo", COMBOS)
def test_every_row_accounted_for_once(combo):
    truth, rows = load(combo)
    ids = [e["id"] for run in truth["runs"] for e in run["rows"]] + truth["plain"]
    ids += [i for i in era08_ids(truth) if i in rows]  # llm <= 0.31 logs them in responses
    assert len(ids) == len(set(ids))
    assert set(ids) == set(rows)
    assert truth["row_count"] == len(rows)
    for run in truth["runs"]:
        for e in run["rows"]:
            assert rows[e["id"]]["rowid"] == e["rowid"]
            assert rows[e["id"]]["model"] == e["model"]


@pytest.mark.parametrize("combo", COMBOS)
def test_roles(combo):
    truth, rows = load(combo)
    build = is_build(truth)
    names = (FIXTURES / combo / "consortium_models.txt").read_text().split()
    assert sorted(names) == sorted(truth["consortiums"])
    assert not truth["anomalies"], truth["anomalies"]
    for run in truth["runs"]:
        entries = sorted(run["rows"], key=lambda e: e["rowid"])
        roles = [e["role"] for e in entries]
        arbiters = [e for e in entries if e["role"].endswith("arbiter")]
        if arbiters:
            assert roles.count("final_arbiter") == 1
        assert [a["iteration"] for a in arbiters] == list(range(1, len(arbiters) + 1))
        assert run["iterations"] == len(arbiters)
        for e in entries:
            prompt = rows[e["id"]]["prompt"]
            if not build:  # automatic context: follow-ups do not repeat the prompt
                assert run["prompt"] in prompt
            if e["role"].endswith("arbiter"):
                assert prompt.startswith(BUILD_PREFIXES if build else RELEASE_PREFIXES)
                assert e["model"] == run["arbiter"]
        for it in range(1, len(arbiters) + 1):
            members = [e for e in entries if e["role"] == "member" and e["iteration"] == it]
            assert sorted(m["model"] for m in members) == member_models(truth, run)
            assert [m["member_index"] for m in members] == list(range(1, len(members) + 1))
        grouped_kinds = ("saved", "chat") if build else ("saved",)
        assert run["expect_grouped"] == (run["command"] in grouped_kinds and run["has_output"])
        if run["has_output"]:
            assert roles[-1] == "final_output" and roles[-2] == "final_arbiter"
            out = rows[entries[-1]["id"]]
            assert out["model"] == run["consortium"] and out["prompt"] == run["prompt"]
            assert_output_text(truth, run, out["response"], rows[entries[-2]["id"]]["response"],
                               [rows[e["id"]]["response"] for e in entries if e["role"] == "member"])
        else:
            assert "final_output" not in roles


def assert_output_text(truth, run, output, final, members):
    """What the output row says: the final arbiter's synthesis, its whole answer
    (the broken parser of build B), or a judge's chosen member, byte for byte."""
    if run.get("judging_method"):  # the judge's answer when it chose a failed member
        assert output in members or output == final
    elif truth.get("family") == "B":
        assert output == final
    else:
        synthesis = re.search(r"<synthesis>([\s\S]*?)</synthesis>", final).group(1)
        assert output.strip() == synthesis.strip()


@pytest.mark.parametrize("combo", COMBOS)
def test_scenarios_present(combo):
    truth, rows = load(combo)
    runs = {r["label"]: r for r in truth["runs"]}
    assert {r["iterations"] for r in truth["runs"] if r["has_output"]} >= {1, 2, 3}
    a, b = runs["parallel-a"]["rows"], runs["parallel-b"]["rows"]
    assert min(e["rowid"] for e in b) < max(e["rowid"] for e in a)
    assert not runs["cli-run"]["has_output"]
    tricky = [rows[e["id"]]["response"] for e in runs["tricky"]["rows"]
              if e["model"] == "stub-tricky"]
    assert tricky and all("</response>" in t and "&" in t for t in tricky)
    plain_models = {p["model"] for p in truth["plain_rows"]}
    assert "stub-arbiter" in plain_models
    assert any(rows[i]["prompt"].startswith("<arbiter_prompt>") for i in truth["plain"])


ERA08 = [c for c in COMBOS if "consortium_logs" in json.loads((FIXTURES / c / "truth.json").read_text())]


@pytest.mark.parametrize("combo", ERA08)
def test_consortium_logs_era(combo):
    """Every output row of the era is where truth says, with its run's prompt and
    last synthesis; every run of truth is in consortium_logs.db."""
    truth = json.loads((FIXTURES / combo / "truth.json").read_text())
    logs = sqlite3.connect(f"file:{FIXTURES / combo / 'logs.db'}?mode=ro", uri=True)
    clogs = sqlite3.connect(f"file:{FIXTURES / combo / 'consortium_logs.db'}?mode=ro", uri=True)
    runs = truth["consortium_logs"]["runs"]
    assert {r["expect"] for r in runs} >= {"linked", "no_output"}
    assert {r["command"] for r in runs} >= {"saved", "continue"}
    assert any(r["status"] == "running" and r["expect"] == "no_output" for r in runs)
    assert any(not m["logged"] for r in runs for m in r["members"]) or combo == "llm0.31-c0.8"
    table = "responses" if truth["versions"]["llm"] < "0.32" else "turns"
    for run in runs:
        created, user_prompt, synthesis = clogs.execute(
            "select created_at, user_prompt, (select synthesis from arbiter_decisions a"
            " where a.run_id = r.id order by iteration desc limit 1) from consortium_runs r"
            " where id = ?", [run["run_id"]]).fetchone()
        assert user_prompt == run["prompt"]
        for output_id in [run["output_id"], *run["output_candidates"]]:
            if output_id is None:
                continue
            model, started = logs.execute(
                f"select model, datetime_utc from {table} where id = ?", [output_id]).fetchone()
            assert model == run["consortium"]
            gap = logs.execute("select (julianday(?) - julianday(?)) * 86400", [created, started]).fetchone()[0]
            # the output row's time is its run's start, just before created_at
            assert 0 <= gap < 1 or output_id != run["output_id"]
        if run["output_id"]:
            text = logs.execute(
                "select response from responses where id = ?" if table == "responses" else
                "select response from turn_search where turn_id = ?", [run["output_id"]]).fetchone()[0]
            assert text == synthesis


@pytest.mark.parametrize("combo", [c for c in COMBOS if is_build(load(c)[0])])
def test_build_scenarios_present(combo):
    """Each build fixture has what its family can log: chat turns, a failed
    member, instances, judges, manual context."""
    truth, rows = load(combo)
    runs = {r["label"]: r for r in truth["runs"]}
    assert runs["chat-turn1"]["has_output"] and runs["chat-turn2"]["has_output"]
    assert runs["member-fail"]["has_output"]
    family = truth["family"]
    if family != "B":
        assert any(m.endswith(":2") for m in runs["instances"]["members"])
    if family in ("D", "F1", "F2"):
        assert {runs["pick"]["judging_method"], runs["rank"]["judging_method"]} == {"pick-one", "rank"}
    if family in ("F1", "F2"):
        assert runs["manual"]["manual_context"] and runs["chat-manual-turn1"]["has_output"]
