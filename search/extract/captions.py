"""Photo captions: short descriptive lines about a picture, kept out of the body.

Saved pages give a caption away in three ways: it is printed twice (alt text
and caption), it carries a photo credit (``(Ảnh: ...)``), or it is a single
descriptive sentence standing alone between paragraphs, led by who or what is
in the picture ("Cán bộ ...", "Đồng chí ...", "Quang cảnh ...").
"""

from __future__ import annotations

import re

from ..analysis import fold

# "(Ảnh: Duy Trần)", "Ảnh: TL", "Ảnh minh họa" inside or at the end of a line.
# Only whether it occurs matters, so the optional "(" and spaces that may come
# before the word are not matched: from each space of a long run they would
# have scanned the whole run again.
_CREDIT = re.compile(
    r"\b(?:anh|nguon anh|photo)\s*+:\s*[^)\]]{1,40}[)\]]?\s*$"
    r"|\banh minh hoa\b|\banh tu lieu\b|\(anh\s*+:",
    re.IGNORECASE,
)
# The start of a trailing credit, matched at one opening bracket.
_OPENER = re.compile(r"[(\[]")
_CREDIT_OPEN = re.compile(r"[(\[]\s*+(?:anh|nguon anh|photo)\s*+:", re.IGNORECASE)
_CREDIT_LINE = re.compile(
    r"^\s*(?:anh|nguon anh|anh minh hoa|anh tu lieu)\s*(?::|$)", re.IGNORECASE
)
# Who or what a picture shows: the usual first words of a caption.
_SUBJECT = re.compile(
    r"^(?:can bo|cong chuc|dong chi|ong|ba|lanh dao|doan cong tac|doan|dai bieu|cac dai bieu"
    r"|quang canh|toan canh|mot goc|nguoi dan|nhan dan|hoc vien|hoc sinh|bo phan|thanh vien"
    r"|luc luong|chien si|can bo, cong chuc|doi ngu|dong bao|ba con|nong dan|hoi vien"
    r"|phong vien|bi thu|chu tich|pho chu tich|giam doc|truong|ubnd|hdnd|tap the|canh|hinh anh"
    r"|le|buoi|hoi nghi|hoi thao|lop|mo hinh|cong trinh|tuyen duong|khu)\b"
)
# First words of ordinary paragraphs, never of a caption.
_CONNECTIVE = re.compile(
    r"^(?:theo|tuy nhien|ngoai ra|ben canh|cung voi|trong|de|do do|vi vay|nho|tu|sau|truoc"
    r"|hien nay|hien|co the|ket qua|qua |nhu vay|dac biet|mat khac|dong thoi|can cu|thuc hien"
    r"|tinh den|nam|tai|voi|khi|neu|nhung|con|va|chinh vi)\b"
)
_SENTENCE_BREAK = re.compile(r"[.!?…]\s+[A-ZÀ-ỸĐ\"“]")
MIN_WORDS, MAX_WORDS = 6, 35


def has_photo_credit(line: str) -> bool:
    """A line ending in a photo credit ("... (Ảnh: Duy Trần)") or saying "Ảnh minh họa"."""
    f = fold(line)
    low = f.lower()
    if "anh" not in low and "photo" not in low:
        return False
    return bool(_CREDIT.search(f))


def is_credit_line(line: str) -> bool:
    """A line that is only a photo credit ("Ảnh: Duy Trần")."""
    return bool(_CREDIT_LINE.match(fold(line))) and len(line.split()) <= 8


def strip_credit(line: str) -> str:
    """A caption without its trailing "(Ảnh: ...)" credit."""
    f = fold(line)
    if len(f) != len(line):
        return line
    # The credit is the last bracketed part: its opening bracket comes after
    # the last closing one before the end. Scanning for it once keeps a line of
    # many unclosed "(Ảnh: ..." linear (a regex search would rescan from each).
    text = f.rstrip()
    if not text or text[-1] not in ")]":
        return line
    body = text[:-1]
    start = max(body.rfind(")"), body.rfind("]")) + 1
    for m in _OPENER.finditer(body, start):
        if _CREDIT_OPEN.match(body, m.start()):
            return line[: m.start()].rstrip()
    return line


def looks_like_caption(line: str) -> bool:
    """A single descriptive sentence of caption length, led by the picture's subject."""
    n = len(line.split())
    if not MIN_WORDS <= n <= MAX_WORDS or _SENTENCE_BREAK.search(line):
        return False
    if line.rstrip().endswith((":", "?", "!", ",", ";")) or "%" in line:
        return False
    f = fold(line).lower()
    if _CONNECTIVE.match(f) or "cho biet" in f or "chia se" in f or f.startswith(('"', "“")):
        return False
    return bool(_SUBJECT.match(f))


def dedupe(captions: list[str]) -> list[str]:
    """Captions in order, each once (alt text and caption are often identical)."""
    seen: set[str] = set()
    out = []
    for c in captions:
        key = fold(c).lower().strip(" .")
        if key and key not in seen:
            seen.add(key)
            out.append(c)
    return out
