"""Abbreviations and the words they stand for (``UBND`` = ``Ủy ban nhân dân``), as one word.

Two sources: a curated table of unambiguous administrative abbreviations
(``search/data/abbreviations.tsv``, built by ``tools/build_abbreviations.py`` from
soe-vinorm's MIT-licensed list), and definitions that articles make themselves,
"Cán bộ, công chức (CBCC)", found at indexing (:func:`definitions`) and kept in
the index as terms of the ``defines`` field, so their counts are the index's own.

Forms are compared as keys: tuples of folded syllables, as the index cuts them
(``TP.HCM`` is ``("tp", "hcm")``, ``Thành phố Hồ Chí Minh`` is ``("thanh", "pho",
"ho", "chi", "minh")``). Every form of one group stands for every other.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .analysis import clause_syllables, fold, syllables, well_formed

Key = tuple[str, ...]
TABLE = Path(__file__).with_name("data") / "abbreviations.tsv"
# Syllables before "(ABBR)" looked at for its definition.
MAX_EXPANSION = 12
# "(ABBR)": capitals (Đ included), digits and the joiners abbreviations use.
# One character class repeated between literal brackets: one way to match.
_DEFINED = re.compile(r"\(\s?([A-ZĐ][A-ZĐ0-9&.\-]{1,11})\s?\)")
# Words an abbreviation's letters skip ("Giáo dục và Đào tạo" is GDĐT).
_SKIPPED = {"va"}
# A learned definition needs this many articles to stand for the abbreviation.
MIN_LEARNED = 1
# Searching the words also finds a learned short form of two letters only when
# this many articles define it so: one article's "Giám đốc (GD)" says little of
# the GD of others (giáo dục), nor "Nhà nước (NN)" of NN (nông nghiệp).
SHORT_LETTERS = 2
MIN_LEARNED_SHORT = 3


def key(text: str) -> Key:
    """The key of a form: its folded syllables."""
    return tuple(fold(s) for s in syllables(text))


def letters(abbr: str) -> str:
    """The letters of an abbreviation, folded and lower-case (``HĐND`` -> ``hdnd``)."""
    return "".join(key(abbr))


@lru_cache(maxsize=1)
def curated() -> dict[Key, tuple[tuple[Key, str], ...]]:
    """Each curated form -> the other forms of its group, with how to show them."""
    shown: dict[Key, str] = {}
    parent: dict[Key, Key] = {}

    def find(k: Key) -> Key:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for line in TABLE.read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        abbr, _, expansion = line.partition("\t")
        a, e = key(abbr), key(expansion)
        if not a or not e:
            continue
        shown.setdefault(a, abbr.strip())
        shown.setdefault(e, expansion.strip())
        parent[find(a)] = find(e)
    groups: dict[Key, list[Key]] = {}
    for k in parent:
        groups.setdefault(find(k), []).append(k)
    out = {}
    for members in groups.values():
        for k in members:
            out[k] = tuple((m, shown[m]) for m in sorted(members) if m != k)
    return out


def definitions(text: str) -> list[tuple[Key, Key]]:
    """(abbreviation, expansion) keys an article defines: "Cán bộ, công chức (CBCC)"."""
    out = []
    for m in _DEFINED.finditer(text):
        abbr = letters(m.group(1))
        if len(abbr) < 2 or not abbr.isalpha():
            continue
        before = clause_syllables(text[max(0, m.start() - 20 * MAX_EXPANSION) : m.start()])
        if None in before:  # the expansion never goes on over the end of a clause
            before = before[len(before) - before[::-1].index(None) :]
        words = [fold(s) for s in before if s is not None][-MAX_EXPANSION:]
        # The shortest tail of the preceding syllables whose initials spell it.
        for start in range(len(words) - 1, -1, -1):
            tail = words[start:]
            initials = "".join(w[0] for w in tail if w not in _SKIPPED)
            if initials == abbr:
                if len(tail) > 1 and tail[0] not in _SKIPPED:
                    out.append((key(m.group(1)), tuple(tail)))
                break
            if len(initials) >= len(abbr):
                break
    return out


def found_by_its_words(form: Key, articles: int) -> bool:
    """True when searching the expansion of the learned short ``form``, defined by
    ``articles`` articles, also finds ``form`` (see :func:`ambiguous`, SHORT_LETTERS)."""
    if ambiguous(form):
        return False
    return len("".join(form)) > SHORT_LETTERS or articles >= MIN_LEARNED_SHORT


def ambiguous(form: Key) -> bool:
    """True when a short form is one Vietnamese syllable as well: folded, ``DA`` is also
    đã, Đà and đá, so it cannot stand in for its expansion in a search."""
    return len(form) == 1 and well_formed(form[0])


def encode(pair: tuple[Key, Key]) -> str:
    """One ``defines`` term: ``cbcc=can_bo_cong_chuc``."""
    return "_".join(pair[0]) + "=" + "_".join(pair[1])


def decode(term: str) -> tuple[Key, Key]:
    """The (abbreviation, expansion) keys of a ``defines`` term."""
    a, _, e = term.partition("=")
    return tuple(a.split("_")), tuple(e.split("_"))
