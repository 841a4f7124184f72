"""Where an article is about: province, district and commune, and the 2025 province.

Administrative units come from the ``vietnamadminunits`` package's data files
(63 provinces with their districts and communes, and the 2025 mapping to 34
provinces). Only its SQLite and JSON files are read: importing the package
would pull in geopy, whose geocoder makes network calls.

Evidence is weighed, not just found: ``tỉnh X`` counts most, a district or
commune name counts for the provinces it exists in (fully when it exists in
only one), a bare capitalised province name counts a little, and so does the
outlet's home province. No province is returned when nothing stands out.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..analysis import canonical_syllable, fold, normalize_text
from .text import fold_keep_case, trie_pattern

# Weights of one mention, by kind of evidence.
W_PROVINCE, W_BARE_PROVINCE, W_DISTRICT, W_BARE_DISTRICT, W_COMMUNE, W_OUTLET = 3, 1.5, 2, 1, 1, 2
TITLE_FACTOR = 2
MIN_SCORE = 2.0  # below this nothing supports a province
MIN_MARGIN = 1.5  # the best province must beat the runner-up by this factor
MIN_SHARE = 0.6  # a district/commune must have this share of its level's mentions

# Unit-type words (folded) and the level they announce; "thành phố" is either
# a centrally-run city (a province) or a provincial city (a district).
_TYPES = {
    ("tinh",): "P",
    ("tinh", "uy"): "P",
    ("thanh", "pho"): "PD",
    ("tp",): "PD",
    ("thanh", "uy"): "D",
    ("huyen",): "D",
    ("huyen", "uy"): "D",
    ("quan",): "D",
    ("quan", "uy"): "D",
    ("thi", "xa"): "D",
    ("thi", "uy"): "D",
    ("tx",): "D",
    ("xa",): "C",
    ("phuong",): "C",
    ("thi", "tran"): "C",
    ("tt",): "C",
}
_DISTRICT_TYPE = {
    ("huyen",): "Huyện",
    ("huyen", "uy"): "Huyện",
    ("quan",): "Quận",
    ("quan", "uy"): "Quận",
    ("thi", "xa"): "Thị xã",
    ("thi", "uy"): "Thị xã",
    ("tx",): "Thị xã",
    ("thanh", "pho"): "Thành phố",
    ("tp",): "Thành phố",
    ("thanh", "uy"): "Thành phố",
    ("xa",): "Xã",
    ("phuong",): "Phường",
    ("thi", "tran"): "Thị trấn",
    ("tt",): "Thị trấn",
}
# Other spellings of province names (folded).
_PROVINCE_ALIASES = {
    "thua thien hue": "thanhphohue",
    "thua thien": "thanhphohue",
    "tp hcm": "thanhphohochiminh",
    "tphcm": "thanhphohochiminh",
    "hcm": "thanhphohochiminh",
    "sai gon": "thanhphohochiminh",
    "bac can": "tinhbackan",
    "dac lac": "tinhdaklak",
    "dak lac": "tinhdaklak",
    "dac nong": "tinhdaknong",
    "kontum": "tinhkontum",
    "ba ria vung tau": "tinhbariavungtau",
}
# Capitalised words (folded) before a unit's name that make the whole run
# another name: a person's family name ("Phó Thủ tướng Trương Hoà Bình",
# "Chánh án Nguyễn Hòa Bình"), a street, school or alley (Đường, Trường, Ngõ,
# Phố Hòa Bình). Other first words are a sentence's ("Tại Bắc Kạn").
_NAME_BEFORE = frozenset(
    (
        *("nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang"),
        *("bui", "ngo", "duong", "ly", "truong", "dinh", "trinh", "luong", "phung"),
        *("quach", "vuong", "pho", "hem"),
    )
)
# Left out: family names that as often begin a sentence ("Do" because, "Đoàn"
# a delegation, "Hồ" a lake, "Mai" tomorrow).
# Province names written as one word; other one-word runs are too ambiguous.
_ONE_WORD = {("tphcm",), ("hcm",)}
MAX_NAME = 4  # syllables of the longest unit name looked up
_TOKEN = re.compile(r"\w+")


def _data_dir() -> Path:
    # find_spec locates the package without executing its __init__ (and geopy).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("vietnamadminunits is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _fkey(name: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(fold(normalize_text(name)).lower()))


@dataclass
class _Units:
    province_name: dict = field(default_factory=dict)  # key -> "Điện Biên"
    province_2025: dict = field(default_factory=dict)  # old key -> new name
    provinces: dict = field(default_factory=dict)  # folded name -> key
    districts: dict = field(
        default_factory=lambda: defaultdict(list)
    )  # name -> [(pkey, name, type)]
    communes: dict = field(default_factory=lambda: defaultdict(list))  # -> [(p, d, name, type)]


@lru_cache(maxsize=1)
def units() -> _Units:
    """The administrative-unit tables, built once per process."""
    data = _data_dir()
    u = _Units()
    con = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT provinceKey, provinceShort, districtShort, districtType, wardShort, wardType "
            "FROM admin_units_legacy"
        ).fetchall()
        new_names = dict(
            con.execute("SELECT DISTINCT provinceKey, provinceShort FROM admin_units").fetchall()
        )
    finally:
        con.close()
    seen_d, seen_c = set(), set()
    for pkey, pname, dname, dtype, wname, wtype in rows:
        u.province_name[pkey] = pname
        u.provinces[_fkey(pname)] = pkey
        if dname and (pkey, dname, dtype) not in seen_d:
            seen_d.add((pkey, dname, dtype))
            u.districts[_fkey(dname)].append((pkey, dname, dtype))
        if wname and (pkey, dname, wname) not in seen_c:
            seen_c.add((pkey, dname, wname))
            u.communes[_fkey(wname)].append((pkey, dname, wname, wtype))
    for alias, pkey in _PROVINCE_ALIASES.items():
        u.provinces[tuple(alias.split())] = pkey
    with open(data / "converter_2025.json", encoding="utf-8") as f:
        mapping = json.load(f)["DICT_PROVINCE"]
    for new_key, old_keys in mapping.items():
        for old in old_keys:
            u.province_2025[old] = new_names.get(new_key)
    return u


# Province names as written beside the dataset's, with their accents (the folded
# ones are _PROVINCE_ALIASES).
_WRITTEN_PROVINCES = ("Thừa Thiên Huế", "Thừa Thiên", "Bà Rịa Vũng Tàu", "Sài Gòn", "TP.HCM")


@lru_cache(maxsize=16384)
def _written(name: str) -> tuple[str, ...]:
    """A unit's name as lower-case tone-canonical syllables ("Cai Lậy (Thị xã)": the
    dataset's mark of one of two units so named left out)."""
    words = _TOKEN.findall(normalize_text(name.split("(")[0]).lower())
    return tuple(map(canonical_syllable, words))


