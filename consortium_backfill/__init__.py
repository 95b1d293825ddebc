"""consortium-backfill: group llm-consortium runs in llm's logs.db.

backfill.py, at the top of the repository, is the command line; the modules
here are named after what they do (see the README's Layout section).
"""
