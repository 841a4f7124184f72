"""Fast text helpers shared by the extractors (folding long texts, cutting lines)."""

from __future__ import annotations

import re

from ..analysis import fold_chars

_NON_WORD = re.compile(r"[\W_]+")


def match_form_folded(folded: str) -> str:
    """:func:`match_form` of text already folded by :func:`fold_keep_case`."""
    return " " + _NON_WORD.sub(" ", folded.lower()).strip() + " "


def fold_keep_case(text: str) -> str:
    """Text without diacritics, case and length kept (for long texts: no per-call cache)."""
    return fold_chars(text)


def match_form(text: str) -> str:
    """Folded, lower-case words separated by single spaces, padded with spaces."""
    return " " + _NON_WORD.sub(" ", fold_chars(text).lower()).strip() + " "


def clean_line(line: str) -> str:
    """A line with runs of whitespace collapsed."""
    return " ".join(line.split())


def bounded_chunks(text: str, limit: int) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at spaces where possible.

    Nothing is dropped: a long line stays searchable while every regex and
    pyvi only ever see bounded pieces. A run with no space in the second half
    of a window is cut inside it.
    """
    if len(text) <= limit:
        return [text] if text.strip() else []
    out, start, n = [], 0, len(text)
    while start < n:
        end = min(start + limit, n)
        if end < n:
            cut = max(
                text.rfind(" ", start + limit // 2, end + 1),
                text.rfind("\n", start + limit // 2, end + 1),
            )
            if cut > start:
                end = cut
        piece = text[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    return out


def trie_pattern(phrases) -> str:
    """A regex alternation of ``phrases`` shaped as a trie (fast with many phrases)."""
    trie: dict = {}
    for p in phrases:
        node = trie
        for ch in p:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if end:
            # Longer alternatives first: the regex engine backtracks to the shorter one.
            return "(?:" + body + ")?"
        return body

    return emit(trie)
