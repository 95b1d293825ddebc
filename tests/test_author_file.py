"""The author's own file: values earlier attempts left, an imported block, look-alikes,
a consortium as arbiter, a rebuilt table (tests/realdata/author_history.py replays how
it came to be, from real-package fixtures, and records what each step did).
"""
import json
import shutil
import sqlite3
import sys

import pytest

from builder import FIXTURES
from consortium_backfill import analysis
from conftest import cli, file_hash, run_backfill

sys.path.insert(0, str(FIXTURES.parent / "realdata"))
import author_history  # noqa: E402

OTHER_COLUMNS = ("human_vote", "human_note", "bookmark", "session_id", "consortium_group_id", "model", "prompt",
                 "response", "datetime_utc", "conversation_id")


@pytest.fixture(scope="module", params=["april", "rebuilt in june"])
def replayed(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp("author")
    record = author_history.build(folder / "logs.db", rebuild=request.param == "rebuilt in june")
    (folder / "models.txt").write_text("".join(f"{name}\n" for name in record["models_file"]))
    return folder, record


@pytest.fixture
def author_db(replayed, tmp_path):
    folder, record = replayed
    shutil.copy(folder / "logs.db", tmp_path / "logs.db")
    return tmp_path / "logs.db", folder / "models.txt", record


def values(path, columns=("consortium_id", "is_arbiter_response")):
    """id -> the columns' values, each with its SQLite type, so that '' and NULL and 0 and '0' differ."""
    conn = sqlite3.connect(path)
    try:
        present = {c[1] for c in conn.execute("PRAGMA table_info(responses)")}
        wanted = [c for c in columns if c in present]
        select = ", ".join(f"quote([{c}]), typeof([{c}])" for c in wanted)
        return {row[0]: row[1:] for row in conn.execute(f"SELECT id, {select} FROM responses")}
    finally:
        conn.close()


def test_the_replay_left_what_his_transcripts_show(author_db):
    path, _, record = author_db
    steps = {step["step"]: step for step in record["steps"]}
    assert {"forward_scan", "import", "plan", "like_tagging", "blank_strings", "consortium_group_id"} <= set(steps)
    kinds = {value: None for value, _ in record["foreign"].values()}
    assert "" in kinds and any(len(v or "") == 40 for v in kinds) and "trio-c1" in kinds
    # The plan's false links, as far apart as his.
    assert {2.6, 4.8} <= {link["hours_apart"] for link in steps["plan"]["false_links"]}
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM temp_import").fetchone()[0] > 0
    conn.close()


def test_the_default_run_leaves_every_foreign_value_as_it_was_and_says_what_to_run(author_db, tmp_path):
    path, models, record = author_db
    before = values(path)
    others = values(path, OTHER_COLUMNS)
    result = run_backfill(path, models, "--report", tmp_path / "report.json")
    after = values(path)
    assert record["foreign"]
    for row_id in record["foreign"]:
        assert after[row_id] == before[row_id], row_id
    assert values(path, OTHER_COLUMNS) == others
    report = json.loads((tmp_path / "report.json").read_text())
    found = report["foreign_values"]
    assert set(found) == {"model_name", "hex40", "blank", "flag_only"}
    assert sum(kind["rows"] for kind in found.values()) == len(record["foreign"])
    for kind in found.values():
        example = found and kind["example"]
        assert record["foreign"][example["id"]] == [example["consortium_id"], example["is_arbiter_response"]]
    lines = result.stdout.splitlines()
    start = lines.index(f"Values this tool did not write: {len(record['foreign'])} rows, left as they were "
                        "(those rows are in no run)")
    labels = {"model_name": "consortium model names", "hex40": "40-hex ids", "blank": "blank strings",
              "flag_only": "is_arbiter_response set on a row with no consortium_id"}
    examples = {kind: found[kind]["example"]["id"] for kind in labels}
    said = [
        f"  {labels[kind]}: {found[kind]['rows']}, e.g. row {examples[kind]}: "
        + (f"is_arbiter_response = {record['foreign'][examples[kind]][1]!r}" if kind == "flag_only"
           else f"consortium_id = {record['foreign'][examples[kind]][0]!r}")
        for kind in labels
    ]
    assert lines[start + 1:start + 5] == said
    assert (f"  cli backfill -d {path} -m {models} --replace-foreign   (regroup the rows holding values this "
            "tool did not write; their values are kept for undo)") in lines


def test_replace_foreign_groups_every_run_exactly_and_undo_puts_every_value_back(author_db, tmp_path):
    path, models, record = author_db
    before = values(path)
    others = values(path, OTHER_COLUMNS)
    result = run_backfill(path, models, "--replace-foreign", "--report", tmp_path / "report.json")
    assert (f"Values this tool did not write: {len(record['foreign'])} rows (replaced; `undo` puts them back)"
            in result.stdout.splitlines())
    score = author_history.score(path, record)
    assert score["runs"] >= 40
    assert score["runs_exact"] == score["runs"]
    assert score["wrong_rows"] == []
    assert score["stale_foreign"] == []
    assert values(path, OTHER_COLUMNS) == others
    verified = cli("verify", "-d", path, "--models-file", models)
    assert verified.exit_code == 0, verified.output
    # undo puts every value back exactly as it was, byte for byte.
    undone = cli("undo", "-d", path)
    assert undone.exit_code == 0, undone.output
    assert values(path) == before


def test_a_full_pass_reads_the_ids_in_short_pages_and_finds_the_same_imported_block(author_db, tmp_path, monkeypatch):
    """Each read of the id index is one short statement: a reader keeps llm from committing."""
    path, models, _ = author_db

    def report(name):
        run_backfill(path, models, "--dry-run", "--replace-foreign", "--report", tmp_path / name)
        return json.loads((tmp_path / name).read_text())

    whole = report("whole.json")
    pages = []
    run_sql = analysis.run_sql
    monkeypatch.setattr(analysis, "IDS_PER_READ", 7)
    monkeypatch.setattr(analysis, "run_sql", lambda conn, name, *args, **fill: (
        pages.append(args[0]["after"]) if name == "order_ids" else None) or run_sql(conn, name, *args, **fill))
    paged = report("paged.json")
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    conn.close()
    assert len(pages) == rows // 7 + 1 and pages == sorted(set(pages))
    assert paged["out_of_order_blocks"] == whole["out_of_order_blocks"] and len(whole["out_of_order_blocks"]) == 1
    assert {k: v for k, v in paged.items() if k not in ("report", "seconds")} == {
        k: v for k, v in whole.items() if k not in ("report", "seconds")}


def test_a_second_run_with_the_flag_changes_nothing(author_db, tmp_path):
    path, models, _ = author_db
    run_backfill(path, models, "--replace-foreign")
    hashed = file_hash(path)
    again = run_backfill(path, models, "--replace-foreign", "--report", tmp_path / "again.json")
    report = json.loads((tmp_path / "again.json").read_text())
    assert report["changes"] == 0 and report["foreign_values"] == {}
    assert "Values this tool did not write" not in again.output
    assert file_hash(path) == hashed


def test_the_imported_block_is_reported(author_db, tmp_path):
    path, models, record = author_db
    result = run_backfill(path, models, "--dry-run", "--replace-foreign", "--report", tmp_path / "report.json")
    imported = next(block for block in record["blocks"] if block["name"] == "import")
    (block,) = json.loads((tmp_path / "report.json").read_text())["out_of_order_blocks"]
    rowids = sorted(e["rowid"] for run in record["runs"] if run["label"].startswith("import:") for e in run["rows"])
    assert block["rows"] == imported["rowids"][1] - imported["rowids"][0] + 1
    assert block["first_rowid"] <= rowids[0] and block["last_rowid"] >= rowids[-1]
    lines = result.stdout.splitlines()
    start = lines.index(
        f"Rows logged out of time order (an import or a rebuild): {block['rows']} in 1 block(s); a run is paired "
        "only if its final arbiter falls within its output's run time"
    )
    assert lines[start + 1:start + 3] == [
        f"  rowids {block['first_rowid']}-{block['last_rowid']}: {block['rows']} rows with ids from "
        f"{block['oldest_id_time']} to {block['newest_id_time']}, logged after a row of {block['logged_after']}",
        f"Values this tool did not write: {len(record['foreign'])} rows (to replace)",
    ]


def test_a_consortium_as_arbiter_is_recorded_with_its_inner_runs(author_db):
    path, models, record = author_db
    run_backfill(path, models, "--replace-foreign")
    outer = next(run for run in record["runs"] if run.get("arbiter_runs"))
    inner = [run for run in record["runs"] if run["label"] in outer["arbiter_runs"]]
    final = next(e["id"] for e in outer["rows"] if e["role"] == "final_arbiter")
    output = next(e["id"] for e in outer["rows"] if e["role"] == "final_output")
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    outer_run = conn.execute("SELECT * FROM consortium_runs WHERE output_response_id = ?", [output]).fetchone()
    assert outer_run["final_arbiter_response_id"] == final
    assert outer_run["arbiter_model"] == "gemini-n2" and outer_run["iteration_count"] == outer["iterations"]
    for run in inner:
        inner_output = next(e["id"] for e in run["rows"] if e["role"] == "final_output")
        inner_run = conn.execute("SELECT * FROM consortium_runs WHERE output_response_id = ?", [inner_output]).fetchone()
        assert inner_run["parent_run_id"] == outer_run["id"]
    recorded = {
        row["response_id"]: row["role"]
        for row in conn.execute("SELECT * FROM consortium_members WHERE run_id = ?", [outer_run["id"]])
    }
    assert recorded == {e["id"]: e["role"] for e in outer["rows"]}
    conn.close()


def test_look_alikes_stay_plain_even_with_orphans_included(author_db):
    path, models, record = author_db
    run_backfill(path, models, "--replace-foreign", "--include-orphans")
    after = values(path)
    look_alikes = [e["id"] for e in record["look_alikes"]]
    assert len(look_alikes) == 4
    for row_id in look_alikes:
        assert after[row_id][0] == "NULL", row_id
    conn = sqlite3.connect(path)
    shapes = conn.execute(
        f"SELECT count(DISTINCT conversation_id), count(DISTINCT model), sum(prompt LIKE '%<arbiter_prompt>%'),"
        f" sum(response LIKE '%<synthesis_output>%') FROM responses WHERE id IN ({','.join('?' * len(look_alikes))})",
        look_alikes,
    ).fetchone()
    conn.close()
    assert shapes[0] == 1 and shapes[1] == 4 and shapes[2] >= 3 and shapes[3] >= 1


def test_verify_reports_a_run_its_output_row_contradicts(author_db):
    """The output row's response_json names the run's iteration count: a run that lost
    an intermediate arbiter no longer matches it."""
    path, models, record = author_db
    run_backfill(path, models, "--replace-foreign")
    run = next(r for r in record["runs"] if r["label"] == "april:iter3")
    lost = next(e["id"] for e in run["rows"] if e["role"] == "intermediate_arbiter")
    conn = sqlite3.connect(path)
    conn.execute("UPDATE responses SET consortium_id = NULL, is_arbiter_response = 0 WHERE id = ?", [lost])
    conn.commit()
    conn.close()
    result = cli("verify", "-d", path, "--models-file", models)
    assert result.exit_code == 1
    assert "VIOLATION output evidence" in result.output
    assert "the output's response_json says 3 iterations; the run has 2 arbiter rows" in result.output
