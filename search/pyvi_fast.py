"""pyvi's word segmentation with pyvi's own model and output, several times faster.

``pyvi.ViTokenizer.tokenize`` spends most of its time in pure Python building a
dict of features per syllable, then in python-crfsuite copying every feature
name into C++. Here each feature is one of pyvi's, computed from parts cached
per syllable: every feature is a function of one syllable (its lower case and
case flags) or of whether adjacent syllables are in pyvi's bigram and trigram
lists. A syllable's cached parts are the weights its features carry in pyvi's
CRF (read from pyvi's model file by ``pyvi_crf``), and the sentence is scored
and decoded as crfsuite does. Only features whose value is true count: a false
flag is an attribute of value 0.0, which adds exactly nothing to a score. So the
labels, and the output string, are pyvi's; the tests and ``python -m bench
segment`` compare them with pyvi's own.
"""

from __future__ import annotations

import re
import string
import threading
import unicodedata
from functools import lru_cache
from itertools import pairwise

from .pyvi_crf import best_path, read_pyvi_model, read_pyvi_ngrams

# pyvi's syllable regex (ViTokenizer.sylabelize), pattern for pattern and in
# its order: the first alternative that matches at a position wins, as there.
# Its groups are non-capturing here, which changes nothing in what matches.
_ALTERNATIVES = [
    r"[A-ZĐ]+\.",  # abbreviations
    r"Tp\.",
    r"Mr\.",
    r"Mrs\.",
    r"Ms\.",
    r"Dr\.",
    r"ThS\.",
    "==>",  # specials
    "->",
    r"\.\.\.",
    ">>",
    "\n",
    r"\w+://[^\s]+",  # web
    r"[a-zA-Z0-9_.+-]+@(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+",  # e-mail
    r"\d+(?:[\.,_]\d+)+",  # digits
    r"[^\w\s]",  # non-word
    r"\w+",  # word
]
_EMAIL = 13
SYLLABLE_RE = re.compile("|".join(_ALTERNATIVES))
# The e-mail alternative needs an "@": without one it never matches, and
# leaving it out saves rescanning a run like "a.b.c.d" from each of its
# positions (pyvi's quadratic case).
_NO_EMAIL_RE = re.compile("|".join(_ALTERNATIVES[:_EMAIL] + _ALTERNATIVES[_EMAIL + 1 :]))

# Distinct syllables kept with their weights before that cache starts over
# (under 1 kB each, at most about 15 MB; 3,000 news articles hold 15,000
# distinct tokens, and the few thousand common ones come back at once).
MAX_CACHED_SYLLABLES = 20_000
# Sentences remembered with their segmentation (about 0.7 kB each): datelines
# and photo credits repeat, 6% of the sentence pieces of local-news-20k.
MAX_CACHED_SENTENCES = 4096

_NO_BIGRAMS: frozenset[str] = frozenset()
_NO_TRIGRAMS: dict[str, frozenset[str]] = {}  # shared, never written
_NO_WEIGHTS: tuple[tuple[float, ...], ...] = ((), ())

# A syllable's parts: the sum of its own features' weights for B_W and I_W;
# the weights (per label, in order) of its features as the previous syllable,
# without and with the bigram flag; the same as the next syllable; its lower
# case; whether pyvi never joins it (punctuation, or a digit first); whether it
# starts title-case; the syllables that follow it in a bigram; for each such
# second syllable, those that end a trigram.
_Weights = tuple[tuple[float, ...], ...]
_Syllable = tuple[
    tuple[float, float],
    tuple[_Weights, _Weights],
    tuple[_Weights, _Weights],
    str,
    bool,
    bool,
    frozenset[str],
    dict[str, frozenset[str]],
]


