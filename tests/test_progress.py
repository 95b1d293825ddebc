"""Progress on stderr: a moving bar on a terminal, one line per phase in a pipe, nothing with --quiet."""
import os
import pty
import re
import shutil
import subprocess
import sys

from builder import FIXTURES
from conftest import cli, grouped

EXAMPLE = FIXTURES / "llm0.25-c0.5"
PHASES = ["Reading runs", "Reading rows", "Matching", "Backing up", "Writing"]


def example(tmp_path):
    path = tmp_path / "logs.db"
    shutil.copy(EXAMPLE / "logs.db", path)
    return path


def test_a_pipe_gets_one_line_per_phase_with_its_time(tmp_path):
    path = example(tmp_path)
    result = cli("backfill", "-d", path, "-m", EXAMPLE / "consortium_models.txt",
                 "--backup-path", tmp_path / "backup.db")
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert [line.split(":")[0] for line in lines] == PHASES
    assert all(re.fullmatch(r"[A-Za-z ]+: (\d[\d,]* (rows|runs|MB) in )?\d+\.\d s", line) for line in lines), lines
    assert "Reading rows: 103 rows in" in lines[1]
    assert not any(phase in result.stdout for phase in PHASES)


def test_quiet_prints_nothing_and_still_backfills(tmp_path):
    path = example(tmp_path)
    result = cli("backfill", "-q", "-d", path, "-m", EXAMPLE / "consortium_models.txt", "--no-backup")
    assert result.exit_code == 0 and result.output == ""
    assert len(grouped(path)) == 77


def test_a_terminal_gets_moving_bars_with_counts_and_rates(tmp_path):
    path = example(tmp_path)
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, str(FIXTURES.parent.parent / "backfill.py"), "backfill", "-d", str(path),
         "-m", str(EXAMPLE / "consortium_models.txt"), "--no-backup"],
        stdout=subprocess.PIPE, stderr=secondary, env=dict(os.environ, COLUMNS="120"),
    )
    os.close(secondary)
    stdout, _ = process.communicate(timeout=60)
    screen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        screen += chunk
    os.close(main)
    assert process.returncode == 0
    screen = screen.decode()
    # Each bar is redrawn in place (\r) from empty to full, with its count and rate.
    assert "Reading rows" in screen and "0/103" in screen and "103/103" in screen
    assert re.search(r"\[#+\]\s+103/103\s+100%\s+[\d,]+ rows/s", screen), screen
    assert screen.count("\r") >= 8
    assert b"Runs grouped: 10" in stdout
