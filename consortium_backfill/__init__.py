"""consortium-backfill: group llm-consortium runs in llm's logs.db.

cli.py is the command line (backfill.py, at the top of the repository, runs it
from a clone); the other modules are named after what they do (see the
README's Layout section).
"""
