"""Vietnamese text analysis: normalisation, tone canonicalisation, folding.

Plain functions over strings, with no search engine behind them (the Whoosh
schema wraps them as analyzers in search/backends/whoosh_analysis.py)::

    >>> analyze("Cán bộ cấp XÃ")
    ['can', 'bo', 'cap', 'xa']
    >>> analyze("Thuỷ lợi hoà bình", fold=False)
    ['thủy', 'lợi', 'hòa', 'bình']
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
from unidecode import unidecode

__all__ = [
    "analyze",
    "canonical",
    "canonical_syllable",
    "clause_pieces",
    "clause_syllables",
    "compound_words",
    "ensure_normalized",
    "fold",
    "fold_chars",
    "has_diacritics",
    "new_style",
    "normalize_text",
    "syllables",
]

# --- character-level normalisation ------------------------------------------

# U+00D0 (Icelandic eth) is a common look-alike for Đ in scraped Vietnamese;
# its lower case is ð, which no Vietnamese tool folds to d.
_LOOKALIKES = {0x00D0: "Đ", 0x00F0: "đ"}
# Odd spaces become a plain space (same length, so offsets survive).
_SPACES = {
    cp: " "
    for cp in (
        0x00A0,
        0x1680,
        0x202F,
        0x205F,
        0x3000,
        0x0009,
        0x000B,
        0x000C,
        *range(0x2000, 0x200B),
    )
}
# Zero-width characters and the BOM split words invisibly: drop them.
_INVISIBLE = {cp: None for cp in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD)}
_CHAR_TABLE = {**_LOOKALIKES, **_SPACES, **_INVISIBLE}


def normalize_text(text: str) -> str:
    """NFC-normalise text, repair look-alike letters and odd spaces (case kept)."""
    # Repair first (a zero-width character between a letter and its mark would
    # block composition), then NFC: decomposed marks would split words. Most
    # texts have nothing to repair, and a regex scan costs less than translate.
    if _REPAIRED.search(text):
        text = text.translate(_CHAR_TABLE)
    return unicodedata.normalize("NFC", text)


_REPAIRED = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_CHAR_TABLE)) + "]")


def ensure_normalized(text: str) -> str:
    """:func:`normalize_text`, skipped when the text is already normal (the usual case)."""
    if unicodedata.is_normalized("NFC", text) and not _REPAIRED.search(text):
        return text
    return normalize_text(text)


# --- tone placement ---------------------------------------------------------

# The five combining tone marks (grave, acute, tilde, hook, dot below).
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_MARKED_VOWELS = set("ăâêôơư")
_INITIALS = {
    "",
    "b",
    "c",
    "ch",
    "d",
    "đ",
    "g",
    "gh",
    "gi",
    "h",
    "k",
    "kh",
    "l",
    "m",
    "n",
    "ng",
    "ngh",
    "nh",
    "p",
    "ph",
    "qu",
    "r",
    "s",
    "t",
    "th",
    "tr",
    "v",
    "x",
}
_FINALS = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_SYLLABLE = re.compile(r"^([^aăâeêioôơuưy]*)([aăâeêioôơuưy]+)([^aăâeêioôơuưy]*)$")


@lru_cache(maxsize=65536)
def canonical_syllable(syllable: str) -> str:
    """Place the tone mark of one lower-case syllable in the old ("hòa", "thủy") style.

    Old and new styles differ only for ``oa``, ``oe`` and ``uy`` without a final
    consonant (``hoà``/``hòa``, ``khoẻ``/``khỏe``, ``thuỷ``/``thủy``). The old style
    is chosen because it is what most of the press prints. Anything that is not a
    well-formed Vietnamese syllable is returned unchanged.
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in TONE_MARKS))
    parts = _parts(base)
    if parts is None:
        return syllable
    initial, nucleus, final = parts
    marked = [i for i, c in enumerate(nucleus) if c in _MARKED_VOWELS]
    if marked:
        pos = marked[-1]  # ươ -> ơ, uô -> ô, iê -> ê
    elif len(nucleus) == 1:
        pos = 0
    elif len(nucleus) == 3:
        pos = 1  # oai, uyu, oay
    elif final:
        pos = len(nucleus) - 1  # hoàn, huých
    else:
        pos = 0  # hòa, khỏe, thủy, mía, tài
    toned = nucleus[pos] + tones[0]
    out = initial + nucleus[:pos] + toned + nucleus[pos + 1 :] + final
    return unicodedata.normalize("NFC", out)


def _parts(base: str) -> tuple[str, str, str] | None:
    """(initial, vowel nucleus, final) of a lower-case syllable without tone, or None."""
    m = _SYLLABLE.match(base)
    if not m:
        return None
    initial, nucleus, final = m.groups()
    # "qu" and "gi" (before another vowel) are initials: their u/i is no vowel.
    if initial == "q" and nucleus.startswith("u") and len(nucleus) > 1:
        initial, nucleus = "qu", nucleus[1:]
    elif initial == "g" and nucleus.startswith("i") and len(nucleus) > 1:
        initial, nucleus = "gi", nucleus[1:]
    if initial not in _INITIALS or final not in _FINALS or len(nucleus) > 3:
        return None
    return initial, nucleus, final


