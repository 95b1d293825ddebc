#!/usr/bin/env python3
"""The author's own logs.db, the way it came to be (ERAS.md, "The author's own file").

    python tests/realdata/author_history.py OUT.db [--record OUT.json] [--rebuild]

Starts from real-package fixtures (tests/fixtures/) and replays what the
author's transcripts show happened to his file before this tool existed:

1. columns of his own, by hand: human_vote, human_note, bookmark, session_id,
   consortium_id, is_arbiter_response INTEGER DEFAULT 0 (+ idx_consortium_id);
2. rows logged over months: llm 0.24 + llm-consortium 0.4 (from 2025-01-31),
   llm 0.25 + 0.5 and llm 0.27 + 0.5 (April);
3. the forward scan: every row up to a consortium output row gets that
   output's model name as consortium_id (rows logged later keep NULL);
4. more rows: the 13fca2a rows of tests/fixtures/author-rows (a consortium
   used as another's arbiter, a coding agent's look-alikes); then an import:
   older rows (llm 0.24 + 0.3, from 2025-01-30) appended at the end of rowid
   order through a `temp_import` table that stays behind;
5. the plan of original-plan.txt, run once as written: rows ordered by id,
   each output paired with the row before it, 40-hex ids in the style of the
   PyPI package `ksuid`, members searched among rows still NULL;
6. the LIKE tagging: is_arbiter_response = 1 where response LIKE '%<synthesis_output>%';
7. a few blank strings;
8. consortium_group_id TEXT, "consortium_YYYYmmddHHMMSS_rowid" on rows flagged 1;
9. with --rebuild, June's rebuild: the table made again in quoted-identifier
   style, options_json BLOB, human_vote and human_note gone.

His models file lacks one name that has output rows (`gbloom` in his file,
`same-pair` here); consortium_configs names it.

Rows are moved in time (ids and datetime_utc together, the gaps between one
command and the next stretched to minutes or hours), so that the blocks sit
where his did. The record (--record) says what every step did, row by row,
with the truth of every run in the new ids: tests assert against it.
Deterministic: the same inputs give the same file.
"""
import argparse
import datetime
import json
import random
import re
import shutil
import sqlite3
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parent / "fixtures"

# Pauses between one command and the next, in turn (seconds): his rows show
# runs minutes to hours apart.
GAPS = [420, 9360, 1500, 17280, 95, 2400, 610, 3700]
# llm >= 0.26 mints an output row's id when its run starts: ordered by id, as
# the plan orders them, the row before it is whatever was logged before the
# run. After a pause of 2.6 h and one of 4.8 h, that gives the plan false
# links as far apart as his.
LATE_GAPS = [9360, 300, 17280, 600, 1200, 240, 1800, 420, 2400, 90, 660, 1500]
# (name, fixture, first row's new time, pauses): in rowid order; the import comes last.
BLOCKS = [
    ("february", "llm0.24-c0.4", "2025-01-31T08:12:40", GAPS),
    ("april", "llm0.25-c0.5", "2025-04-13T09:30:05", GAPS),
    ("llm-0.27", "llm0.27-c0.5", "2025-04-17T10:40:52", LATE_GAPS),
    ("family-c", "author-rows", "2025-04-19T16:02:11", GAPS),
]
IMPORTED = ("import", "llm0.24-c0.3", "2025-01-30T21:47:03", GAPS)
MISSING_NAME = "same-pair"  # in consortium_configs, not in his models file
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
KSUID_EPOCH = 1400000000
PLAN_RUN_AT = datetime.datetime(2025, 4, 19, 18, 5, tzinfo=datetime.timezone.utc)


def decode_ulid_ms(text):
    value = 0
    for char in text[:10].lower():
        value = value * 32 + CROCKFORD.index(char)
    return value


def encode_ulid_ms(ms):
    chars = []
    for _ in range(10):
        chars.append(CROCKFORD[ms % 32])
        ms //= 32
    return "".join(reversed(chars))


def parse_time(text):
    moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def format_time(moment, like):
    """llm's own format: ISO 8601, with +00:00 when the original had it."""
    text = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None).isoformat()
    return text + "+00:00" if like.endswith("+00:00") else text


