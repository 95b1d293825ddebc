"""Stand-in for a running llm: logs a response every 10 ms until told to stop.

    python tests/log_writer.py logs.db STOP_FILE RESULT_JSON

Uses the SQL llm's log_to_db runs (a conversations row, then a responses row,
committed), with llm's own 5 s wait for a lock. Writes what it inserted and
every error it met to RESULT_JSON.
"""
import datetime
import json
import pathlib
import sqlite3
import sys
import time
import uuid

path, stop, result = sys.argv[1:4]
conn = sqlite3.connect(path, timeout=5)
inserted, errors = [], []
while not pathlib.Path(stop).exists():
    row_id = "01live" + uuid.uuid4().hex[:20]
    try:
        with conn:
            conn.execute("INSERT INTO conversations (id, name, model) VALUES (?, ?, ?)", [row_id, "live", "gpt-4o"])
            conn.execute(
                "INSERT INTO responses (id, model, prompt, response, conversation_id, datetime_utc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [row_id, "gpt-4o", "still logging", "yes", row_id, datetime.datetime.now(datetime.timezone.utc).isoformat()],
            )
        inserted.append(row_id)
    except sqlite3.Error as error:
        errors.append(str(error))
    time.sleep(0.01)
pathlib.Path(result).write_text(json.dumps({"inserted": inserted, "errors": errors}))
