"""Vietnamese legal and administrative document references ("70/2009/QĐ-TTg").

A reference is extracted whole, before any tokenizer can shred it, and given a
``key``: folded, upper case, without spaces (``774/KH - UBND`` -> ``774/KH-UBND``),
so that the same document is one identifier however it was typed.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass

from .analysis import ensure_normalized, fold, normalize_text
from .extract.text import trie_pattern

# Document kinds with the symbol that usually stands for them in a reference.
KINDS = {
    "Quyết định": "QĐ",
    "Nghị quyết": "NQ",
    "Kế hoạch": "KH",
    "Kết luận": "KL",
    "Báo cáo": "BC",
    "Chỉ thị": "CT",
    "Thông tư": "TT",
    "Nghị định": "NĐ",
    "Công văn": "CV",
    "Luật": "L",
    "Thông báo": "TB",
    "Tờ trình": "TTr",
    "Hướng dẫn": "HD",
    "Quy định": "QĐi",
    "Chương trình": "CTr",
    "Đề án": "ĐA",
    "Thông tư liên tịch": "TTLT",
    "Pháp lệnh": "PL",
    "Công điện": "CĐ",
    "Văn bản": "VB",
}
_SYMBOL_KIND = {fold(sym).upper(): kind for kind, sym in KINDS.items()}
_KIND_BY_FOLDED = {fold(k).lower(): k for k in KINDS}
_kind_alt = "|".join(sorted((re.escape(k) for k in KINDS), key=len, reverse=True))
# The same alternation shaped as a trie: much faster over a whole article.
_kind_trie = trie_pattern({variant for k in KINDS for variant in (k, k.lower())})

# A symbol part starts with a capital ("QĐ", "TTg", "UBND", "TTr"); parts join with "-".
_PART = r"[A-ZĐ][A-Za-zĐđ]{0,9}(?<=[A-Za-zĐđ])\d{0,2}"
_SYMBOL = rf"{_PART}(?:[ \t]*-[ \t]*{_PART}){{0,4}}"
# 70/2009/QĐ-TTg, 774/KH - UBND, 1184/KL-UBND, 37-NQ/TU, 73/2021/QH14; and the
# slash-less typo "47UBND -UBND-TTr" (a symbol of two or more capitals glued to
# the number, then at least one more part), read as 47/UBND-UBND-TTr.
_NUMBERED = re.compile(
    rf"(?<![\w/])(\d{{1,5}})(?:[ \t]*/[ \t]*(\d{{4}}))?"
    rf"(?:[ \t]*([/-])[ \t]*|(?=[A-ZĐ]{{2,}}[ \t]*-[ \t]*[A-ZĐ]))"
    rf"({_SYMBOL}(?:/{_PART})?)(?![\w])"
)
# "Kế hoạch số 51", "Nghị quyết 37" (a number with no symbol)
_BARE = re.compile(rf"\b({_kind_trie})[ \t]+(?:số[ \t]+)?(\d{{1,5}})(?![\d/\w-])", re.IGNORECASE)
# The kind written just before a numbered reference: "Quyết định số 70/2009/QĐ-TTg".
_KIND_BEFORE = re.compile(rf"({_kind_alt})[ \t]*(?:số[ \t]*)?(?:[:.][ \t]*)?$", re.IGNORECASE)


@dataclass(frozen=True)
class PolicyRef:
    """One document reference: its display form, kind and lookup key."""

    ref: str
    kind: str | None
    key: str

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return asdict(self)


def ref_key(ref: str) -> str:
    """The identifier of a reference: folded, upper case, no spaces."""
    return re.sub(r"\s+", "", fold(normalize_text(ref))).upper()


def _kind_from_symbol(symbol: str) -> str | None:
    first = re.split(r"[-/]", fold(symbol).upper())[0]
    return _SYMBOL_KIND.get(first)


def _canonical_kind(word: str) -> str:
    return _KIND_BY_FOLDED.get(fold(word).lower(), word)


def find_refs(text: str, *, query: bool = False) -> list[tuple[PolicyRef, int, int]]:
    """All references in ``text`` with their character spans, in order.

    Spans are offsets in ``ensure_normalized(text)``: the text itself unless it
    held decomposed letters, look-alikes or invisible characters.

    With ``query=True`` the symbol may be in any case (``70/2009/qd-ttg``),
    since people type identifiers carelessly; in documents a capital letter is
    required so that ordinary words after a slash are not taken for symbols.
    """
    text = ensure_normalized(text)
    scan = text.upper() if query else text
    if len(scan) != len(text):  # "ß" -> "SS", "ﬁ" -> "FI": keep offsets those of ``text``
        scan = "".join(u if len(u := c.upper()) == 1 else c for c in text)
    found: list[tuple[PolicyRef, int, int]] = []
    for m in _NUMBERED.finditer(scan):
        number, year, sep, symbol = m.groups()
        symbol = re.sub(r"[ \t]*-[ \t]*", "-", text[m.start(4) : m.end(4)])
        display = f"{number}/{year}/{symbol}" if year else f"{number}{sep or '/'}{symbol}"
        before = _KIND_BEFORE.search(text[max(0, m.start() - 30) : m.start()])
        kind = _canonical_kind(before.group(1)) if before else _kind_from_symbol(symbol)
        found.append((PolicyRef(display, kind, ref_key(display)), m.start(), m.end()))
    # Numbered references do not overlap and come in order: a bare one is checked
    # against its two neighbours by bisection (a scan of all would be quadratic).
    starts = [s for _, s, _ in found]
    ends = [e for _, _, e in found]
    for m in _BARE.finditer(text):
        j = bisect.bisect_right(starts, m.start())
        if (j and ends[j - 1] > m.start()) or (j < len(starts) and starts[j] < m.end()):
            continue
        kind = _canonical_kind(m.group(1))
        display = f"{kind} {m.group(2)}"
        found.append((PolicyRef(display, kind, ref_key(display)), m.start(), m.end()))
    found.sort(key=lambda f: f[1])
    return found


def extract_refs(text: str) -> list[PolicyRef]:
    """Distinct references of a document, in order of first appearance."""
    seen: dict[str, PolicyRef] = {}
    for ref, _, _ in find_refs(text):
        seen.setdefault(ref.key, ref)
    return list(seen.values())


_LEADING_KIND = re.compile(rf"^\s*({_kind_alt})\b", re.IGNORECASE)


def leading_kind(text: str) -> str | None:
    """The document kind a title starts with ("Kết luận Thanh tra: ..." -> "Kết luận")."""
    m = _LEADING_KIND.match(normalize_text(text))
    return _canonical_kind(m.group(1)) if m else None
