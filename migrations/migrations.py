"""Schema for consortium-backfill, as a sqlite-utils migration set.

Apply with ``python backfill.py migrate`` or ``sqlite-utils migrate logs.db migrations/``.
Every step checks before it adds: the user's own logs.db may already have the
columns (created by hand, ``is_arbiter_response`` with ``DEFAULT 0``) or an index.
"""
from sqlite_utils import Migrations

migrations = Migrations("consortium_backfill")


@migrations()
def m001_consortium_columns(db):
    columns = db["responses"].columns_dict
    if "consortium_id" not in columns:
        db["responses"].add_column("consortium_id", str)
    if "is_arbiter_response" not in columns:
        # Same definition as the hand-made column in the user's own database.
        db.execute(
            "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0"
        )


@migrations()
def m002_consortium_id_index(db):
    if not any(index.columns[:1] == ["consortium_id"] for index in db["responses"].indexes):
        db["responses"].create_index(
            ["consortium_id"], index_name="idx_consortium_id", if_not_exists=True
        )


@migrations()
def m003_review_table(db):
    # One row per skipped run or orphan arbiter row, for a person to act on.
    if not db["consortium_backfill_review"].exists():
        db["consortium_backfill_review"].create(
            {
                "response_id": str,
                "kind": str,
                "reason": str,
                "evidence": str,
                "found_at": str,
            },
            pk="response_id",
        )