def load_truth(fixture):
    folder = FIXTURES / fixture
    path = folder / "truth.json" if (folder / "truth.json").exists() else folder / "author_truth.json"
    return json.loads(path.read_text())


def step_labels(truth):
    """rowid -> the label of the command that logged it."""
    labels = {}
    for run in truth["runs"]:
        for row in run["rows"]:
            labels.setdefault(row["rowid"], run["label"])
    for row in truth.get("plain_rows", []) + [r for r in truth.get("plain", []) if isinstance(r, dict)]:
        labels[row["rowid"]] = row.get("label", f"plain-{row['rowid']}")
    for row in truth.get("look_alikes", []):
        labels[row["rowid"]] = "agent-session"
    return labels


def shifts(rows, truth, start, gaps):
    """rowid -> milliseconds to add: the block starts at `start`, and a pause
    from `gaps` goes in before each command whose rows do not overlap the last."""
    labels = step_labels(truth)
    last_row = {}
    for row in rows:
        last_row[labels[row["rowid"]]] = row["rowid"]
    first = parse_time(rows[0]["datetime_utc"])
    base = int((parse_time(start) - first).total_seconds() * 1000)
    extra, seen, open_labels, result = 0, set(), set(), {}
    for row in rows:
        label = labels[row["rowid"]]
        if label not in seen and seen and not open_labels:
            extra += next(gaps) * 1000
        seen.add(label)
        open_labels.add(label)
        result[row["rowid"]] = base + extra
        if last_row[label] == row["rowid"]:
            open_labels.discard(label)
    return result


def moved_rows(fixture, start, gaps):
    """A fixture's responses rows moved to start at `start`: (rows, id map)."""
    truth = load_truth(fixture)
    conn = sqlite3.connect(f"file:{FIXTURES / fixture / 'logs.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT rowid, * FROM responses ORDER BY rowid")]
    extra = {
        table: [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]
        for table in ("conversations", "consortium_configs")
    }
    conn.close()
    delta = shifts(rows, truth, start, gaps)
    id_map = {}
    for row in rows:
        ms = delta[row["rowid"]]
        new_id = encode_ulid_ms(decode_ulid_ms(row["id"]) + ms) + row["id"][10:]
        id_map[row["id"]] = new_id
        row["id"] = new_id
        moment = parse_time(row["datetime_utc"]) + datetime.timedelta(milliseconds=ms)
        row["datetime_utc"] = format_time(moment, row["datetime_utc"])
    for row in rows:
        # The output row's response_json names the row itself ({"$": "r:<id>"}).
        if row["response_json"]:
            row["response_json"] = re.sub(
                r"\b[0-9a-hjkmnp-tv-z]{26}\b", lambda m: id_map.get(m.group(), m.group()), row["response_json"]
            )
    return rows, id_map, truth, extra


def renamed_truth(truth, id_map, block, rowids):
    """The fixture's runs and plain rows in their new ids and rowids."""

    def move(entry):
        new_id = id_map[entry["id"]]
        return dict(entry, id=new_id, rowid=rowids[new_id], block=block)

    runs = []
    for run in truth["runs"]:
        runs.append(dict(run, label=f"{block}:{run['label']}", block=block, rows=[move(e) for e in run["rows"]]))
        if "parent" in run:
            runs[-1]["parent"] = f"{block}:{run['parent']}"
        if "arbiter_runs" in run:
            runs[-1]["arbiter_runs"] = [f"{block}:{label}" for label in run["arbiter_runs"]]
    plain = truth.get("plain_rows") or [r for r in truth.get("plain", []) if isinstance(r, dict)]
    return {
        "runs": runs,
        "plain": [move(e) for e in plain],
        "look_alikes": [move(e) for e in truth.get("look_alikes", [])],
    }


def insert_rows(conn, table, rows, columns):
    names = [c for c in columns if c in rows[0]]
    conn.executemany(
        f"INSERT INTO [{table}] ({', '.join(f'[{c}]' for c in names)}) VALUES ({', '.join('?' * len(names))})",
        [[row[c] for c in names] for row in rows],
    )


def insert_extras(conn, extra):
    for table, rows in extra.items():
        if rows:
            columns = list(rows[0])
            conn.executemany(
                f"INSERT OR IGNORE INTO [{table}] ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [[row[c] for c in columns] for row in rows],
            )