@lru_cache(maxsize=2)
def province_names(accented: bool) -> frozenset[tuple[str, ...]]:
    """Every province's name (before and after 2025, and as often written) as lower-case
    syllables: tone-canonical when ``accented``, else folded."""
    u = units()
    names = {*u.province_name.values(), *u.province_2025.values(), *_WRITTEN_PROVINCES}
    written = {_written(n) for n in names if n}
    if accented:
        return frozenset(written)
    return frozenset({tuple(map(fold, n)) for n in written} | set(u.provinces))


@lru_cache(maxsize=65536)  # a query's plan is built several times over
def within(name: tuple[str, ...], parent: tuple[str, ...], accented: bool = True) -> bool:
    """Is there a commune called ``name`` in a district or province called ``parent``, or
    a district in such a province (lower-case syllables, tone-canonical as written
    when ``accented``, else folded: "bình mỹ" in "châu phú")? Before the 2025 merger."""
    u = units()

    def same(written: str, typed: tuple[str, ...]) -> bool:
        w = _written(written)
        return w == typed if accented else tuple(map(fold, w)) == tuple(map(fold, typed))

    key = tuple(map(fold, name))
    province = u.provinces.get(tuple(map(fold, parent)))
    for pkey, dname, wname, _ in u.communes.get(key, ()):
        if same(wname, name) and (
            same(dname, parent) or pkey == province and same(u.province_name[pkey], parent)
        ):
            return True
    return any(
        same(dname, name) and pkey == province and same(u.province_name[pkey], parent)
        for pkey, dname, _ in u.districts.get(key, ())
    )


def province_key(name: str) -> str | None:
    """The key of a province given by name ("Điện Biên", "tỉnh Bắc Kạn", "Bac Kan")."""
    toks = _fkey(name)
    if toks[:1] == ("tinh",):
        toks = toks[1:]
    elif toks[:2] == ("thanh", "pho"):
        toks = toks[2:]
    return units().provinces.get(toks)


def province_name(key: str | None) -> str | None:
    """The usual name of a (pre-2025) province key."""
    return units().province_name.get(key) if key else None


def province_2025(name: str | None) -> str | None:
    """The province (of 34) that the pre-2025 province ``name`` belongs to since July 2025."""
    key = province_key(name) if name else None
    return units().province_2025.get(key) if key else None


@dataclass
class Places:
    """The places of an article (each may be None)."""

    province: str | None = None
    province_2025: str | None = None
    district: str | None = None
    commune: str | None = None


@dataclass
class _Evidence:
    score: dict = field(default_factory=lambda: defaultdict(float))
    districts: dict = field(default_factory=lambda: defaultdict(float))  # (pkey, dname) -> n
    communes: dict = field(default_factory=lambda: defaultdict(float))  # (pkey, dname, c) -> n


