"""The summary a person reads in five seconds: what was done or would be, flags named as
flags, what was left for review with the command to run next, every file written."""
import json
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
    assert "Runs skipped, left for review: 2" in lines
    assert "Arbiter rows in no run (llm consortium run, failed runs), left for review: 10" in lines
    assert f"Backup: {tmp_path / 'backup.db'}" in lines and f"Report: {report}" in lines
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
