"""Hand-made logs.db rows for the edge cases the real packages cannot produce.

The schema is llm's own, taken from a database the real llm wrote
(tests/fixtures); rows follow llm-consortium 0.5's formats (FORMATS.md).
"""
import datetime
import pathlib
import shutil
import sqlite3

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
START = datetime.datetime(2025, 4, 19, 15, 0, 0, tzinfo=datetime.timezone.utc)


def schema_source():
    return sorted(FIXTURES.glob("*/logs.db"))[0]


def arbiter_prompt(original, responses, history=()):
    """An arbiter prompt as llm-consortium 0.5 fills its template."""
    formatted = "\n".join(
        f"""<model_response>
            <model>{model}</model>
            <instance>1</instance>
            <confidence>0.5</confidence>
            <response>{text}</response>
        </model_response>"""
        for model, text in responses
    )
    iterations = []
    for number, (members, synthesis) in enumerate(history, start=1):
        lines = "\n".join(f"<model_response>{model}: {text}</model_response>" for model, text in members)
        iterations.append(
            f"""<iteration>
            <iteration_number>{number}</iteration_number>
            <model_responses>
                {lines}
            </model_responses>
            <synthesis>{synthesis}</synthesis>
            <confidence>0.3</confidence>
            <refinement_areas>
                <area>more detail</area>
            </refinement_areas>
        </iteration>"""
        )
    history_text = "\n".join(iterations) or (
        "<no_previous_iterations>No previous iterations available.</no_previous_iterations>"
    )
    return f"""<arbiter_prompt>
    <user_instructions></user_instructions>
    <original_prompt>{original}</original_prompt>
    <model_responses>
        {formatted}
    </model_responses>
    <iteration_history>
        {history_text}
    </iteration_history>
</arbiter_prompt>

Please follow these steps to complete your task:
<synthesis_output><synthesis>[Your synthesized response here.]</synthesis></synthesis_output>"""


def arbiter_response(synthesis, confidence=0.9):
    return (
        f"<thought_process>Weighing answers.</thought_process>\n<synthesis_output>\n"
        f"<synthesis>\n{synthesis}\n</synthesis>\n<confidence>{confidence}</confidence>\n"
        f"<needs_iteration>false</needs_iteration>\n</synthesis_output>"
    )


class LogsDB:
    """A fresh logs.db with llm's schema, and helpers that log rows like llm does."""

    def __init__(self, path, with_user_columns=False):
        self.path = pathlib.Path(path)
        shutil.copy(schema_source(), self.path)
        self.conn = sqlite3.connect(self.path)
        # Test databases only: no fsync per logged row.
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.executescript(
            "DELETE FROM responses; DELETE FROM conversations; DROP TABLE IF EXISTS consortium_configs;"
        )
        if with_user_columns:
            self.conn.executescript(
                "ALTER TABLE responses ADD COLUMN consortium_id TEXT;"
                "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;"
                "CREATE INDEX idx_consortium_id ON responses (consortium_id);"
            )
        self.conn.commit()
        self.clock = START
        self.count = 0

    def log(self, model, prompt, response, seconds=5, **extra):
        """Insert one row; returns its id. seconds: time since the previous row started."""
        self.clock += datetime.timedelta(seconds=seconds)
        self.count += 1
        row = dict(
            id=f"01js{self.count:022d}",
            model=model,
            prompt=prompt,
            response=response,
            datetime_utc=self.clock.isoformat(),
            conversation_id=f"conv{self.count}",
        )
        row.update(extra)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        self.conn.execute(f"INSERT INTO responses ({columns}) VALUES ({marks})", list(row.values()))
        self.conn.commit()
        return row["id"]

    def run(self, name, question, iterations, arbiter="stub-arbiter", output=True, seconds=5):
        """A saved-consortium run: members and arbiter per iteration, then the output row.

        iterations: a list of [(model, answer), ...], one list per iteration.
        Returns {"members": [...], "intermediate": [...], "final": id, "output": id or None}.
        """
        ids = {"members": [], "intermediate": [], "final": None, "output": None}
        history = []
        # llm logs the output row with the time the whole run started.
        started = (self.clock + datetime.timedelta(seconds=seconds)).isoformat()
        for number, members in enumerate(iterations, start=1):
            for model, answer in members:
                ids["members"].append(
                    self.log(model, f"<prompt>\n    <instruction>{question}</instruction>\n</prompt>", answer, seconds)
                )
            synthesis = f"{name} synthesis {number} of {question}"
            arbiter_id = self.log(
                arbiter, arbiter_prompt(question, members, history), arbiter_response(synthesis), seconds
            )
            history.append((members, synthesis))
            if number < len(iterations):
                ids["intermediate"].append(arbiter_id)
            else:
                ids["final"] = arbiter_id
        if output:
            ids["output"] = self.log(name, question, synthesis, seconds, datetime_utc=started)
        return ids

    def rows(self):
        """id -> (consortium_id, is_arbiter_response)."""
        return {
            row[0]: (row[1], row[2])
            for row in self.conn.execute("SELECT id, consortium_id, is_arbiter_response FROM responses")
        }
