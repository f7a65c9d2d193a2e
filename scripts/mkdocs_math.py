"""MkDocs hook (``hooks:`` in mkdocs.yml): the site serves MathJax itself, from the django-static-mathjax package.

MathJax 3's ``tex-chtml.js`` component is the one overrides/assets/javascripts/paperkb-math.js loads; at run time it loads
more from beside itself: TeX extensions (``\\boldsymbol``, ``\\cancel``… through autoload), ``ui/safe`` (the
filter for outside text), the menu and its accessibility tools (a11y, sre), and the CHTML fonts. Those files
are added to the build as MkDocs files under ``assets/mathjax/`` (``File.generated``, a supported API), so
``mkdocs build`` copies them and ``mkdocs serve`` serves them; nothing is copied by hand, nothing is fetched
from a CDN. The package is pinned in pyproject.toml; its LICENSE (Apache-2.0) goes along.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

SITE_FOLDER = "assets/mathjax"
#: What tex-chtml.js loads at run time, relative to MathJax's es5/ folder (and the component itself).
RUNTIME = ("tex-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "sre")


def mathjax_root() -> Path:
    """The MathJax distribution inside the installed django-static-mathjax package."""
    return Path(str(resources.files("mathjax"))) / "static" / "mathjax"


def mathjax_files() -> dict[str, Path]:
    """Site path (under assets/mathjax/) -> file, for every file MathJax may load, and its license."""
    es5 = mathjax_root() / "es5"
    found = {f"{SITE_FOLDER}/LICENSE": mathjax_root() / "LICENSE"}
    for name in RUNTIME:
        path = es5 / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                found[f"{SITE_FOLDER}/{file.relative_to(es5).as_posix()}"] = file
    return found


@event_priority(50)  # early: before the hooks and plugins that look at the site's files
def on_files(files, config, **kwargs):
    for src_uri, path in mathjax_files().items():
        if files.get_file_from_path(src_uri) is None:
            files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files