def well_formed(syllable: str) -> bool:
    """True when a lower-case, folded token has the shape of a Vietnamese syllable."""
    return syllable.isalpha() and _parts(syllable) is not None


_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def _new_style_table() -> dict[str, str]:
    table = {}
    for first, second in ("oa", "oe", "uy"):
        for tone in TONE_MARKS:
            for case in (str.lower, str.upper, str.capitalize):
                old = unicodedata.normalize("NFC", first + tone + second)
                new = unicodedata.normalize("NFC", first + second + tone)
                table[case(old)] = case(new)
    return table


_NEW_STYLE = _new_style_table()
# The tone of oa/oe/uy without a final consonant, on the first vowel, at the
# end of a syllable: the one spelling the two styles disagree on.
_OLD_STYLE_RE = re.compile("(?:" + "|".join(sorted(_NEW_STYLE)) + r")(?![^\W\d_])")


def new_style(text: str) -> str:
    """``text`` with the new tone placement (``hoà``, ``thuỷ``, ``khoẻ``): what pyvi knows best.

    pyvi's model joins ``hoà giải`` as one word far more reliably than ``hòa
    giải`` (measured on local news: 41/41 against 33/41 for ``hoà bình``), so
    text is given to it in this style; its output is only ever used folded.
    """
    return _OLD_STYLE_RE.sub(lambda m: _NEW_STYLE[m.group()], text)


def canonical(text: str) -> str:
    """Normalise text for exact matching: NFC, look-alikes, lower case, one tone style."""
    text = normalize_text(text).lower()
    out = _WORD_RE.sub(lambda m: canonical_syllable(m.group(0)), text)
    # A stray combining mark after a syllable whose tone moved may now compose.
    return unicodedata.normalize("NFC", out)


# --- folding ----------------------------------------------------------------


@lru_cache(maxsize=4096)
def _transliterate(c: str) -> str:
    """One character without its marks, for the characters the table does not hold."""
    # Only Latin letters are transliterated (ß -> ss, ø -> o); other scripts are
    # kept, since unidecode would turn one CJK character into a spaced word.
    if unicodedata.combining(c):
        return ""  # a mark with no precomposed letter to fold into
    if c.isascii() or "LATIN" not in unicodedata.name(c, ""):
        return c
    return unidecode(c) or c


def _build_fold_table() -> dict[int, str]:
    table = {}
    for cp in range(0x00C0, 0x1EFA):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii() and len(base) == 1:
            table[cp] = base
        elif len(letter := _transliterate(ch)) == 1 and letter != ch:
            table[cp] = letter  # a Latin letter with no decomposition: ø -> o, ł -> l
    # đ/Đ (and the look-alikes) have no decomposition: map them explicitly.
    table.update({0x0111: "d", 0x0110: "D", 0x00F0: "d", 0x00D0: "D"})
    return table


# The one folding table (the index's; the extractors and highlighting use it too):
# every letter of Latin-1 to Latin Extended Additional that folds to one other
# character, so folding with it keeps the text's length and offsets.
FOLD_TABLE = _build_fold_table()
# The table as an array of code points, for folding long texts in one numpy step.
_FOLD_END = 0x1EFA
_FOLD_ARRAY = np.arange(_FOLD_END, dtype=np.uint32)
_FOLD_ARRAY[list(FOLD_TABLE)] = [ord(c) for c in FOLD_TABLE.values()]
# Below this length str.translate is as fast.
_VECTOR_MIN = 256


def fold_chars(text: str) -> str:
    """``text.translate(FOLD_TABLE)``: one character for one, so offsets are kept.

    str.translate looks each character up in a dict; a long text (a whole
    article, for snippets and extraction) is mapped through an array instead,
    several times faster.
    """
    if len(text) < _VECTOR_MIN:
        return text.translate(FOLD_TABLE)
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    folded = np.where(codes < _FOLD_END, _FOLD_ARRAY.take(codes, mode="clip"), codes)
    return folded.astype("<u4").tobytes().decode("utf-32-le", "surrogatepass")


def fold(text: str) -> str:
    """Remove every diacritic (``đ`` -> ``d``); other Latin letters go through unidecode."""
    # Syllables repeat endlessly and are cached; long strings (whole lines) are not.
    return _fold_short(text) if len(text) <= 64 else _fold(text)


