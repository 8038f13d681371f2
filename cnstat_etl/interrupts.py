"""Worker processes and Ctrl-C: the process that starts workers alone answers an interrupt."""

from __future__ import annotations

import multiprocessing
import signal
import threading
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


class _Noted:
    interrupted = False


def _note_and_interrupt(signum, frame) -> None:
    _Noted.interrupted = True
    signal.default_int_handler(signum, frame)


@contextmanager
def noted() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt in the block as ever, and is remembered (`interrupted`): one that
    lands in the middle of closing a file or a library's clean-up can surface as another error (EBADF), which
    is then still the interrupt, not a failure to report."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Noted.interrupted = False
    previous = signal.signal(signal.SIGINT, _note_and_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def interrupted() -> bool:
    """Whether Ctrl-C came during the last `noted` block."""
    return _Noted.interrupted
