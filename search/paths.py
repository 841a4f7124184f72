"""Where the project's own files are: inside the installed packages, or in a checkout.

An installed vnsearch carries the site's templates as ``web/templates`` and the seed
articles as ``search/seeds`` (setup.cfg maps the checkout's top-level ``templates/`` and
``seeds/`` there), so any install (venv, ``--user``, ``--prefix``, ``--target``, pipx, a
wheel) finds them beside its own code. A checkout, or an editable install of one, keeps
them at the top of the tree.
"""

from __future__ import annotations

import configparser
import importlib.util
from pathlib import Path

# Each folder and the package it is installed in.
PACKAGED = {"templates": "web", "seeds": "search"}
_CHECKOUT = Path(__file__).resolve().parent.parent


def project_dir(name: str) -> Path:
    """The ``templates`` or ``seeds`` folder of this vnsearch: installed, else the checkout's."""
    installed = _installed(name)
    if installed is not None:
        return installed
    if (_CHECKOUT / name).is_dir() and is_checkout(_CHECKOUT):
        return _CHECKOUT / name
    # Neither: a broken install. Name where the folder should be, for the error that follows.
    return _package_folders(PACKAGED[name])[0] / name


def _installed(name: str) -> Path | None:
    """``name`` inside the package it is installed in, if it is there."""
    for folder in _package_folders(PACKAGED[name]):
        if (folder / name).is_dir():
            return folder / name
    return None


def _package_folders(package: str) -> list[Path]:
    """The folders of ``package``, found without importing it (``search`` never imports web)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return [_CHECKOUT / package]
    return [Path(p) for p in spec.submodule_search_locations]


def is_checkout(folder: Path) -> bool:
    """Whether ``folder`` is a vnsearch source tree (its setup.cfg names vnsearch).

    Checked so that the folder above an installed package (``site-packages``) is never
    taken for a checkout: a ``templates/`` there belongs to some other distribution.
    """
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(folder / "setup.cfg", encoding="utf-8")
    except (OSError, UnicodeDecodeError, configparser.Error):
        return False
    return parser.get("metadata", "name", fallback=None) == "vnsearch"


def default_seeds() -> Path:
    """``seeds/`` in the current folder if there is one, else this vnsearch's seeds."""
    local = Path("seeds")
    return local if local.is_dir() else project_dir("seeds")


def default_index() -> Path:
    """The default index location: ``index/`` in the current folder."""
    return Path("index")
