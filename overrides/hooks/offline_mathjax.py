"""MkDocs hook: serve MathJax from the site itself, so that no page asks another host for anything.

MathJax 3.2.2 comes from the pinned PyPI package django-static-mathjax (plain files, no
Django needed). Only what the pages use is published: the tex-chtml bundle, the TeX
extensions it autoloads, the CHTML fonts, and the accessibility and menu components.
"""

from pathlib import Path

import mathjax
from mkdocs.structure.files import File

SOURCE = Path(mathjax.__file__).resolve().parent / "static" / "mathjax" / "es5"
TARGET = "assets/mathjax"
PARTS = ["tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "ui", "sre", "adaptors"]


def on_files(files, config):
    for part in PARTS:
        path = SOURCE / part
        for source in sorted([path] if path.is_file() else path.rglob("*")):
            if source.is_file():
                file = File(f"{TARGET}/{source.relative_to(SOURCE).as_posix()}", src_dir=None,
                            dest_dir=config.site_dir, use_directory_urls=False)
                file.abs_src_path = str(source)  # copied from the installed package, not from docs/
                files.append(file)
    return files
