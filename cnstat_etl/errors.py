"""The project's own exceptions: a mistake a user can make and fix (an option, a path, a mappings/ file,
a busy warehouse). `cnstat` prints one as one line and exits 1; any other exception is a bug in cnstat
and keeps its traceback, so that it gets reported."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


class UserError(Exception):
    """A mistake the user can fix, said in one line."""


class MappingError(UserError, ValueError):
    """A file of mappings/ (or warehouse/) that does not say what its reader needs, named with the line.
    Still a ValueError for the code that reads a mapping and falls back on a bad one."""


class MissingExtra(UserError, ImportError):
    """An optional dependency (an extra of pyproject.toml) that is not installed: the message says how to
    install it. Met while reading a file (a Dask worker without [ocr]), it is the file's reason, not a bug."""


def about_file(error: OSError) -> UserError:
    """An OSError met on a path the user named (a missing file, a folder that cannot be made), as one
    line naming the path."""
    if error.filename and error.strerror:
        return UserError(f"{error.filename}: {error.strerror}")
    return UserError(str(error))


@contextmanager
def naming_the_path() -> Iterator[None]:
    """The OSErrors of a block (or, as a decorator, a function) that reads and writes paths the user
    named, as UserError (`about_file`)."""
    try:
        yield
    except OSError as error:
        raise about_file(error) from None
