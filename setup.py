"""The project's compiled parts (everything else is in pyproject.toml), two C files of the PDF reader's
loops: cnstat_etl/extract/_pdfium_chars.c asks PDFium its per-character questions and walks a page's
paths, _text_lines.c groups a page's glyphs into lines and phrases. Both are optional: without a C
compiler the build goes on and the same steps run in Python, more slowly (extract/compiled.py)."""

import sys

from setuptools import Extension, setup

# Their arithmetic must be Python's, operation by operation: no fused multiply-add (GCC and Clang fuse
# by default where the processor has one).
SAME_ARITHMETIC = [] if sys.platform == "win32" else ["-ffp-contract=off"]

setup(ext_modules=[Extension(f"cnstat_etl.extract.{name}", [f"cnstat_etl/extract/{name}.c"], optional=True,
                             extra_compile_args=SAME_ARITHMETIC)
                   for name in ("_pdfium_chars", "_text_lines")])
