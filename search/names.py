"""How a run of syllables is written in the articles: as a name, with capitals, or not.

The index folds case, so it cannot tell ``Võ Văn Thưởng`` (a person) from
``hỗ trợ người`` (words); the articles' own text can. A query typed in small
letters (``vo van thuong``) is read as a name only where the articles holding
the run side by side write it with a capital on every syllable. A run the
articles go on with another capital (``Nguyễn Hoàng`` + ``Sang``) is the start
of a person's name, not a whole name (``Hà Nội``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .analysis import canonical_syllable, fold_chars, normalize_text

# Only this much of an article is read: a name the articles hold shows early.
MAX_CHARS = 20_000
# The syllable right after a run, over spaces within the line only.
_NEXT_RE = re.compile(r"[^\S\n]+([^\W\d_]+)")


def _run_pattern(folded: tuple[str, ...]) -> re.Pattern[str]:
    """The folded syllables as whole words separated by spaces: literal syllables and
    ``\\s+`` between, so that one string matches in one way only (linear time)."""
    body = r"\s+".join(re.escape(x) for x in folded)
    return re.compile(rf"(?<![^\W_]){body}(?![^\W_])", re.IGNORECASE)


def capitals(texts: Iterable[str], folded: tuple[str, ...]) -> tuple[int, int, int]:
    """(occurrences written with a capital on every syllable, occurrences, capitalised
    occurrences that a capitalised syllable follows right after a space) of the
    folded run ``folded``, its syllables separated by spaces, in ``texts``."""
    written = seen = continued = 0
    if not folded:
        return 0, 0, 0
    pattern = _run_pattern(folded)
    for text in texts:
        text = normalize_text(text[:MAX_CHARS])
        # One character for one: offsets in the folded text are the text's.
        for m in pattern.finditer(fold_chars(text)):
            tokens = text[m.start() : m.end()].split()
            if all(_shouted(t) for t in tokens):
                continue  # a line in capitals throughout says nothing of names
            seen += 1
            if all(t[:1].isupper() for t in tokens):
                written += 1
                after = _NEXT_RE.match(text, m.end())
                continued += bool(after and after.group(1)[:1].isupper())
    return written, seen, continued


def preceding(
    texts: Iterable[str],
    folded: tuple[str, ...],
    types: Iterable[str],
    written: tuple[str, ...] | None = None,
) -> dict[str, int]:
    """In how many of ``texts`` (an article's each) each of ``types`` (lower case, as
    written: "xã", "thị xã") stands right before the folded run ``folded`` written as
    a whole name: a capital on every syllable and none right after ("xã An Nhơn Tây" is
    no "An Nhơn"), with the syllables ``written`` when given (lower case, one tone
    placement: "Phù Mỹ" is no "Phú Mỹ"). The longer type first ("thị xã" is no "xã")."""
    counts: dict[str, int] = {}
    if not folded:
        return counts
    by_length = sorted(set(types), key=lambda t: -len(t.split()))
    pattern = _run_pattern(folded)
    for text in texts:
        text = normalize_text(text[:MAX_CHARS])
        found: set[str] = set()
        for m in pattern.finditer(fold_chars(text)):
            tokens = text[m.start() : m.end()].split()
            if not all(t[:1].isupper() and not _shouted(t) for t in tokens):
                continue
            if (
                written is not None
                and tuple(canonical_syllable(t.lower()) for t in tokens) != written
            ):
                continue
            after = _NEXT_RE.match(text, m.end())
            if after and after.group(1)[:1].isupper():
                continue  # a longer name
            # The words before it on its line, a few characters back (types are short).
            before = text[max(0, m.start() - 24) : m.start()].split("\n")[-1].lower().split()
            for t in by_length:
                if " ".join(before[-len(t.split()) :]) == t:
                    found.add(t)
                    break
        for t in found:
            counts[t] = counts.get(t, 0) + 1
    return counts


def _shouted(token: str) -> bool:
    """A syllable in capitals throughout (``THƯỞNG``), as titles and abbreviations are."""
    return len(token) > 1 and token.isupper()
