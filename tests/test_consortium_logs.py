"""Runs of llm-consortium 0.8+ (consortium_logs.db) on llm 0.31 (responses) and 0.36 (turns).

The fixtures (tests/realdata, family era08) start from a 0.5-era logs.db and
were then used by the newer packages; truth.json says which output row each
consortium_runs row wrote. Every link the backfill makes must be in it.
"""
import collections
import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from builder import FIXTURES
from consortium_backfill import explain
from consortium_backfill.functions import table_exists
from conftest import ERA08_COMBOS, cli, file_hash, grouped, run_backfill
from test_real import assert_reproduces

REALDATA = FIXTURES.parent / "realdata"
# llm's own tables of llm >= 0.32: the backfill must never change them.
LLM_TABLES = ("turns", "threads", "messages", "parts", "turn_search")


def copy_era(combo, folder):
    """(logs.db, consortium_models.txt, truth) copied with its consortium_logs.db beside it."""
    source = FIXTURES / combo
    for name in ("logs.db", "consortium_logs.db"):
        shutil.copy(source / name, folder / name)
    return folder / "logs.db", source / "consortium_models.txt", json.loads((source / "truth.json").read_text())


@pytest.fixture(params=ERA08_COMBOS)
def era(request, tmp_path):
    """A fixture of its own, for a test that changes it or backfills it its own way.
    llm's default folder is empty (conftest): only the file beside the database is found."""
    return copy_era(request.param, tmp_path)


Backfilled = collections.namedtuple("Backfilled", "path models truth report llm_tables_before clogs_hash_before")


@pytest.fixture(scope="module", params=ERA08_COMBOS)
def backfilled(request, tmp_path_factory):
    """A fixture backfilled once, for the tests that only read what that backfill did."""
    folder = tmp_path_factory.mktemp(request.param)
    path, models, truth = copy_era(request.param, folder)
    before = llm_tables(path), file_hash(path.with_name("consortium_logs.db"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))  # as conftest does for each test
        _, report = backfill_with_report(path, models, folder)
    return Backfilled(path, models, truth, report, *before)


