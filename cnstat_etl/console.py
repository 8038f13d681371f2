"""The `cnstat` command's entry point. It imports the CLI inside a guard: a Ctrl-C while the CLI's modules
load (a second on a busy machine) is then one line and status 130, as one during a command is, not an
import traceback."""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from cnstat_etl.cli import main as cli
    except KeyboardInterrupt:
        sys.stderr.write("interrupted while starting: nothing was done\n")
        sys.exit(130)  # 128 + SIGINT, as the CLI itself exits on Ctrl-C
    cli()
