"""accept: group a run that was skipped for review, once a person has looked.

The final arbiter is the one its review row names as likely, or the one the
person names; from there the run is read and its rows are claimed exactly as
any run's are. The rest is an ordinary backfill: short transactions of whole
runs, recorded for undo.
"""
from .analysis import claim_run
from .errors import Problem

SOURCE = "confirmed by hand (accept)"


class Acceptance:
    def __init__(self, output_id, arbiter_id=None):
        self.output_id = output_id
        self.arbiter_id = arbiter_id
        self.arbiter_rid = None  # pragma: no mutate (set before mark() can run: any value is the same)

    def __call__(self, conn, params, claimed, linked):
        """analysis.analyse calls this once the ordinary runs have claimed their rows."""
        run = conn.execute(
            "SELECT run_rid, skip_reason, likely_rid FROM runs WHERE output_id = ?", [self.output_id]
        ).fetchone()
        if run is None:
            raise Problem(f"{self.output_id}: not a consortium output row waiting to be grouped")
        run_rid, skip_reason, likely_rid = run
        if skip_reason is None:
            raise Problem(f"{self.output_id}: its run is not skipped; `backfill` groups it")
        arbiter_rid = self.chosen_arbiter(conn, likely_rid, run_rid, claimed)
        conn.execute(
            "UPDATE runs SET arbiter_rid = logged.rid, arbiter_id = logged.id, arbiter_datetime = logged.datetime_utc,"
            " arbiter_dt = logged.dt, window_start = logged.dt - :window_days, skip_reason = NULL, parsed = NULL"
            " FROM logged WHERE logged.rid = :arbiter_rid AND runs.run_rid = :run_rid",
            dict(window_days=params["window_days"], arbiter_rid=arbiter_rid, run_rid=run_rid),
        )
        if claim_run(conn, params, run_rid, claimed, linked) is None:
            reason = conn.execute("SELECT skip_reason FROM runs WHERE run_rid = ?", [run_rid]).fetchone()[0]
            raise Problem(f"{self.output_id}: cannot be grouped with that final arbiter: {reason}")
        self.arbiter_rid = arbiter_rid

    def chosen_arbiter(self, conn, likely_rid, run_rid, claimed):
        if self.arbiter_id is None:
            if likely_rid is None:
                raise Problem(f"{self.output_id}: its review row names no likely final arbiter: name one with --arbiter ID")
            return likely_rid
        row = conn.execute(
            "SELECT logged.rid, candidates.arbiter_format FROM logged LEFT JOIN candidates USING (rid)"
            " WHERE logged.id = ?",
            [self.arbiter_id],
        ).fetchone()
        if row is None:
            raise Problem(f"{self.arbiter_id}: no such row to be the final arbiter (or it is grouped already)")
        rid, arbiter_format = row
        if arbiter_format is None or rid >= run_rid or rid in claimed:
            raise Problem(
                f"{self.arbiter_id}: cannot be the final arbiter of {self.output_id}: it must be an arbiter prompt"
                " logged before the output row, in no other run"
            )
        return rid

    def mark(self, conn):
        """After analysis: the run's final arbiter row says it was confirmed by hand."""
        conn.execute("UPDATE assigned SET source = ? WHERE rid = ?", [SOURCE, self.arbiter_rid])