def query(path, sql, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def llm_tables(path):
    """The content of llm's newer tables, where logs.db has them."""
    conn = sqlite3.connect(path)
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {t: conn.execute(f"SELECT * FROM [{t}] ORDER BY rowid").fetchall() for t in LLM_TABLES if t in names}
    finally:
        conn.close()


def backfill_with_report(path, models, tmp_path, *args):
    result = run_backfill(path, models, "--report", tmp_path / "report.json", *args)
    return result, json.loads((tmp_path / "report.json").read_text())


def figures(path, truth, report):
    """linked right, wrong links, for review, with the reasons, per truth run with an output row."""
    links = dict(query(
        path, "SELECT output_response_id, id FROM consortium_runs WHERE source = 'consortium_logs.db'"))
    review = {r["response_id"]: r for r in report["review"]}
    runs = truth["consortium_logs"]["runs"]
    right = [r for r in runs if r["output_id"] and links.get(r["output_id"]) == r["run_id"]]
    known = {(r["output_id"], r["run_id"]) for r in runs if r["expect"] == "linked"}
    wrong = [pair for pair in links.items() if pair not in known]
    for_review = [r for r in runs if r["output_id"] in review or set(r["output_candidates"]) & set(review)]
    return right, wrong, for_review, review


def test_every_link_is_in_the_truth(backfilled):
    path, truth, report = backfilled.path, backfilled.truth, backfilled.report
    right, wrong, for_review, review = figures(path, truth, report)
    runs = truth["consortium_logs"]["runs"]
    with_output = [r for r in runs if r["output_id"] or r["output_candidates"]]
    assert wrong == []
    assert len(right) >= 8
    # Every run with an output row is linked right or listed for review, never both.
    assert len(right) + len(for_review) == len(with_output)
    assert not {r["label"] for r in right} & {r["label"] for r in for_review}
    for run in for_review:
        for output_id in [run["output_id"], *run["output_candidates"]]:
            if output_id:
                assert review[output_id]["kind"] == "unlinked_output"
                assert review[output_id]["reason"].startswith("ambiguous")
    # Where only an id tells two runs apart, they are reviewed unless the id is there.
    ambiguous = [r for r in runs if r["expect"] == "review"]
    assert all(r in for_review for r in ambiguous)
    assert report["consortium_logs"] == str(path.with_name("consortium_logs.db"))
    # llm's new tables and llm-consortium's file are never written.
    assert llm_tables(path) == backfilled.llm_tables_before
    assert file_hash(path.with_name("consortium_logs.db")) == backfilled.clogs_hash_before


def test_output_rows_in_responses_carry_their_run(backfilled):
    path, truth = backfilled.path, backfilled.truth
    rows = grouped(path)
    linked = dict(query(path, "SELECT output_response_id, id FROM consortium_runs WHERE source = 'consortium_logs.db'"))
    tables = dict(query(path, "SELECT id, output_table FROM consortium_runs WHERE source = 'consortium_logs.db'"))
    for run in truth["consortium_logs"]["runs"]:
        if run["output_id"] not in linked:
            continue
        assert tables[run["run_id"]] == run["output_table"]
        if run["output_table"] == "responses":
            assert rows[run["output_id"]] == (run["run_id"], 0)
        else:
            assert run["output_id"] not in rows


def test_members_are_recorded_with_the_database_they_live_in(backfilled):
    path, truth, report = backfilled.path, backfilled.truth, backfilled.report
    members = {
        (run_id, response_id): (role, iteration, member_index, logged_in)
        for run_id, response_id, role, iteration, member_index, logged_in in query(
            path, "SELECT run_id, response_id, role, iteration, member_index, logged_in FROM consortium_members"
            " WHERE source = 'consortium_members'")
    }
    linked = {r[0] for r in query(path, "SELECT id FROM consortium_runs WHERE source = 'consortium_logs.db'")}
    missing = {r["response_id"] for r in report["review"] if r["kind"] == "missing_member"}
    checked = 0
    for run in truth["consortium_logs"]["runs"]:
        for m in run["members"]:
            if m["logged"] is False:
                assert m["response_id"] in missing
            if run["run_id"] not in linked:
                continue
            role, iteration, member_index, logged_in = members[(run["run_id"], m["response_id"])]
            assert (iteration, member_index) == (m["iteration"], m["member_index"])
            assert (role == "member") == (m["role"] != "arbiter")
            assert logged_in == ("consortium_logs.db" if m["logged"] else None)
            checked += 1
    assert checked >= 40


def test_failed_runs_are_listed_for_review(backfilled):
    truth, report = backfilled.truth, backfilled.report
    failed = {r["response_id"] for r in report["review"] if r["kind"] == "failed_run"}
    for run in truth["consortium_logs"]["runs"]:
        if run["status"] == "running" and run["expect"] == "no_output":
            assert run["run_id"] in failed, run["label"]
    assert any(r["label"] == "c8-arbiter-error" and r["run_id"] in failed for r in truth["consortium_logs"]["runs"])


def test_the_old_runs_are_still_grouped_exactly(era, tmp_path):
    path, models, truth = era
    assert_reproduces(path, models, truth, tmp_path)


def test_every_consortium_output_row_is_accounted_for(era, tmp_path):
    path, models, truth = era
    _, report = backfill_with_report(path, models, tmp_path)
    rows = report["consortium_output_rows"]
    total = rows["in_responses"] + rows["in_turns"]
    assert total == rows["already_grouped"] + rows["grouped"] + rows["skipped"] + rows["for_review"]
    outputs = sum(1 for run in truth["runs"] if run["has_output"] and run["command"] == "saved")
    outputs += len({i for r in truth["consortium_logs"]["runs"] for i in [r["output_id"], *r["output_candidates"]] if i})
    assert total == outputs
    assert report["runs_by_era"]["linked from consortium_logs.db"] >= 8
    # Linked output rows in responses are counted with the rows updated.
    assert report["rows_updated"] == sum(report["rows_by_role"].values())
    # A re-run counts the rows of responses logged since the last backfill (none here);
    # --full counts them all again.
    again, report = backfill_with_report(path, models, tmp_path)
    assert report["consortium_output_rows"]["in_responses"] == 0
    again, report = backfill_with_report(path, models, tmp_path, "--full")
    assert report["consortium_output_rows"]["already_grouped"] == rows["grouped"]
    assert report["runs_by_era"] == {"recovered from prompts in logs.db": 0, "linked from consortium_logs.db": 0}


def test_integrity_and_both_full_text_indexes_hold(backfilled):
    conn = sqlite3.connect(backfilled.path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.execute("INSERT INTO responses_fts (responses_fts) VALUES ('integrity-check')")
        if table_exists(conn, "turn_search_fts"):
            conn.execute("INSERT INTO turn_search_fts (turn_search_fts) VALUES ('integrity-check')")
    finally:
        conn.close()


def test_verify_checks_the_linked_runs(era, tmp_path):
    path, models, truth = era
    backfill_with_report(path, models, tmp_path)
    result = cli("verify", "-d", path, "--models-file", models)
    assert result.exit_code == 0, result.output
    assert "linked from consortium_logs.db" in result.output
    assert_a_changed_synthesis_is_a_violation(path, models, truth)


def assert_a_changed_synthesis_is_a_violation(path, models, truth):
    """A linked run whose output text no longer equals its last synthesis is a violation."""
    run = next(r for r in truth["consortium_logs"]["runs"] if r["expect"] == "linked")
    conn = sqlite3.connect(path.with_name("consortium_logs.db"))
    conn.execute("UPDATE arbiter_decisions SET synthesis = 'changed' WHERE run_id = ?", [run["run_id"]])
    conn.commit()
    conn.close()
    result = cli("verify", "-d", path, "--models-file", models)
    assert result.exit_code == 1
    assert run["run_id"] in result.output


def test_verify_a_database_whose_only_runs_are_linked(era, tmp_path):
    """A user who started with llm-consortium 0.8: no run recovered from prompts,
    every run linked. verify checks them, rather than finding nothing to verify."""
    path, models, truth = era
    old_rows = [row["id"] for run in truth["runs"] for row in run["rows"]]
    conn = sqlite3.connect(path)
    conn.execute(f"DELETE FROM responses WHERE id IN ({', '.join('?' * len(old_rows))})", old_rows)
    conn.commit()
    conn.close()
    backfill_with_report(path, models, tmp_path)
    result = cli("verify", "-d", path, "--models-file", models)
    assert result.exit_code == 0, result.output
    linked = sum(1 for r in truth["consortium_logs"]["runs"] if r["expect"] == "linked")
    assert f": 0 runs recovered from prompts in logs.db, {linked} linked from consortium_logs.db" in result.output
    assert "OK: no violations" in result.output
    assert_a_changed_synthesis_is_a_violation(path, models, truth)


def test_explain_an_output_row_in_either_table(era, tmp_path):
    path, models, truth = era
    runs = truth["consortium_logs"]["runs"]
    linked = next(r for r in runs if r["expect"] == "linked")
    clogs = path.with_name("consortium_logs.db")
    result = cli("explain", linked["output_id"], "-d", path, "--models-file", models)
    assert result.exit_code == 0, result.output
    said, rule = result.output.splitlines()
    assert said == f"Not linked yet; the next backfill links it to run {linked['run_id']} in {clogs}."
    assert rule in {f"Rule: {text}." for text in explain.LINK_RULES.values()}
    # Kept elsewhere, the file is named with --consortium-logs.
    elsewhere = tmp_path / "kept" / "consortium_logs.db"
    elsewhere.parent.mkdir()
    shutil.copy(clogs, elsewhere)
    clogs.unlink()
    result = cli("explain", linked["output_id"], "-d", path, "--models-file", models, "--consortium-logs", elsewhere)
    assert result.output.splitlines()[0] == (
        f"Not linked yet; the next backfill links it to run {linked['run_id']} in {elsewhere}.")
    shutil.copy(elsewhere, clogs)
    ambiguous = next((r for r in runs if r["expect"] == "review"), None)
    if ambiguous:
        said = cli("explain", ambiguous["output_candidates"][0], "-d", path, "--models-file", models).output
        assert said.startswith(f"{ambiguous['output_candidates'][0]} is in no run in {clogs}: ambiguous: ")
        assert said.endswith("; never guessed.\n")
    backfill_with_report(path, models, tmp_path)
    result = cli("explain", linked["output_id"], "-d", path)
    assert result.exit_code == 0, result.output
    assert linked["run_id"] in result.output and "consortium_logs.db" in result.output
    ambiguous = next((r for r in runs if r["expect"] == "review"), None)
    if ambiguous:
        result = cli("explain", ambiguous["output_candidates"][0], "-d", path)
        assert "ambiguous" in result.output


def test_without_the_file_nothing_is_linked_and_turns_outputs_are_listed(era, tmp_path):
    path, models, truth = era
    path.with_name("consortium_logs.db").unlink()
    linked = next(r for r in truth["consortium_logs"]["runs"] if r["expect"] == "linked")
    # An output row in llm's turns table has no run in logs.db to fall back on.
    said = cli("explain", linked["output_id"], "-d", path, "--models-file", models).output
    where = "" if linked["output_table"] == "responses" else " (no consortium_logs.db found)"
    assert said.startswith(f"{linked['output_id']} is in no run{where}: "), said
    result, report = backfill_with_report(path, models, tmp_path)
    assert "consortium_logs.db: none found" in result.output
    assert report["runs_by_era"]["linked from consortium_logs.db"] == 0
    rows = report["consortium_output_rows"]
    assert rows["for_review"] == rows["in_turns"]
    assert not query(path, "SELECT 1 FROM consortium_runs WHERE source = 'consortium_logs.db'")
    # Each review reason says what is true: no file was read, so none says what it holds.
    reasons = {reason for _, reason in query(path, "SELECT kind, reason FROM consortium_backfill_review"
                                                   " WHERE kind IN ('unlinked_output', 'missing_member')")}
    assert reasons == ({"no run: no consortium_logs.db was found to link it from (--consortium-logs PATH names it)"}
                       if rows["in_turns"] else set())


def test_with_the_file_the_review_reasons_say_what_it_holds(backfilled):
    reasons = [reason for kind, reason in query(backfilled.path, "SELECT kind, reason FROM consortium_backfill_review")
               if kind in ("unlinked_output", "missing_member")]
    assert reasons and not [reason for reason in reasons if "no consortium_logs.db was found" in reason]
    missing = [r for r in backfilled.truth["consortium_logs"]["runs"] for m in r["members"] if m["logged"] is False]
    assert ("named by consortium_members, but consortium_logs.db holds no row with this id" in reasons) == bool(missing)


def test_a_bad_consortium_logs_path_changes_nothing(era, tmp_path):
    path, models, _ = era
    before = file_hash(path)
    for bad in (tmp_path / "missing.db", models):
        result = run_backfill(path, models, "--consortium-logs", bad, exit_code=2)
        assert len(result.output.strip().splitlines()) == 1
    assert file_hash(path) == before


def test_a_consortium_logs_db_without_saved_consortiums_is_read(era, tmp_path):
    """No consortium_configs table (nothing saved there): the runs are still linked,
    their names coming from the models file."""
    path, models, truth = era
    clogs = path.with_name("consortium_logs.db")
    conn = sqlite3.connect(clogs)
    conn.execute("DROP TABLE consortium_configs")
    conn.commit()
    conn.close()
    _, report = backfill_with_report(path, models, tmp_path)
    assert report["consortium_logs"] == str(clogs)
    linked = {r["run_id"] for r in truth["consortium_logs"]["runs"] if r["expect"] == "linked"}
    assert linked <= {row[0] for row in query(path, "SELECT id FROM consortium_runs WHERE source = 'consortium_logs.db'")}


def test_the_file_in_llms_default_folder_is_found(era, tmp_path):
    path, models, truth = era
    default = tmp_path / "xdg-config" / "io.datasette.llm"
    default.mkdir(parents=True)
    path.with_name("consortium_logs.db").rename(default / "consortium_logs.db")
    result, report = backfill_with_report(path, models, tmp_path)
    assert report["consortium_logs"] == str(default / "consortium_logs.db")
    assert report["runs_by_era"]["linked from consortium_logs.db"] >= 8


LLM036 = "llm0.36"


def llm036_bin():
    """bin/ of a virtualenv with llm 0.36 and the stub models (tests/realdata/venvs.py).

    Built (about 50 s, most of it downloading wheels) only when asked:
    CONSORTIUM_BACKFILL_LLM036=1, or `make test-llm036`; reused when built."""
    sys.path.insert(0, str(REALDATA))
    try:
        from venvs import ensure_venv
    finally:
        sys.path.remove(str(REALDATA))
    venvs = REALDATA.parent.parent / "build" / "fixture-venvs"
    if not (venvs / LLM036 / "bin" / "llm").exists() and not os.environ.get("CONSORTIUM_BACKFILL_LLM036"):
        pytest.skip("no llm 0.36 virtualenv: set CONSORTIUM_BACKFILL_LLM036=1 or run `make test-llm036`")
    return ensure_venv(LLM036, venvs, "auto")[0]


def test_llm_036_logs_and_lists_on_the_backfilled_file(tmp_path):
    source = FIXTURES / "llm0.36-c0.8"
    for name in ("logs.db", "consortium_logs.db"):
        shutil.copy(source / name, tmp_path / name)
    path = tmp_path / "logs.db"
    run_backfill(path, source / "consortium_models.txt")
    bindir = llm036_bin()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("LLM_", "VIRTUAL_ENV", "PYTHON"))}
    env.update(LLM_USER_PATH=str(tmp_path), PATH=f"{bindir}{os.pathsep}{env['PATH']}")

    def llm(*args):
        done = subprocess.run([str(bindir / "llm"), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    llm("-m", "stub-a", "After the backfill: still logging?")
    listed = llm("logs", "list", "-n", "0", "--json")
    prompts = [entry["prompt"] for entry in json.loads(listed)]
    assert "After the backfill: still logging?" in prompts
    truth = json.loads((source / "truth.json").read_text())
    assert truth["consortium_logs"]["runs"][0]["prompt"] in prompts
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "SELECT count(*) FROM consortium_runs WHERE source = 'consortium_logs.db'")[0][0] >= 8


def test_datasette_shows_both_eras_and_links_outputs_in_turns(backfilled):
    from test_browse import Browser, links

    truth = backfilled.truth
    browser = Browser(backfilled.path)
    try:
        page = browser.page("/logs/runs?consortium=")
        assert "consortium_logs.db" in page and "logs.db prompts" in page
        linked = next(r for r in truth["consortium_logs"]["runs"] if r["expect"] == "linked")
        assert f"/logs/{linked['output_table']}/{linked['output_id']}" in links(page, "/logs/")
        page = browser.page(f"/logs/linked_run_rows?consortium_id={linked['run_id']}")
        assert all(m["response_id"] in page for m in linked["members"])
        assert "linked_from_consortium_logs" in browser.page("/logs/consortiums")
    finally:
        browser.close()


def test_an_output_row_whose_run_is_gone_is_listed_with_the_reason(era, tmp_path):
    """Hand-made from a real fixture: consortium_logs.db loses one run (as when
    llm-consortium failed to save it)."""
    path, models, truth = era
    run = next(r for r in truth["consortium_logs"]["runs"] if r["expect"] == "linked")
    conn = sqlite3.connect(path.with_name("consortium_logs.db"))
    conn.execute("DELETE FROM consortium_runs WHERE id = ?", [run["run_id"]])
    conn.commit()
    conn.close()
    _, report = backfill_with_report(path, models, tmp_path)
    review = {r["response_id"]: r for r in report["review"]}
    reason = review[run["output_id"]]["reason"]
    names_its_run = truth["versions"]["llm-consortium"] == "4ab2741"  # metadata.consortium_id
    assert reason.startswith(
        "no run: metadata.consortium_id names a run consortium_logs.db does not hold" if names_its_run
        else "no run: consortium_logs.db has no run of this consortium asked this prompt")
    assert run["output_id"] not in dict(query(path, "SELECT output_response_id, id FROM consortium_runs"))
    assert run["output_id"] not in grouped(path)
    rows = report["consortium_output_rows"]
    assert rows["in_responses"] + rows["in_turns"] == (
        rows["already_grouped"] + rows["grouped"] + rows["skipped"] + rows["for_review"])


def test_a_file_of_the_first_builds_gives_names_and_no_links(era, tmp_path):
    """Hand-made: builds of December 2025 wrote consortium_logs.db with configs and
    calls, no consortium_runs: its names are read, nothing is linked, nothing fails."""
    path, models, truth = era
    clogs = path.with_name("consortium_logs.db")
    conn = sqlite3.connect(clogs)
    for table in ("arbiter_decisions", "consortium_members", "consortium_runs"):
        conn.execute(f"DROP TABLE {table}")
    conn.commit()
    conn.close()
    result, report = backfill_with_report(path, None, tmp_path)
    assert "(0 runs: no consortium_runs, nothing to link to)" in result.output
    assert report["runs_by_era"]["recovered from prompts in logs.db"] >= 8  # names from consortium_configs
    assert report["runs_by_era"]["linked from consortium_logs.db"] == 0


def test_the_database_itself_is_no_consortium_logs(era, tmp_path):
    path, models, _ = era
    run_backfill(path, models)
    before = file_hash(path)
    result = run_backfill(path, models, "--consortium-logs", path, exit_code=2)
    assert "is the database itself" in result.output
    assert file_hash(path) == before


def test_foreign_keys_to_responses_fail_only_for_rows_kept_elsewhere(backfilled):
    """The run tables' foreign keys name responses(id); a linked run's calls live in
    consortium_logs.db and its output may be in turns. Those, and nothing else, are
    what PRAGMA foreign_key_check lists."""
    conn = sqlite3.connect(backfilled.path)
    try:
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check").fetchall():
            assert parent == "responses"
            if table == "consortium_members":
                logged_in, role = conn.execute(
                    "SELECT logged_in, role FROM consortium_members WHERE rowid = ?", [rowid]).fetchone()
                assert logged_in != "logs.db" or role == "final_output"
            elif table == "consortium_runs":
                assert conn.execute("SELECT source FROM consortium_runs WHERE rowid = ?", [rowid]).fetchone() == (
                    "consortium_logs.db",)
            else:
                assert table == "consortium_backfill_review"
                kind = conn.execute("SELECT kind FROM consortium_backfill_review WHERE rowid = ?", [rowid]).fetchone()[0]
                assert kind in ("failed_run", "missing_member", "unlinked_output")
    finally:
        conn.close()


def test_a_failed_run_recorded_after_the_last_backfill_is_listed_by_the_next(era, tmp_path):
    """A failed run leaves consortium_logs.db a row and logs.db nothing: with no new row in
    logs.db, the next backfill still writes its review row."""
    path, models, truth = era
    failed = next(r for r in truth["consortium_logs"]["runs"] if r["label"] == "c8-arbiter-error")
    clogs = path.with_name("consortium_logs.db")
    shutil.copy(clogs, tmp_path / "later.db")
    # The file as llm-consortium appends to it: the failed run and its calls
    # logged last, after the first backfill read a copy without them.
    conn = sqlite3.connect(tmp_path / "later.db")
    with conn:
        conn.execute("UPDATE consortium_runs SET rowid = (SELECT max(rowid) + 1 FROM consortium_runs) WHERE id = ?",
                     [failed["run_id"]])
        for calls in ("responses", "turns"):
            if table_exists(conn, calls):
                conn.execute(f"UPDATE [{calls}] SET rowid = rowid + (SELECT coalesce(max(rowid), 0) FROM [{calls}])"
                             " WHERE id IN (SELECT response_id FROM consortium_members WHERE run_id = ?)",
                             [failed["run_id"]])
    conn.close()
    shutil.copy(tmp_path / "later.db", tmp_path / "earlier.db")
    conn = sqlite3.connect(tmp_path / "earlier.db")
    with conn:
        conn.execute("DELETE FROM consortium_runs WHERE id = ?", [failed["run_id"]])
    conn.close()
    shutil.copy(tmp_path / "earlier.db", clogs)
    backfill_with_report(path, models, tmp_path)
    listed = "SELECT kind FROM consortium_backfill_review WHERE response_id = ?"
    assert query(path, listed, [failed["run_id"]]) == []
    shutil.copy(tmp_path / "later.db", clogs)
    backfill_with_report(path, models, tmp_path)
    assert query(path, listed, [failed["run_id"]]) == [("failed_run",)]


def explained(row_id, path):
    """explain's two lines for a run or row id: what it says, and its evidence as JSON."""
    result = cli("explain", row_id, "-d", path)
    assert result.exit_code == 0, result.output
    said, evidence = result.output.splitlines()
    return said, json.loads(evidence.removeprefix("Evidence: "))


def test_explain_a_failed_run_or_missing_call_by_its_id(backfilled):
    path, truth = backfilled.path, backfilled.truth
    failed = next(r for r in truth["consortium_logs"]["runs"] if r["label"] == "c8-arbiter-error")
    said, evidence = explained(failed["run_id"], path)
    assert said == (
        f"{failed['run_id']} is a run in consortium_logs.db, listed for review: run still `running` in "
        "consortium_logs.db and no output row links to it: it failed (or a --no-log run of a build that "
        "never marks runs finished)."
    )
    assert (evidence["config_name"], evidence["prompt_start"]) == (failed["consortium"], failed["prompt"])
    missing = [(r, m) for r in truth["consortium_logs"]["runs"] for m in r["members"] if m["logged"] is False]
    if missing:
        run, member = missing[0]
        said, evidence = explained(member["response_id"], path)
        assert said == (
            f"{member['response_id']} is a call named by consortium_members, listed for review: named by "
            "consortium_members, but consortium_logs.db holds no row with this id."
        )
        assert evidence == {
            "run_id": run["run_id"], "role": "member", "iteration": member["iteration"],
            "member_index": member["member_index"],
        }
