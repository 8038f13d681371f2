"""The project's compiled parts (everything else is in pyproject.toml), two C loops of the PDF reader:
cnstat_etl/extract/_pdfium_chars.c asks PDFium its per-character questions, _text_lines.c groups a page's
glyphs into lines and phrases. Both are optional: without a C compiler the build goes on and the same
steps run in Python, more slowly (cnstat_etl/extract/compiled.py)."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(f"cnstat_etl.extract.{name}", [f"cnstat_etl/extract/{name}.c"], optional=True)
                   for name in ("_pdfium_chars", "_text_lines")])
