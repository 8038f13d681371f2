"""The project's optional C loops (issue 13), found where setup.py built them beside this package.

Each is a plain shared library loaded with ctypes, not imported: it needs no Python headers, and where
it was not built (no C compiler at install) the caller runs the same steps in Python, with the same
answers (a test holds each pair to that).
"""

from __future__ import annotations

import ctypes
import importlib.machinery
from pathlib import Path


def library(name: str) -> ctypes.CDLL | None:
    """`name`.c as built beside this file, or None where it was not."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = Path(__file__).with_name(f"{name}{suffix}")
        if path.is_file():
            return ctypes.CDLL(str(path))
    return None
