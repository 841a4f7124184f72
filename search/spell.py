"""What people type without a Vietnamese keyboard: typos and Telex/VNI, read back into syllables.

Both work on folded syllables against the index's own statistics:

* **Telex and VNI** (``cans booj`` and ``ca1n bo65`` for ``cán bộ``) are decoded only
  where the raw token is not a syllable of the index and the decoded one is, so
  English words and names stay as typed;
* **typos** (``hanh chin`` for ``hành chính``): a syllable is replaced by one within
  one edit (on letters: tones are not letters here) when the replacement forms far
  more frequent neighbour pairs in the index than what was typed. Short
  syllables that are words of their own are corrected only when what was typed
  never stands next to its neighbours.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from .analysis import canonical_syllable, fold, has_diacritics, well_formed

LETTERS = "abcdefghijklmnopqrstuvwxyz"
# A replacement must form at least MIN_PAIRS neighbour pairs (or, alone, be in
# that many articles), and this many times more than the typed syllable does.
PAIR_RATIO = 20
MIN_PAIRS = 5
# A token longer than any syllable typed with one slip ("nghieengf" is 9
# letters) is no typo: its edits (53 per letter) are never syllables.
MAX_TYPO_CHARS = 12
# A Telex/VNI reading counts when at least 1 in DECODED_SHARE of the articles
# with its folded form have it with these accents: "noij" read as "nọi" (one
# article's typo) is rather the slip of "noi", then restored as "nội".
DECODED_SHARE = 100
SHORT = 3  # letters: a syllable this short that is a word is only corrected out of context

# Telex: tone keys and vowel/consonant keys.
_TELEX_TONES = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_TELEX_SHAPES = [
    ("dd", "đ"),
    ("aa", "â"),
    ("aw", "ă"),
    ("ee", "ê"),
    ("oo", "ô"),
    ("ow", "ơ"),
    ("uw", "ư"),
    ("w", "ư"),
]
_VNI_SHAPES = [
    ("d9", "đ"),
    ("a6", "â"),
    ("a8", "ă"),
    ("e6", "ê"),
    ("o6", "ô"),
    ("o7", "ơ"),
    ("u7", "ư"),
]
_TOKEN = re.compile(r"[a-z0-9]{1,12}")
# Keys that type a vowel (Telex's "w" alone is ư).
_VOWEL_KEYS = set("aeiouyw")


def _place_tone(base: str, tone: str) -> str | None:
    """``base`` (a syllable without tone) with ``tone`` on its main vowel, or None."""
    vowels = [i for i, c in enumerate(base) if fold(c) in "aeiouy"]
    if not vowels:
        return None
    # canonical_syllable moves the mark to where it belongs; put it anywhere first.
    i = vowels[0]
    return canonical_syllable(unicodedata.normalize("NFC", base[: i + 1] + tone + base[i + 1 :]))


def _decode(token: str, tones: dict[str, str], shapes: list[tuple[str, str]]) -> str | None:
    """One typed token read as Telex or VNI, or None when it is not one."""
    tone = None
    # Keyboards take the tone key anywhere after the first vowel: "vieetj",
    # "vieejt", "ca1n", "bo65". No letter of a syllable's ending is a tone key
    # (finals are c, ch, m, n, ng, nh, p, t and vowels), so one such key there
    # is the tone; two are not a syllable typed.
    first = next((i for i, c in enumerate(token) if c in _VOWEL_KEYS), None)
    if first is not None:
        keys = [i for i in range(first + 1, len(token)) if token[i] in tones]
        # Before the end, a Telex tone letter also spells English ("list", "test"):
        # taken there only in a token that types a Vietnamese letter too ("vieejt").
        inside = bool(keys) and keys[0] < len(token) - 1
        typed_letter = any(typed in token for typed, _ in shapes)
        if len(keys) == 1 and (not inside or typed_letter or token[keys[0]].isdigit()):
            k = keys[0]
            token, tone = token[:k] + token[k + 1 :], tones[token[k]]
    out = token
    for typed, letter in shapes:
        out = out.replace(typed, letter)
    if out == token and tone is None:
        return None
    if not out.isalpha():
        return None
    if tone is not None:
        out = _place_tone(out, tone) or out
    return out


def decode_keyboard(token: str) -> list[str]:
    """The Telex and VNI readings of one lower-case token (``cans`` -> ``cán``)."""
    token = token.lower()
    if not _TOKEN.fullmatch(token):
        return []
    out = []
    for tones, shapes in ((_TELEX_TONES, _TELEX_SHAPES), (_VNI_TONES, _VNI_SHAPES)):
        d = _decode(token, tones, shapes)
        if d and d != token and d not in out:
            out.append(d)
    return out


def edits(word: str) -> set[str]:
    """Folded strings one edit (delete, insert, replace, swap) away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    out |= {a + c + b for a, b in splits for c in LETTERS}
    out.discard(word)
    return {w for w in out if w}


def _real(decoded: str, known: Callable[[str], int], known_exact) -> bool:
    """A Telex/VNI reading found in the index, with its accents (not a slip's "ngheô")."""
    n = known(fold(decoded))
    if not n or known_exact is None:
        return bool(n)
    return known_exact(decoded) * DECODED_SHARE >= n


def correct(
    syllables: list[str],
    known: Callable[[str], int],
    pairs: Callable[[str, str], int],
    known_exact: Callable[[str], int] | None = None,
) -> list[str] | None:
    """The query's syllables with typos and Telex/VNI read back, or None when nothing changes.

    ``syllables`` are lower case as typed; ``known(s)`` is how many articles
    hold the folded syllable ``s``, ``pairs(a, b)`` how often the folded ``a b``
    stand together in the index, ``known_exact(s)`` how many hold ``s`` with its
    accents (a decoded reading rarer than that is read as a typo instead). Syllables typed with accents are left alone.
    Decoded Telex keeps its accents; a corrected typo is folded (accents are
    restored afterwards, like any syllable typed without them).
    """
    out = list(syllables)
    changed = False
    for i, raw in enumerate(syllables):
        if has_diacritics(raw):
            continue
        prev = fold(out[i - 1]) if i > 0 else None
        nxt = fold(syllables[i + 1]) if i + 1 < len(syllables) else None

        # This iteration's neighbours bound now (the closure is only used in this iteration).
        def context(s: str, prev: str | None = prev, nxt: str | None = nxt) -> int:
            return (pairs(prev, s) if prev else 0) + (pairs(s, nxt) if nxt else 0)

        typed_known = known(raw)
        if not typed_known:
            # Telex/VNI only where the raw token is no syllable of the index.
            decoded = [d for d in decode_keyboard(raw) if _real(d, known, known_exact)]
            if decoded:
                out[i] = max(decoded, key=lambda d: (context(fold(d)), known(fold(d))))
                changed = True
                continue
        if any(c.isdigit() for c in raw) or len(raw) > MAX_TYPO_CHARS:
            continue
        alone = prev is None and nxt is None
        here = 0 if alone else context(raw)
        if typed_known and (alone or here > 0):
            continue  # a known syllable that stands with its neighbours somewhere
        if typed_known and len(raw) <= SHORT:
            continue  # never turn a short real word into another
        score = known if alone else context
        best, best_n = None, 0
        for cand in edits(raw):
            if well_formed(cand) and known(cand):
                n = score(cand)
                if n > best_n:
                    best, best_n = cand, n
        if best is not None and best_n >= MIN_PAIRS and best_n >= PAIR_RATIO * here:
            out[i] = best
            changed = True
    return out if changed else None
