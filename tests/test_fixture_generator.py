"""The committed fixtures are what the generator writes, byte for byte."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import FIXTURES
from truth import CJK_FONT


@pytest.mark.skipif(not CJK_FONT.exists(), reason=f"{CJK_FONT} is not installed (Debian fonts-wqy-microhei)")
def test_generator_rewrites_every_committed_fixture_and_golden_file_identically(tmp_path):
    subprocess.run([sys.executable, str(FIXTURES / "generate.py"), str(tmp_path)], check=True,
                   capture_output=True)
    for folder in ("sources", "golden", "bad", "pdf_problems", "fuzz"):
        committed = sorted(p.name for p in (FIXTURES / folder).iterdir())
        written = sorted(p.name for p in (tmp_path / folder).iterdir())
        assert written == committed, f"{folder}: generator and repository list different files"
        for name in committed:
            assert (tmp_path / folder / name).read_bytes() == (FIXTURES / folder / name).read_bytes(), \
                f"{folder}/{name} differs from what the generator writes: run `make fixtures`"
