"""The project's compiled parts (everything else is in pyproject.toml), two C files of the PDF reader's
loops: cnstat_etl/extract/_pdfium_chars.c asks PDFium its per-character questions and walks a page's
paths, _text_lines.c groups a page's glyphs into lines and phrases. Both are optional: without a working
C compiler the build goes on, the same steps run in Python, more slowly (extract/compiled.py), and the
wheel holds no compiled file, so it is tagged for any platform (py3-none-any) rather than this one."""

import sys
import tempfile
from pathlib import Path

from setuptools import Extension, setup

# Their arithmetic must be Python's, operation by operation: no fused multiply-add (GCC and Clang fuse
# by default where the processor has one).
SAME_ARITHMETIC = [] if sys.platform == "win32" else ["-ffp-contract=off"]


def compiler_works() -> bool:
    """Whether a C file compiles here: the wheel's tag is chosen before the extensions are built, so an
    extension that would only fail to build would leave a pure-Python wheel tagged for this platform."""
    from setuptools._distutils.ccompiler import new_compiler
    from setuptools._distutils.sysconfig import customize_compiler

    compiler = new_compiler()
    customize_compiler(compiler)
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.c"
        probe.write_text("int probe(void) { return 0; }\n")
        try:
            compiler.compile([str(probe)], output_dir=folder, extra_postargs=SAME_ARITHMETIC)
        except Exception:  # its error classes differ between setuptools releases: any failure means none here
            return False
    return True


setup(ext_modules=[Extension(f"cnstat_etl.extract.{name}", [f"cnstat_etl/extract/{name}.c"], optional=True,
                             extra_compile_args=SAME_ARITHMETIC)
                   for name in ("_pdfium_chars", "_text_lines")] if compiler_works() else [])
