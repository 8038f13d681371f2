"""The `cnstat` command's entry point. It imports the CLI inside a guard: a Ctrl-C while the CLI's modules
load (a second on a busy machine) is then one line and status 130, as one during a command is, not an
import traceback."""

from __future__ import annotations

import atexit
import os
import sys


def main() -> None:
    # registered before anything the CLI imports registers its own: run last, after theirs
    atexit.register(_end_without_teardown)
    try:
        from cnstat_etl.cli import main as cli
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was done\n")
        sys.exit(130)  # 128 + SIGINT, as the CLI itself exits on Ctrl-C
    try:
        cli()
    except SystemExit as done:
        _ended.append(done.code)
        raise
    _ended.append(0)


# The status of a command that ended as it means to (none while one runs, or after a traceback).
_ended: list[int | str | None] = []


def _end_without_teardown() -> None:
    """Once the command has ended (its files and warehouses closed, its workers joined, the other exit
    handlers run) the process ends here, without freeing every object its modules hold one by one: after
    an ingest, a fifth of a second of CPU that the system does at once. A command that ended in a
    traceback is left to end as Python ends it."""
    if not _ended:
        return
    code = _ended[-1]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a pipe closed by the reader (`cnstat query ... | head`)
            pass
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
