"""Worker processes and Ctrl-C: the process that starts workers alone answers an interrupt."""

from __future__ import annotations

import multiprocessing
import signal
from contextlib import contextmanager
from typing import Iterator


def leave_interrupts_to_the_parent() -> None:
    """Run first in each worker process. A terminal's Ctrl-C reaches every process of the command; a worker
    that raised KeyboardInterrupt would print its own traceback, and one idle in its pool a second one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_workers() -> None:
    """End this process's workers now (after an interrupt): a pool would otherwise let each finish the
    file, or run of pages, it is reading."""
    for child in multiprocessing.active_children():
        child.terminate()
    for child in multiprocessing.active_children():
        child.join()


@contextmanager
def held() -> Iterator[None]:
    """Ctrl-C held back until the block ends: a file's load is committed and counted, or neither, so that
    the count an interrupted ingest gives is exact."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
