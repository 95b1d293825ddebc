"""Against logs.db files written by the real llm and the 2025 git builds of
llm-consortium (tests/fixtures/llm0.2*-<commit>, families/builds2025.py)."""
from conftest import grouped, run_backfill


def test_no_row_of_a_git_build_is_grouped_wrongly(build_db):
    """Whatever the backfill groups, it groups with the rows of one recorded run."""
    path, models, truth = build_db
    result = run_backfill(path, models)
    assert result.exit_code == 0, result.output
    rows = grouped(path)
    run_of = {row["id"]: run["label"] for run in truth["runs"] for row in run["rows"]}
    by_group = {}
    for response_id, (consortium_id, _) in rows.items():
        by_group.setdefault(consortium_id, set()).add(run_of.get(response_id, "plain"))
    assert all(len(labels) == 1 and "plain" not in labels for labels in by_group.values()), by_group