class _Model:
    """pyvi's CRF and its bigram and trigram lists indexed by first syllable."""

    def __init__(self) -> None:
        # pyvi's own files, read without importing pyvi's tokenizer (which
        # loads scikit-learn for its pickled estimator).
        self.crf = read_pyvi_model()
        bi_grams, tri_grams = read_pyvi_ngrams()
        self.i_w = self.crf.labels.index("I_W")
        self.tri_prev = self.crf.weights(("-2:word.tri_gram()",))
        self.tri_next = self.crf.weights(("+2:word.tri_gram()",))
        # pyvi tests ' '.join(syllables).lower() in its lists; no syllable
        # holds a space, and lower() never makes one or looks across one, so
        # that is the lower-case syllables looked up one after another.
        bi: dict[str, set[str]] = {}
        for entry in bi_grams:
            x, y = entry.split(" ")
            bi.setdefault(x, set()).add(y)
        tri: dict[str, dict[str, set[str]]] = {}
        for entry in tri_grams:
            x, y, z = entry.split(" ")
            tri.setdefault(x, {}).setdefault(y, set()).add(z)
        self.bigrams = {x: frozenset(ys) for x, ys in bi.items()}
        self.trigrams = {x: {y: frozenset(zs) for y, zs in d.items()} for x, d in tri.items()}
        self.syllables: dict[str, _Syllable] = {}

    def syllable(self, tok: str) -> _Syllable:
        """The cached parts of the features of syllable ``tok``."""
        rec = self.syllables.get(tok)
        if rec is not None:
            return rec
        lw = tok.lower()
        up, title = tok.isupper(), tok.istitle()
        # pyvi's features in its dict's order, those whose value is true.
        own: tuple[str, ...] = ("bias", "word.lower():" + lw)
        own += ("word.isupper()",) * up + ("word.istitle()",) * title
        own += ("word.isdigit()",) * tok.isdigit()
        prv: tuple[str, ...] = ("-1:word.lower():" + lw,) + ("-1:word.istitle()",) * title
        prv += ("-1:word.isupper()",) * up
        nxt: tuple[str, ...] = ("+1:word.lower():" + lw,) + ("+1:word.istitle()",) * title
        nxt += ("+1:word.isupper()",) * up
        weights = self.crf.weights
        own_b, own_i = weights(own)
        b = i = 0.0  # crfsuite sums a state score from 0.0, in this order
        for w in own_b:
            b += w
        for w in own_i:
            i += w
        rec = (
            (b, i),
            (weights(prv), weights((*prv, "-1:word.bi_gram()"))),
            (weights(nxt), weights((*nxt, "+1:word.bi_gram()"))),
            lw,
            tok in string.punctuation or tok[0].isdigit(),
            tok[0].istitle(),
            self.bigrams.get(lw, _NO_BIGRAMS),
            self.trigrams.get(lw, _NO_TRIGRAMS),
        )
        if len(self.syllables) >= MAX_CACHED_SYLLABLES:
            self.syllables.clear()
        self.syllables[tok] = rec
        return rec

    def tag(self, recs: list[_Syllable]) -> list[int]:
        """pyvi's labels (ids of B_W, I_W) of a sentence's syllables."""
        # bi[k]: syllables k and k+1 form a bigram of pyvi's list.
        bi = [b[3] in a[6] for a, b in pairwise(recs)]
        # Weights from the previous and from the next syllable, in pyvi's order.
        before = [_NO_WEIGHTS] + [r[1][b] for r, b in zip(recs, bi)]
        after = [r[2][b] for r, b in zip(recs[1:], bi)] + [_NO_WEIGHTS]
        starts = [k for k, (a, b) in enumerate(pairwise(recs[:-1])) if b[3] in a[7]]
        for k in starts:
            if recs[k + 2][3] in recs[k][7][recs[k + 1][3]]:
                before[k + 2] = tuple(x + y for x, y in zip(before[k + 2], self.tri_prev))
                after[k] = tuple(x + y for x, y in zip(after[k], self.tri_next))
        scores = []
        for r, (b0, b1), (a0, a1) in zip(recs, before, after):
            s0, s1 = r[0]
            for w in b0:
                s0 += w
            for w in a0:
                s0 += w
            for w in b1:
                s1 += w
            for w in a1:
                s1 += w
            scores.append((s0, s1))
        return best_path(self.crf, scores)


_model: _Model | None = None
_load_lock = threading.Lock()


def load() -> _Model:
    """pyvi's model, loaded on first use (about 0.1 s)."""
    global _model
    with _load_lock:
        if _model is None:
            _model = _Model()
        return _model


def clear_caches() -> None:
    """Forget cached syllables and sentences (a benchmark's cold start)."""
    tokenize.cache_clear()
    if _model is not None:
        _model.syllables.clear()


def syllables(text: str) -> list[str]:
    """pyvi's syllables (tokens) of ``text``, NFC-normalised as pyvi does."""
    text = unicodedata.normalize("NFC", text)
    if "\n" in text:  # a token of its own: tokenise the text whole
        return SYLLABLE_RE.findall(text)
    # No token spans whitespace (re's \s is str.split's whitespace), so each
    # run between spaces is tokenised alone. A run of letters only is one
    # token: every alternative before \w+ needs something other than a letter.
    out: list[str] = []
    for run in text.split():
        if run.isalpha():
            out.append(run)
        else:
            out += (SYLLABLE_RE if "@" in run else _NO_EMAIL_RE).findall(run)
    return out


def labels(text: str) -> list[str]:
    """pyvi's CRF labels (B_W, I_W) of the syllables of ``text``."""
    model = _model or load()
    toks = syllables(text)
    return (
        [model.crf.labels[i] for i in model.tag([model.syllable(t) for t in toks])] if toks else []
    )


@lru_cache(maxsize=MAX_CACHED_SENTENCES)
def tokenize(text: str) -> str:
    """``pyvi.ViTokenizer.tokenize(text)``: words joined by ``_``, separated by spaces."""
    toks = syllables(text)
    if not toks:
        return text
    model = _model or load()
    get, syllable = model.syllables.get, model.syllable
    recs = [get(t) or syllable(t) for t in toks]
    labels = model.tag(recs)
    i_w = model.i_w
    # pyvi's rule: an I_W syllable joins the previous one unless either is
    # punctuation or starts with a digit, or only the second starts title-case.
    out = [toks[0]]
    for a, b, label, tok in zip(recs, recs[1:], labels[1:], toks[1:]):
        out.append("_" if label == i_w and not (a[4] or b[4] or (b[5] and not a[5])) else " ")
        out.append(tok)
    return "".join(out)
