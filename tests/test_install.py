"""Running from a clone: a Python without the project's dependencies says how to run it.
(Installing with pip and with llm install is checked by .ci/package-check.)"""
import pathlib
import subprocess
import sys

import backfill

SCRIPT = pathlib.Path(backfill.__file__).resolve()


def test_backfill_py_outside_the_venv_says_what_to_do():
    # As if this Python had no sqlite-utils: the README's first complaint.
    code = (
        "import sys; sys.modules['sqlite_utils'] = None; "
        f"sys.argv = ['backfill.py', '--help']; exec(open({str(SCRIPT)!r}).read())"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SCRIPT.parent)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "backfill.py needs sqlite_utils, which this Python lacks: run `make venv`, then "
        ".venv/bin/python backfill.py ..., or install the command: pip install . (README, Install)"
    ]
