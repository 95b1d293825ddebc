"""`llm consortium-backfill ...`: the same commands, as an llm plugin.

`llm install` of this package registers it through llm's register_commands
hook. With no -d, every command works on llm's own logs.db, as it does alone.
"""
import llm


@llm.hookimpl
def register_commands(cli):
    from .cli import cli as backfill_cli

    cli.add_command(backfill_cli, name="consortium-backfill")
