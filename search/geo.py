"""Where provinces are: centroids of the provinces as published (63) and after 2025 (34).

Read once, offline, from the SQLite dataset shipped by the ``vietnamadminunits``
package (MIT licence, © Tran Ngoc Minh Hieu): ``admin_units_legacy`` for the
provinces before the 2025 merger, ``admin_units`` for the ones after it.
"""

from __future__ import annotations

import functools
import logging
import sqlite3
from dataclasses import dataclass
from importlib import resources

from .analysis import fold

log = logging.getLogger(__name__)

LEVELS = {"province": "admin_units_legacy", "province_2025": "admin_units"}


@dataclass(frozen=True)
class Place:
    """One province: its short name ("Điện Biên") and centroid."""

    name: str
    lat: float
    lon: float


def _key(name: str) -> str:
    # Names as indexed ("TP. Hồ Chí Minh", "Thừa Thiên - Huế") versus the dataset's.
    key = fold(name).lower()
    for prefix in ("thanh pho ", "tp. ", "tp.", "tp ", "tinh "):
        key = key.removeprefix(prefix)
    key = "".join(ch for ch in key if ch.isalnum())
    return _ALIASES.get(key, key)


# Names the dataset spells otherwise (Thừa Thiên Huế became Huế city in 2025).
_ALIASES = {"thuathienhue": "hue"}


@functools.cache
def places(level: str) -> tuple[Place, ...]:
    """Every province of ``level`` ("province" or "province_2025") with its centroid."""
    table = LEVELS[level]
    try:
        ref = resources.files("vietnamadminunits") / "data" / "dataset.db"
        with resources.as_file(ref) as path:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                rows = con.execute(
                    f"SELECT provinceShort, AVG(provinceLat), AVG(provinceLon) FROM {table} "
                    "WHERE provinceLat IS NOT NULL GROUP BY provinceShort"
                ).fetchall()
            finally:
                con.close()
    except (OSError, sqlite3.Error, ModuleNotFoundError) as e:
        # The map is a picture beside the results: without its data it is left out.
        log.warning("province centroids unavailable: %s", e)
        return ()
    return tuple(Place(name, float(lat), float(lon)) for name, lat, lon in rows)


@functools.cache
def _by_key(level: str) -> dict[str, Place]:
    return {_key(p.name): p for p in places(level)}


def locate(name: str, level: str) -> Place | None:
    """The province called ``name`` (as indexed) at ``level``, or None when unknown."""
    return _by_key(level).get(_key(name))
