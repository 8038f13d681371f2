"""The project's one compiled part (everything else is in pyproject.toml): a C loop for the PDFium
reader's per-character questions, cnstat_etl/extract/_pdfium_chars.c. It is optional: without a C
compiler the build goes on and the reader asks the same questions through ctypes, more slowly."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("cnstat_etl.extract._pdfium_chars", ["cnstat_etl/extract/_pdfium_chars.c"],
                             optional=True)])
