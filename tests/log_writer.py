"""Stand-in for a running llm: logs a row every few ms until told to stop.

    python tests/log_writer.py logs.db STOP_FILE RESULT_JSON

Most rows are plain prompts; every few rows it logs a whole consortium run
(two members, the arbiter, the output row of the saved consortium `cons`),
one row at a time, as llm-consortium 0.5 does. Each row is one transaction
the way llm's log_to_db writes it (a conversations row, then the responses
row), with llm's own 5 s wait for a lock. It stops between two activities,
so every run it logged is complete. Writes what it inserted, the runs, and
every error it met to RESULT_JSON.
"""
import datetime
import json
import pathlib
import random
import sqlite3
import sys
import time
import uuid

from builder import arbiter_prompt, arbiter_response

path, stop, result = sys.argv[1:4]
conn = sqlite3.connect(path, timeout=5)
inserted, runs, errors = [], [], []


def log(model, prompt, response):
    row_id = "01live" + uuid.uuid4().hex[:20]
    try:
        with conn:
            conn.execute("INSERT INTO conversations (id, name, model) VALUES (?, ?, ?)", [row_id, "live", model])
            conn.execute(
                "INSERT INTO responses (id, model, prompt, response, conversation_id, datetime_utc)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [row_id, model, prompt, response, row_id, datetime.datetime.now(datetime.timezone.utc).isoformat()],
            )
    except sqlite3.Error as error:
        errors.append(str(error))
        return None
    inserted.append(row_id)
    time.sleep(random.uniform(0.002, 0.008))
    return row_id


def consortium_run(n):
    question = f"Live question {n} {uuid.uuid4().hex}"
    answers = [("a", f"live a {n} {uuid.uuid4().hex}"), ("b", f"live b {n} {uuid.uuid4().hex}")]
    members = [log(model, f"<prompt>\n    <instruction>{question}</instruction>\n</prompt>", text) for model, text in answers]
    synthesis = f"live synthesis {n}"
    final = log("stub-arbiter", arbiter_prompt(question, answers), arbiter_response(synthesis))
    output = log("cons", question, synthesis)
    runs.append({"members": members, "final": final, "output": output})


n = 0
while not pathlib.Path(stop).exists():
    n += 1
    if n % 4 == 0:
        consortium_run(n)
    else:
        log("gpt-4o", "still logging", "yes")
pathlib.Path(result).write_text(json.dumps({"inserted": inserted, "runs": runs, "errors": errors}))
