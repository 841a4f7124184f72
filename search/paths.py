"""Where the project's own files are: a checkout, or an installed copy."""

from __future__ import annotations

import sys
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
_INSTALLED = Path(sys.prefix) / "share" / "vnsearch"


def project_dir(name: str) -> Path:
    """The ``templates``/``seeds`` folder: beside the package in a checkout, else installed."""
    here = _CHECKOUT / name
    if here.is_dir():
        return here
    return _INSTALLED / name


def default_seeds() -> Path:
    """``seeds/`` in the current folder if there is one, else the packaged seeds."""
    local = Path("seeds")
    return local if local.is_dir() else project_dir("seeds")


def default_index() -> Path:
    """The default index location: ``index/`` in the current folder."""
    return Path("index")
