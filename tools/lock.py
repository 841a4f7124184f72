"""Write constraints.txt: the exact version of everything vnsearch installs, tested together.

    python3 tools/lock.py

setup.cfg gives version ranges; the README's commands and ``.ci/run`` install with
``pip install -c constraints.txt ...`` so that a fresh machine gets the versions the tests
passed with. This script installs the project with every extra of setup.cfg into a fresh
virtual environment of the Python running it (built from a copy of the working tree, so no
``build/`` is left in the checkout), adds whoosh3 (the Whoosh fork setup.cfg uses from
Python 3.14 on; a constraint for a package not installed is ignored) and writes ``pip freeze``
of it, setuptools included, pip and vnsearch itself left out. Requirements given as arguments
are installed too, to lock a dependency before setup.cfg names it.
"""

from __future__ import annotations

import configparser
import datetime as dt
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "constraints.txt"
# The requirements that only apply to Python versions other than this one, still locked.
OTHER_PYTHONS = ("whoosh3",)


def source_files(root: Path) -> list[str]:
    """The working tree's files that git tracks or would track (not the ignored ones)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return [p for p in out.decode("utf-8").split("\0") if p and (root / p).is_file()]


def copy_tree(root: Path, dest: Path) -> Path:
    """Copy the source tree to ``dest`` (setuptools writes build/ and *.egg-info beside it)."""
    for rel in source_files(root):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / rel)
    return dest


def extras(setup_cfg: Path) -> list[str]:
    """Every extra that setup.cfg declares."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(setup_cfg, encoding="utf-8")
    return sorted(parser["options.extras_require"])


def other_python_requirements(python: Path) -> list[str]:
    """vnsearch's requirements for other Pythons (e.g. whoosh3), without their markers."""
    code = (
        "import importlib.metadata as m\n"
        "for r in m.requires('vnsearch') or []:\n"
        "    if 'extra ==' not in r: print(r.split(';')[0].strip())\n"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return [r for r in out.stdout.split() if r.lower().startswith(OTHER_PYTHONS)]


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="vnsearch-lock-") as tmp:
        src = copy_tree(ROOT, Path(tmp) / "src")
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        python = venv / "bin" / "python"
        pip: list[str | Path] = [python, "-m", "pip", "--disable-pip-version-check"]
        wanted = f"{src}[{','.join(extras(src / 'setup.cfg'))}]"
        subprocess.run([*pip, "install", "-q", wanted, *argv], check=True)
        others = other_python_requirements(python)
        if others:
            subprocess.run([*pip, "install", "-q", "--no-deps", *others], check=True)
        frozen = subprocess.run(
            [*pip, "freeze", "--all", "--exclude", "pip", "--exclude", "vnsearch"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    header = (
        "# Exact versions of vnsearch's dependencies and of every extra's, tested together.\n"
        "# Used as `pip install -c constraints.txt ...` (README, .ci/run); setup.cfg keeps\n"
        "# the ranges. Regenerate with `python3 tools/lock.py` (this one: Python "
        f"{platform.python_version()}, {dt.date.today().isoformat()}).\n"
    )
    OUT.write_text(header + frozen, encoding="utf-8")
    print(f"{OUT.name}: {len(frozen.splitlines())} packages", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
