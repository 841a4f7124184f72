"""Bylines and sources: who wrote an article, and where it was first published.

Three byline shapes are read: a labelled credit (``Bài, ảnh: Đức Linh``), a
bare trailing name line (``PHÙNG KHIÊM``, ``Thu Cúc``) and a name in front of
the timestamp (``Hải Hằng 08:17, 08/06/2023``). Names come back in title case.
"""

from __future__ import annotations

import re

from ..analysis import fold

_CREDIT = re.compile(
    r"^\s*+(?:bai\s*+(?:,|va|&)?\s*+anh|tin\s*+(?:,|va|&)?\s*+anh|bai\s*+(?:va|,)\s*+video|bai|tin"
    r"|nhom phong vien|nhom pv|pv|phong vien|thuc hien|tac gia|but danh)\s*:\s*(?P<v>.+)$",
    re.IGNORECASE,
)
_SOURCE = re.compile(r"^\s*+(?:nguon\s*+tin|nguon|theo)\s*+:\s*(?P<v>.+)$", re.IGNORECASE)
# "Theo Báo Lạng Sơn" (no colon): only in a short line at the end of an article.
_THEO = re.compile(r"^\s*theo\s+(?P<v>\S.{0,60})$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"')]+|\bwww\.[^\s<>\"')]+", re.IGNORECASE)
# Where one author's name ends and the next begins: " - ", ", ", " và ". The
# spaces in front are matched only from the first of a run, so that a long run
# of spaces is not scanned again from each of its positions.
_AUTHOR_SPLIT = re.compile(r"(?<!\s)\s+[-–—]\s+|,\s*|(?<!\s)\s+và\s+")
_OPENERS, _CLOSERS = "([", ")]"
_NAME_WORD = re.compile(r"^[^\W\d_]+\.?$")
# Words of navigation and administration that are no name syllables.
_NOT_NAMES = {
    "back",
    "to",
    "top",
    "khac",
    "luan",
    "website",
    "thong",
    "truy",
    "xem",
    "them",
    "ubnd",
    "hdnd",
    "tinh",
    "huyen",
    "xa",
    "ket",
    "quyet",
    "dinh",
    "hoach",
    "nguon",
    "theo",
    "video",
    "the",
    "and",
    "of",
    "trang",
    "chu",
    "lien",
    "so",
    "bao",
    "cao",
    "nghi",
    "uy",
    "phuong",
    "thi",
    "tran",
    "home",
    "print",
    "share",
}
MAX_NAME_WORDS = 5


def title_case(name: str) -> str:
    """``PHÙNG KHIÊM`` -> ``Phùng Khiêm`` (each word capitalised, hyphens kept)."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in name.split())


def strip_trailing_parenthesis(value: str) -> str:
    """``value`` without a parenthesised part at its end ("Đức Linh (TTXVN)" -> "Đức Linh").

    String scanning, not a regex: searching for an opening bracket whose
    closing one ends the text would rescan the rest of the text from every
    bracket, quadratic on a run of "((((".
    """
    text = value.rstrip()
    if not text or text[-1] not in _CLOSERS:
        return value
    body = text[:-1]
    after = max(body.rfind(")"), body.rfind("]")) + 1  # no closing bracket inside the part
    opens = [i for i in (body.find("(", after), body.find("[", after)) if i >= 0]
    return body[: min(opens)].rstrip() if opens else value


def _clean(value: str) -> str:
    value = strip_trailing_parenthesis(value.strip())
    return value.strip(" .,;:-–—")


def looks_like_name(text: str) -> bool:
    """Two to five capitalised alphabetic words, or one upper-case pen name."""
    text = _clean(text)
    parts = text.split()
    if not 2 <= len(parts) <= MAX_NAME_WORDS and not (
        len(parts) == 1 and text.isupper() and len(text) > 3
    ):
        return False
    for w in parts:
        if not _NAME_WORD.match(w) or not w[0].isupper():
            return False
    folded_words = [fold(w).lower().rstrip(".") for w in parts]
    if all(w in _NOT_NAMES for w in folded_words):
        return False
    # An all-ASCII line with a navigation word is a button ("Back To Top").
    return not (text.isascii() and any(w in _NOT_NAMES for w in folded_words))


def _names(value: str) -> str | None:
    # "Thu Hằng - Minh Anh" and "Thu Hằng, Minh Anh" are two authors.
    names = [_clean(p) for p in _AUTHOR_SPLIT.split(_clean(value))]
    names = [n for n in names if n]
    if names and all(looks_like_name(n) for n in names):
        return ", ".join(title_case(n) for n in names)
    return None


def credit_author(line: str) -> str | None:
    """The author of a labelled credit line (``Bài, ảnh: Đức Linh``), else None."""
    m = _CREDIT.match(fold(line))
    if not m:
        return None
    value = line[m.start("v") :] if len(fold(line)) == len(line) else line.split(":", 1)[1]
    return _names(value)


def name_line_author(line: str) -> str | None:
    """The author of a bare name line (``PHÙNG KHIÊM``, ``Thu Cúc``), else None."""
    if len(line) > 60 or any(c.isdigit() for c in line):
        return None
    return _names(line)


def source_of(line: str, *, tail: bool = False) -> str | None:
    """The value of a source line (``Nguồn tin: http://...``, ``Theo Báo X``), else None."""
    f = fold(line)
    m = _SOURCE.match(f) or (_THEO.match(f) if tail else None)
    if not m:
        return None
    if tail and m.re is _THEO and len(line.split()) > 8:
        return None
    if len(f) == len(line):
        value = line[m.start("v") :]
    else:  # folding changed the length ("þ" -> "th"): cut after the label instead
        value = line.split(":", 1)[1] if m.re is _SOURCE else line.split(None, 1)[1]
    return value.strip(" .;:") or None


def find_url(text: str) -> str | None:
    """The first web address in ``text``, with a scheme."""
    m = _URL.search(text)
    if not m:
        return None
    url = m.group(0).rstrip(".,;")
    return url if url.lower().startswith("http") else "http://" + url
