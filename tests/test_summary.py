"""The summary a person reads in five seconds: what was done or would be, flags named as
flags, what was left for review with the command to run next, every file written."""
import json
import re
import shlex
import shutil
import subprocess
import sys

from builder import FIXTURES
from conftest import cli

SKIPPING = FIXTURES / "llm0.24-c0.3"  # two runs skipped, ten arbiter rows in no run
BACKFILL = [sys.executable, str(FIXTURES.parent.parent / "backfill.py")]


def copy(tmp_path, name="my logs.db"):
    path = tmp_path / name
    shutil.copy(SKIPPING / "logs.db", path)
    return path


def summary(result):
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


def test_a_dry_run_says_what_it_would_do(tmp_path):
    lines = summary(cli("backfill", "--dry-run", "-d", copy(tmp_path), "-m", SKIPPING / "consortium_models.txt"))
    assert lines[0].endswith("(dry run: nothing written)")
    assert lines[1:6] == [
        "Runs to group: 9",
        "Rows to update: 76, by is_arbiter_response flag:",
        "  flag 0, member or final output: 57 (48 members, 9 final outputs)",
        "  flag 1, final arbiter: 9",
        "  flag 2, intermediate arbiter: 10",
    ]
    assert not any(line.startswith(("Runs grouped", "Rows updated", "Backup")) for line in lines)
    assert "  the same command without --dry-run   (writes it, after a backup)" in lines


def test_what_is_left_for_review_ends_with_commands_that_work_as_printed(tmp_path):
    path = copy(tmp_path)
    report = tmp_path / "review.json"
    result = cli("backfill", "-d", path, "-m", SKIPPING / "consortium_models.txt",
                 "--backup-path", tmp_path / "backup.db", "--report", report)
    lines = summary(result)
    assert lines[lines.index("Runs skipped, left for review: 2"):lines.index("Next:")] == [
        "Runs skipped, left for review: 2",
        "  original prompt does not match: 1",
        "  previous row is another output: 1",
        "Arbiter rows in no run (llm consortium run, failed runs), left for review: 10",
        "consortium_logs.db: none found (runs of llm-consortium 0.8+ cannot be linked)",
        f"Backup: {tmp_path / 'backup.db'}",
        f"Report: {report}",
        "Pass: full, every row (first backfill of this database)",
    ]
    steps = lines[lines.index("Next:") + 1:-1]
    assert [step.split("   (")[0].split()[1] for step in steps] == ["browse", "explain", "backfill"]
    # Copied from the summary, with a row id from the report, explain runs as printed.
    skipped = next(row["response_id"] for row in json.loads(report.read_text())["review"]
                   if row["kind"] == "skipped_run")
    explain = shlex.split(steps[1].split("   (")[0].replace("ROW_ID", skipped))
    done = subprocess.run([*BACKFILL, *explain[1:]], capture_output=True, text=True)
    assert done.returncode == 0 and "is in no run" in done.stdout, done.stdout + done.stderr
    orphans = shlex.split(steps[2].split("   (")[0])
    done = subprocess.run([*BACKFILL, *orphans[1:], "--no-backup"], capture_output=True, text=True)
    assert done.returncode == 0 and "arbiter chains with no output row (--include-orphans)" in done.stdout


def test_a_second_run_says_there_was_nothing_new(tmp_path):
    path = copy(tmp_path)
    cli("backfill", "-d", path, "-m", SKIPPING / "consortium_models.txt", "--no-backup")
    lines = summary(cli("backfill", "-d", path, "-m", SKIPPING / "consortium_models.txt", "--no-backup"))
    assert lines[1] == "Nothing new: no run left to group (9 output rows grouped before)."
    assert not any(line.startswith(("Runs grouped", "Rows updated", "Backup")) for line in lines)


ERA08 = FIXTURES / "llm0.36-c0.8"  # runs in logs.db prompts and in consortium_logs.db, outputs in both tables


def test_the_whole_summary_of_a_file_of_both_eras(tmp_path):
    for name in ("logs.db", "consortium_logs.db"):
        shutil.copy(ERA08 / name, tmp_path / name)
    path, models = tmp_path / "logs.db", ERA08 / "consortium_models.txt"
    counts = [
        "  recovered from prompts in logs.db: 10",
        "  linked from consortium_logs.db: 10",
        "    by name, prompt, time and text: 10",
        "{}: 77, by is_arbiter_response flag:",
        "  flag 0, member or final output: 57 (47 members, 10 final outputs)",
        "  flag 1, final arbiter: 10",
        "  flag 2, intermediate arbiter: 10",
        "Arbiter rows in no run (llm consortium run, failed runs), left for review: 7",
        f"consortium_logs.db: {tmp_path / 'consortium_logs.db'} (14 runs)",
        "Consortium output rows: 22 (10 in responses, 12 in turns) = 0 grouped before + 20 grouped now + "
        "0 skipped + 2 not linked, for review",
        "consortium_logs.db review (failed_run): 1",
        "consortium_logs.db review (missing_member): 31",
        "consortium_logs.db review (unlinked_output): 2",
        "Pass: full, every row (first backfill of this database)",
        "Next:",
    ]
    explain = f"  cli explain ROW_ID -d {path} -m {models}   (why that row is in no run)"
    orphans = f"  cli backfill -d {path} -m {models} --include-orphans   (a run for each chain of arbiter rows)"
    lines = summary(cli("backfill", "--dry-run", "-d", path, "-m", models))
    assert lines[lines.index(f"Database: {path}  (dry run: nothing written)"):-1] == [
        f"Database: {path}  (dry run: nothing written)", "Runs to group: 20",
        *counts[:3], counts[3].format("Rows to update"), *counts[4:],
        "  the same command without --dry-run   (writes it, after a backup)", explain, orphans,
    ]
    lines = summary(cli("backfill", "--no-backup", "-d", path, "-m", models))
    assert lines[lines.index(f"Database: {path}"):-1] == [
        f"Database: {path}", "Runs grouped: 20",
        *counts[:3], counts[3].format("Rows updated"), *counts[4:],
        f"  cli browse -d {path}   (the review page: each row and its evidence)", explain, orphans,
    ]
    assert re.fullmatch(r"Time: \d+\.\d\d s", lines[-1])