@lru_cache(maxsize=131072)
def _fold_short(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    out = fold_chars(text)
    if not out.isascii():
        out = "".join(map(_transliterate, out))
    return out


_fold_any = fold  # for functions whose ``fold`` argument hides it


def has_diacritics(text: str) -> bool:
    """True when folding would change the (normalised) text, i.e. it carries accents."""
    text = normalize_text(text)
    return fold(text) != text


# --- syllables and words ----------------------------------------------------

# A syllable: letters and digits, with decimal parts kept together ("2.200", "4.0").
SYLLABLE_PATTERN = r"[^\W_]+(?:[.,]\d+)*"
# A pyvi word: syllables joined by "_" ("cán_bộ").
WORD_PATTERN = r"[^\W_]+(?:_[^\W_]+)*"


# The analysis as plain lists built with C loops: indexing runs it over every
# article, queries over every search (search/backends/whoosh_analysis.py wraps
# the same steps as Whoosh analyzers, for the Whoosh schema).
_SYLLABLE_RE = re.compile(SYLLABLE_PATTERN, re.UNICODE)
_PYVI_WORD_RE = re.compile(WORD_PATTERN, re.UNICODE)


def syllables(text: str) -> list[str]:
    """Normalised, lower-case, tone-canonical syllables of ``text`` (accents kept)."""
    found = _SYLLABLE_RE.findall(normalize_text(text or ""))
    return list(map(canonical_syllable, map(str.lower, found)))


# Punctuation that ends a clause between two syllables: a word or a phrase
# never goes on over it ("Khánh Hòa, Bình Định" holds no "hòa bình", "Đảng.
# Uỷ ban" no "Đảng ủy"). A full stop only before a space or the end, maybe
# after a closing quote ("TP.HCM" and "2.200" go on), and not after an
# abbreviation (_abbreviation_dot: "TP. Hồ Chí Minh"). A comma only before a
# capital, as between names: official Vietnamese writes one term with a comma
# in it ("phòng, chống tham nhũng", "cán bộ, công chức"). Each alternative
# starts with its own characters (one way to match), as does SYLLABLE_PATTERN.
# clause_syllables (every indexed article: findall, fast) and clause_pieces
# (queries, snippets: offsets) apply the same two rules.
_CLAUSE_SCAN_RE = re.compile(
    rf"({SYLLABLE_PATTERN})|(\.)(?=[\"”’»]?(?!\S))|(,)|[;:!?…()\[\]{{}}|•\n\r]", re.UNICODE
)


# Abbreviations written with a full stop before a name or a number ("TP. Hồ Chí
# Minh", "Q. 1", "PGS. TS. Nguyễn"); after another word a full stop ends the
# sentence ("5 USD. Người dân", "WTO. Năm").
_DOTTED = frozenset(
    ("tp", "tx", "tt", "q", "p", "h", "x", "pgs", "gs", "ts", "ths", "bs", "ks", "ls", "nxb")
)


def _abbreviation_dot(token: str | None) -> bool:
    """True when a full stop after ``token`` marks an abbreviation (``TP.``), not a
    clause's end."""
    return token is not None and token.lower() in _DOTTED


def comma_ends_clause(following: str) -> bool:
    """True when a comma before the syllable ``following`` ends a clause (a capital)."""
    return following[:1].isupper()


def clause_syllables(text: str) -> list[str | None]:
    """:func:`syllables` of ``text`` with a None where punctuation ends a clause
    between two of them: the index leaves a position free there."""
    # findall and one plain loop: this runs over every indexed article.
    out: list[str | None] = []
    pause = comma = False
    before = None
    for syllable, dot, is_comma in _CLAUSE_SCAN_RE.findall(normalize_text(text or "")):
        if syllable:
            if (pause or comma and comma_ends_clause(syllable)) and out:
                out.append(None)
            out.append(syllable)
            pause = comma = False
            before = syllable
        elif is_comma:
            comma, before = True, None
        else:
            pause = pause or not (dot and _abbreviation_dot(before))
            before = None
    return [s if s is None else canonical_syllable(s.lower()) for s in out]


def clause_pieces(text: str) -> list[str]:
    """``text`` (normalised) cut where punctuation ends a clause, without that punctuation:
    each piece is one character after the end of the one before."""
    pieces, start = [], 0
    before = None  # the syllable just before, if nothing stands between
    comma = None  # the first comma since the last syllable
    for m in _CLAUSE_SCAN_RE.finditer(text):
        if m.group(1) is not None:
            if comma is not None and comma_ends_clause(m.group(1)):
                pieces.append(text[start : comma.start()])
                start = comma.end()
            comma, before = None, m.group(1)
        elif m.group(3) is not None:
            comma, before = comma or m, None
        else:
            if not (m.group(2) is not None and _abbreviation_dot(before)):
                pieces.append(text[start : m.start()])
                start, comma = m.end(), None
            before = None
    pieces.append(text[start:])
    return pieces


def analyze(text: str, fold: bool = True) -> list[str]:
    """Token texts of ``text`` as the index sees them (folded by default)."""
    exact = syllables(text)
    return list(map(_fold_any, exact)) if fold else exact


def compound_words(segmented: str) -> list[str]:
    """Folded compound words of pyvi output (``cán_bộ cấp xã`` -> ``can_bo``), as indexed."""
    found = _PYVI_WORD_RE.findall(normalize_text(segmented or ""))
    return [fold(w.lower()) for w in found if "_" in w]


# Whoosh's analyzer classes live behind the storage seam, but the schema Whoosh
# pickles into every index names them here, as it did before they moved
# (search/backends/whoosh_analysis.py): unpickling finds them through this.
def __getattr__(name: str):
    if not name.startswith("__"):  # no engine import for Python's own probes
        from .backends import whoosh_analysis

        if name in whoosh_analysis.__all__:
            return getattr(whoosh_analysis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