class History:
    def __init__(self, path, seed=20250419):
        self.path = Path(path)
        self.random = random.Random(seed)
        self.record = {"steps": [], "runs": [], "plain": [], "look_alikes": [], "blocks": []}

    def step(self, name, **facts):
        self.record["steps"].append(dict(step=name, **facts))

    def build(self, rebuild=False):
        self.path.unlink(missing_ok=True)
        base = BLOCKS[0][1]
        shutil.copyfile(FIXTURES / base / "logs.db", self.path)
        conn = sqlite3.connect(self.path, isolation_level=None)
        # A fixture being made: no fsync per statement (not kept in the file).
        conn.execute("PRAGMA synchronous = OFF")
        self.conn = conn
        self.llm_columns = [r[1] for r in conn.execute("PRAGMA table_info(responses)")]
        conn.execute("DELETE FROM responses")
        conn.execute("DELETE FROM conversations")
        self.hand_columns()
        *earlier, latest = BLOCKS
        for block in earlier:
            self.add_block(*block, "responses")
        self.names = self.models_file()
        # The forward scan ran before the last rows were logged and imported.
        self.forward_scan()
        self.add_block(*latest, "responses")
        self.import_block(*IMPORTED)
        self.names = self.models_file()
        self.plan()
        self.like_tagging()
        self.blank_strings()
        self.group_ids()
        if rebuild:
            self.rebuild()
        self.record["foreign"] = self.foreign_values()
        self.record["columns"] = [r[1] for r in conn.execute("PRAGMA table_info(responses)")]
        conn.close()
        return self.record

    # -- 1. his own columns
    def hand_columns(self):
        self.conn.executescript(
            """
            ALTER TABLE responses ADD COLUMN human_vote INTEGER;
            ALTER TABLE responses ADD COLUMN human_note TEXT;
            ALTER TABLE responses ADD COLUMN bookmark INTEGER;
            ALTER TABLE responses ADD COLUMN session_id TEXT;
            ALTER TABLE responses ADD COLUMN consortium_id TEXT;
            ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;
            CREATE INDEX idx_consortium_id ON responses (consortium_id);
            """
        )
        self.step("hand_columns", columns=["human_vote", "human_note", "bookmark", "session_id",
                                           "consortium_id", "is_arbiter_response"])

    # -- 2. and 3. rows, then the import
    def add_block(self, name, fixture, start, gaps, table):
        rows, id_map, truth, extra = moved_rows(fixture, start, iter(gaps * 100))
        offset = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM responses").fetchone()[0]
        for row in rows:
            # His own columns, on some rows: votes, a note, bookmarks, sessions.
            pick = self.random.random()
            row["session_id"] = f"session-{name}-{row['rowid'] // 25}"
            row["human_vote"] = 1 if pick < 0.05 else -1 if pick < 0.08 else None
            row["bookmark"] = 1 if pick > 0.95 else None
            row["human_note"] = "checked by hand" if 0.5 < pick < 0.52 else None
        insert_rows(self.conn, table, rows, self.llm_columns + ["human_vote", "human_note", "bookmark", "session_id"])
        insert_extras(self.conn, extra)
        if table == "temp_import":
            self.conn.execute("INSERT INTO responses SELECT * FROM temp_import ORDER BY rowid")
        rowids = dict(self.conn.execute("SELECT id, rowid FROM responses WHERE rowid > ?", [offset]))
        moved = renamed_truth(truth, id_map, name, rowids)
        for key in ("runs", "plain", "look_alikes"):
            self.record[key] += moved[key]
        last = self.conn.execute("SELECT max(rowid) FROM responses").fetchone()[0]
        self.record["blocks"].append({"name": name, "fixture": fixture, "rowids": [offset + 1, last],
                                      "first_datetime": rows[0]["datetime_utc"],
                                      "last_datetime": rows[-1]["datetime_utc"]})

    def import_block(self, name, fixture, start, gaps):
        self.conn.execute("CREATE TABLE temp_import AS SELECT * FROM responses WHERE 0")
        self.add_block(name, fixture, start, gaps, "temp_import")
        self.step("import", block=name, table="temp_import", rowids=self.record["blocks"][-1]["rowids"])

    def models_file(self):
        names = {row[0] for row in self.conn.execute("SELECT name FROM consortium_configs")}
        names.discard(MISSING_NAME)
        self.record["models_file"] = sorted(names)
        return names

    def rows(self, order="rowid"):
        self.conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in self.conn.execute(f"SELECT rowid AS rid, * FROM responses ORDER BY {order}")]
        finally:
            self.conn.row_factory = None

    def set_values(self, updates):
        """[(id, column, value)] in one transaction."""
        self.conn.execute("BEGIN")
        for row_id, column, value in updates:
            self.conn.execute(f"UPDATE responses SET [{column}] = ? WHERE id = ?", [value, row_id])
        self.conn.execute("COMMIT")

    # -- 4. the forward scan
    def forward_scan(self):
        pending, written = [], {}
        for row in self.rows():
            pending.append(row["id"])
            if row["model"] in self.names:
                written.update(dict.fromkeys(pending, row["model"]))
                pending = []
        self.set_values([(i, "consortium_id", name) for i, name in written.items()])
        self.step("forward_scan", written=written, left_null=pending)

    # -- 5. the plan of original-plan.txt, as written
    def ksuid_hex(self, moment):
        """A 40-hex id as the PyPI package `ksuid` prints one: 4 bytes of seconds
        since 2014-05-13, 16 random bytes."""
        seconds = int(moment.timestamp()) - KSUID_EPOCH
        return seconds.to_bytes(4, "big").hex() + self.random.getrandbits(128).to_bytes(16, "big").hex()

    def plan(self):
        records = self.rows(order="id")
        updates, groups, invalid = {}, [], []
        for i, output in enumerate(records):
            if output["model"] not in self.names:
                continue
            previous = records[i - 1] if i > 0 else None
            if previous is None or previous["model"] in self.names:
                invalid.append(output["id"])
                continue
            consortium_id = self.ksuid_hex(PLAN_RUN_AT)
            updates[output["id"]] = (consortium_id, 0)
            updates[previous["id"]] = (consortium_id, 1)
            groups.append((consortium_id, previous, output))
        # Phase 2 reads the database as it was: phase 3 writes everything at the end.
        for consortium_id, arbiter, _ in groups:
            snippets = plan_snippets(arbiter["prompt"] or "")
            end = parse_time(arbiter["datetime_utc"]).replace(tzinfo=None)
            start = end - datetime.timedelta(hours=1)
            for candidate in sorted(records, key=lambda r: r["id"], reverse=True):
                if candidate["id"] >= arbiter["id"] or candidate["consortium_id"] is not None:
                    continue
                moment = parse_time(candidate["datetime_utc"]).replace(tzinfo=None)
                if not start.replace(microsecond=0) <= moment.replace(microsecond=0) <= end.replace(microsecond=0):
                    continue
                if "<arbiter_prompt>" in (candidate["prompt"] or ""):
                    updates[candidate["id"]] = (consortium_id, 2)
                elif snippets and candidate["response"] in snippets:
                    updates[candidate["id"]] = (consortium_id, 0)
        self.set_values([(i, "consortium_id", c) for i, (c, _) in updates.items()]
                        + [(i, "is_arbiter_response", f) for i, (_, f) in updates.items()])
        false_links = []
        truth_pairs = {
            next(r["id"] for r in run["rows"] if r["role"] == "final_output"):
            next((r["id"] for r in run["rows"] if r["role"] == "final_arbiter"), None)
            for run in self.record["runs"] if any(r["role"] == "final_output" for r in run["rows"])
        }
        for consortium_id, arbiter, output in groups:
            if truth_pairs.get(output["id"]) != arbiter["id"]:
                hours = (parse_time(output["datetime_utc"]) - parse_time(arbiter["datetime_utc"])).total_seconds() / 3600
                false_links.append({"output": output["id"], "paired_with": arbiter["id"],
                                    "hours_apart": round(hours, 2)})
        self.step("plan", written={i: list(v) for i, v in updates.items()}, invalid=invalid,
                  false_links=false_links, runs=len(groups))

    # -- 6. the LIKE tagging
    def like_tagging(self):
        tagged = [r[0] for r in self.conn.execute(
            "SELECT id FROM responses WHERE response LIKE '%<synthesis_output>%' ORDER BY rowid")]
        self.conn.execute("UPDATE responses SET is_arbiter_response = 1 WHERE response LIKE '%<synthesis_output>%'")
        self.step("like_tagging", written=tagged)

    # -- 7. blank strings
    def blank_strings(self):
        member = next(r["id"] for run in self.record["runs"] if run["label"] == "april:iter2"
                      for r in run["rows"] if r["role"] == "member")
        tail = [r[0] for r in self.conn.execute(
            "SELECT id FROM responses WHERE consortium_id IS NULL AND is_arbiter_response IS NOT 1"
            " ORDER BY rowid DESC LIMIT 3")]
        chosen = [member] + tail
        self.set_values([(i, "consortium_id", "") for i in chosen])
        self.step("blank_strings", written=chosen)

    # -- 8. consortium_group_id
    def group_ids(self):
        self.conn.execute("ALTER TABLE responses ADD COLUMN consortium_group_id TEXT")
        self.conn.execute(
            "UPDATE responses SET consortium_group_id = 'consortium_' || strftime('%Y%m%d%H%M%S', datetime_utc)"
            " || '_' || rowid WHERE is_arbiter_response = 1"
        )
        written = dict(self.conn.execute(
            "SELECT id, consortium_group_id FROM responses WHERE consortium_group_id IS NOT NULL"))
        self.step("consortium_group_id", written=written)

    # -- 9. June's rebuild
    def rebuild(self):
        columns = [c for c in (r[1] for r in self.conn.execute("PRAGMA table_info(responses)"))
                   if c not in ("human_vote", "human_note")]
        types = {r[1]: r[2] for r in self.conn.execute("PRAGMA table_info(responses)")}
        types["options_json"] = "BLOB"
        definitions = ",\n    ".join(
            f'"{c}" {types[c] or "TEXT"}'
            + (" PRIMARY KEY" if c == "id" else "")
            + (" DEFAULT 0" if c == "is_arbiter_response" else "")
            for c in columns
        )
        quoted = ", ".join(f'"{c}"' for c in columns)
        self.conn.executescript(
            f"""
            BEGIN;
            CREATE TABLE "responses_new" (
                {definitions}
            );
            INSERT INTO "responses_new" ({quoted}) SELECT {quoted} FROM "responses" ORDER BY rowid;
            DROP TABLE "responses";
            ALTER TABLE "responses_new" RENAME TO "responses";
            CREATE INDEX "idx_consortium_id" ON "responses" ("consortium_id");
            CREATE TRIGGER "responses_ai" AFTER INSERT ON "responses" BEGIN
              INSERT INTO "responses_fts" (rowid, "prompt", "response") VALUES (new.rowid, new."prompt", new."response");
            END;
            CREATE TRIGGER "responses_ad" AFTER DELETE ON "responses" BEGIN
              INSERT INTO "responses_fts" ("responses_fts", rowid, "prompt", "response") VALUES('delete', old.rowid, old."prompt", old."response");
            END;
            CREATE TRIGGER "responses_au" AFTER UPDATE ON "responses" BEGIN
              INSERT INTO "responses_fts" ("responses_fts", rowid, "prompt", "response") VALUES('delete', old.rowid, old."prompt", old."response");
              INSERT INTO "responses_fts" (rowid, "prompt", "response") VALUES (new.rowid, new."prompt", new."response");
            END;
            INSERT INTO "responses_fts" ("responses_fts") VALUES ('rebuild');
            COMMIT;
            """
        )
        # Rowids are numbered afresh in the old order.
        new_rowids = dict(self.conn.execute("SELECT id, rowid FROM responses"))
        for entry in [e for run in self.record["runs"] for e in run["rows"]] + self.record["plain"] + self.record["look_alikes"]:
            entry["rowid"] = new_rowids[entry["id"]]
        self.step("rebuild", dropped=["human_vote", "human_note"], options_json="BLOB", style="quoted identifiers")

    def foreign_values(self):
        """Every value left by the steps above, as the file stands: id -> [consortium_id, is_arbiter_response].

        A flag left NULL is no value (rows copied through temp_import, a table
        made without the column's DEFAULT 0, hold NULL).
        """
        return {
            row_id: [consortium_id, flag]
            for row_id, consortium_id, flag in self.conn.execute(
                "SELECT id, consortium_id, is_arbiter_response FROM responses"
                " WHERE consortium_id IS NOT NULL OR is_arbiter_response IS NOT NULL AND is_arbiter_response != 0"
                " ORDER BY rowid")
        }


