"""What a long backfill shows while it works, on stderr (stdout keeps the summary).

On a terminal each long phase is a click progress bar with its count and rate;
otherwise (a pipe, a log file) one line per phase once it is done, with its
time; with --quiet, nothing.
"""
import contextlib
import sys
import time

import click


class Progress:
    def __init__(self, mode):
        assert mode in ("bar", "lines", "quiet")
        self.mode = mode

    @classmethod
    def for_stderr(cls, quiet=False):
        if quiet:
            return cls("quiet")
        return cls("bar" if sys.stderr.isatty() else "lines")

    @contextlib.contextmanager
    def phase(self, label, total=None, unit="rows"):
        """A phase of total units; yields advance(n), to call as units are done."""
        started = time.perf_counter()
        done = 0
        bar = None
        if self.mode == "bar":
            bar = click.progressbar(
                length=total or 1, label=f"{label:<18}", file=sys.stderr, show_pos=bool(total),
                show_percent=bool(total), item_show_func=lambda item: item,
            )
            bar.__enter__()
            bar.render_progress()

        def advance(n):
            nonlocal done
            n = min(n, total - done) if total else n  # the last batch may be short
            done += n
            if bar is not None and total:
                rate = done / max(time.perf_counter() - started, 1e-6)
                bar.update(n, current_item=f"{rate:,.0f} {unit}/s")

        try:
            yield advance
        except BaseException:
            if bar is not None:
                bar.__exit__(None, None, None)  # the error then starts a line of its own
            raise
        seconds = time.perf_counter() - started
        if bar is not None:
            if not total:
                bar.update(1, current_item=f"{seconds:.1f} s")
            bar.__exit__(None, None, None)
        elif self.mode == "lines":
            count = f"{done:,} {unit} in " if total else ""
            click.echo(f"{label}: {count}{seconds:.1f} s", err=True)


QUIET = Progress("quiet")