_TYPE_WORDS = trie_pattern(" ".join(t) for t in _TYPES)
# On folded text (case kept): optional unit-type words, then a run of
# capitalised words joined by spaces ("huyen Dien Bien Dong", "Bac Kan").
_MENTION = re.compile(
    rf"\b(?:(?P<type>(?i:{_TYPE_WORDS}))(?:\.[ \t]*|[ \t]+))?"
    r"(?P<run>[A-Z][^\W_]*(?:[ \t]+[A-Z][^\W_]*)*)"
)


# Capitalised acronyms that precede a unit ("UBND TP. HCM", "HĐND Tỉnh Bắc Kạn"):
# lower-cased so that they do not join the name's run of capitalised words.
_ACRONYMS = re.compile(r"\b(?:UBND|HDND|MTTQ|TAND|VKSND|BCH|BTV|UBKT)\b")


def _scan(folded: str, ev: _Evidence, factor: float) -> None:
    u = units()
    folded = _ACRONYMS.sub(lambda m: m.group(0).lower(), folded)
    for m in _MENTION.finditer(folded):
        run = tuple(m.group("run").lower().split())
        if m.group("type"):
            t = tuple(m.group("type").lower().split())
            level = _TYPES[t]
            for size in range(min(len(run), MAX_NAME), 0, -1):
                if _note(u, ev, level, t, run[:size], factor):
                    break
            continue
        if len(run) < 2 and run not in _ONE_WORD:
            continue
        name = run
        # A sentence's capitalised first word may precede the name ("Tại Bắc Kạn").
        if (
            name not in u.provinces
            and name not in u.districts
            and len(run) >= 3
            and name[1:] in u.provinces
            and name[0] not in _NAME_BEFORE
        ):
            name = name[1:]
        pkey = u.provinces.get(name)
        if pkey:
            ev.score[pkey] += W_BARE_PROVINCE * factor
            continue
        found = u.districts.get(name, ())
        if len({p for p, _, _ in found}) == 1:
            ev.score[found[0][0]] += W_BARE_DISTRICT * factor
        for p, d, _ in found:
            ev.districts[(p, d)] += factor / len(found)


def _note(u: _Units, ev: _Evidence, level: str, t, name, factor: float) -> bool:
    """Record a typed mention; False when ``name`` is no unit of that level."""
    if "P" in level and name in u.provinces:
        ev.score[u.provinces[name]] += W_PROVINCE * factor
        return True
    if "D" in level:
        wanted = _DISTRICT_TYPE.get(t)
        found = [d for d in u.districts.get(name, ()) if wanted is None or d[2] == wanted]
        if found:
            for p, d, _ in found:
                ev.score[p] += W_DISTRICT * factor / len(found)
                ev.districts[(p, d)] += factor
            return True
    if level == "C":
        wanted = _DISTRICT_TYPE.get(t)
        found = [c for c in u.communes.get(name, ()) if c[3] == wanted]
        if found:
            for p, d, c, _ in found:
                ev.score[p] += W_COMMUNE * factor / len(found)
                ev.communes[(p, d, c)] += factor
            return True
    return False


def _pick(counts: dict, title_keys: set):
    """The key with most mentions if it dominates its level (or is in the title)."""
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    best, n = ranked[0]
    if best in title_keys and (len(ranked) == 1 or n > ranked[1][1]):
        return best
    total = sum(counts.values())
    return best if n >= 2 and n / total >= MIN_SHARE else None


def find_places(
    title: str, text: str, outlet_province: str | None = None, *, prefolded: bool = False
) -> Places:
    """Province, district and commune of an article from its title and text.

    ``prefolded`` says both were already passed through :func:`fold_keep_case`.
    """
    if not prefolded:
        title, text = fold_keep_case(title), fold_keep_case(text)
    ev, title_ev = _Evidence(), _Evidence()
    _scan(title, title_ev, TITLE_FACTOR)
    _scan(text, ev, 1)
    for k, v in title_ev.score.items():
        ev.score[k] += v
    for k, v in title_ev.districts.items():
        ev.districts[k] += v
    for k, v in title_ev.communes.items():
        ev.communes[k] += v
    if outlet_province:
        key = province_key(outlet_province)
        if key:
            ev.score[key] += W_OUTLET
    if not ev.score:
        return Places()
    ranked = sorted(ev.score.items(), key=lambda kv: -kv[1])
    pkey, best = ranked[0]
    if best < MIN_SCORE or (len(ranked) > 1 and best < MIN_MARGIN * ranked[1][1]):
        return Places()
    u = units()
    places = Places(province=u.province_name[pkey], province_2025=u.province_2025.get(pkey))
    districts = {d: n for (p, d), n in ev.districts.items() if p == pkey}
    district = _pick(districts, {d for (p, d) in title_ev.districts if p == pkey})
    places.district = district
    communes = {
        (d, c): n
        for (p, d, c), n in ev.communes.items()
        if p == pkey and (district is None or d == district)
    }
    picked = _pick(communes, {(d, c) for (p, d, c) in title_ev.communes if p == pkey})
    if picked:
        places.commune = picked[1]
        # A commune names its district when the article did not.
        places.district = places.district or picked[0]
    return places