def plan_snippets(prompt_text):
    """The plan's Phase 2 parser: ElementTree on <arbiter_prompt>, member <response> texts."""
    match = re.search(r"<arbiter_prompt>.*</arbiter_prompt>", prompt_text, re.S)
    try:
        root = ET.fromstring(match.group(0) if match else prompt_text)
    except ET.ParseError:
        return []
    section = root.find("model_responses")
    if section is None:
        return []
    return [r.find("response").text for r in section.findall("model_response")
            if r.find("response") is not None and r.find("response").text is not None]


FLAGS = {"member": 0, "final_output": 0, "final_arbiter": 1, "intermediate_arbiter": 2}


def expected_rows(record):
    """id -> (run label or None, flag) as a correct grouping leaves every row.

    A run is grouped when its output row was logged right after its final
    arbiter (two runs in parallel processes can interleave so that it was not:
    such a run is skipped). An inner run (a consortium used as an arbiter) is a
    run of its own; its output row stays in it, and the outer run takes its
    members and output row. Every other row ends with no consortium_id and the
    flag at its default, 0 (or NULL, as rows copied through temp_import hold it).
    """
    expected = {}
    for entry in record["plain"] + record["look_alikes"]:
        expected[entry["id"]] = (None, 0)
    for run in record["runs"]:
        roles = {r["role"]: r["rowid"] for r in run["rows"]}
        grouped = "final_output" in roles and (
            run.get("arbiter_runs") or roles["final_output"] - 1 == roles.get("final_arbiter"))
        for entry in run["rows"]:
            if run.get("arbiter_runs") and entry["role"] in ("final_arbiter", "intermediate_arbiter"):
                continue  # the inner run's output row
            expected[entry["id"]] = (run["label"], FLAGS[entry["role"]]) if grouped else (None, 0)
    return expected


