#!/usr/bin/env bash
# Build the benchmark's private venv (build/bench-venv) with a pinned `llm`
# and use it once to create an empty logs.db through llm's own migrations
# (build/bench/schema-llm-$LLM_VERSION.db). generate.py calls this itself when
# the schema database is missing; everything else in bench/ runs on the
# stdlib only.
#
#   bash bench/setup.sh            # llm 0.25 (default)
#   LLM_VERSION=0.24.2 bash bench/setup.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LLM_VERSION="${LLM_VERSION:-0.25}"
VENV="$ROOT/build/bench-venv"
SCHEMA="$ROOT/build/bench/schema-llm-$LLM_VERSION.db"
PYTHON="${PYTHON:-python3}"

mkdir -p "$ROOT/build/bench"

if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi

# llm 0.24/0.25 break with today's releases of their dependencies: pin the
# versions of their era.
if ! "$VENV/bin/python" -c "import llm, sys; sys.exit(0 if llm.__version__ == '$LLM_VERSION' else 1)" 2>/dev/null; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "llm==$LLM_VERSION" \
        sqlite-utils==3.38 pydantic==2.11.3 click==8.1.8 python-ulid==3.0.0 \
        openai==1.75.0 condense-json==0.1.2 pluggy==1.5.0 httpx==0.28.1
fi

if [ ! -s "$SCHEMA" ]; then
    tmp="$SCHEMA.tmp.$$"
    rm -f "$tmp"
    "$VENV/bin/python" - "$tmp" <<'EOF'
import sys
import sqlite_utils
import llm.migrations

db = sqlite_utils.Database(sys.argv[1])
llm.migrations.migrate(db)
names = {r[0] for r in db.execute("select name from sqlite_master")}
for needed in ("responses", "conversations", "responses_fts",
               "responses_ai", "responses_ad", "responses_au"):
    assert needed in names, needed
db.conn.close()
EOF
    mv "$tmp" "$SCHEMA"
fi
echo "$SCHEMA"