def score(path, record):
    """How a backfilled copy compares with the record: runs exact, wrong rows, stale foreign values."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    actual = {i: (c, f) for i, c, f in conn.execute("SELECT id, consortium_id, is_arbiter_response FROM responses")}
    conn.close()
    expected = expected_rows(record)
    runs = {}
    for row_id, (label, _) in expected.items():
        if label:
            runs.setdefault(label, []).append(row_id)
    wrong, stale, exact = [], [], 0
    for label, ids in runs.items():
        ids_of_run = {actual[i][0] for i in ids}
        run_id = ids_of_run.pop() if len(ids_of_run) == 1 else None
        members = {i for i, (c, _) in actual.items() if run_id is not None and c == run_id}
        good = run_id is not None and members == set(ids) and all(actual[i][1] == expected[i][1] for i in ids)
        exact += good
        if not good:
            wrong += [i for i in ids if run_id is None or actual[i][1] != expected[i][1]]
            wrong += sorted(members - set(ids))
    for row_id, (label, flag) in expected.items():
        if label is None and actual[row_id] not in ((None, flag), (None, None)):
            (stale if list(actual[row_id]) == record["foreign"].get(row_id) else wrong).append(row_id)
    return {"runs": len(runs), "runs_exact": exact, "wrong_rows": sorted(set(wrong)), "stale_foreign": stale}


def build(path, rebuild=False):
    """Make the file at path; returns the record of what each step did."""
    return History(path).build(rebuild=rebuild)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--record", type=Path)
    parser.add_argument("--rebuild", action="store_true", help="also replay June's rebuild of the table")
    args = parser.parse_args(argv)
    record = build(args.out, rebuild=args.rebuild)
    if args.record:
        args.record.write_text(json.dumps(record, indent=1) + "\n")
    for step in record["steps"]:
        written = step.get("written")
        print(f"{step['step']}: " + (f"{len(written)} rows" if written is not None else json.dumps(
            {k: v for k, v in step.items() if k != "step"})))
    plan = next(s for s in record["steps"] if s["step"] == "plan")
    print(f"plan: {plan['runs']} pairs, {len(plan['false_links'])} false links "
          f"({', '.join(str(l['hours_apart']) + ' h' for l in plan['false_links'])})")
    print(f"foreign values: {len(record['foreign'])} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
