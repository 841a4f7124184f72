"""Related articles and near-duplicate stories, scored with numpy over posting lists.

Related: the article's own significant terms (pyvi compound words looked up in
the ``words`` field, and rare folded syllables), weighted by tf-idf and bounded
in number and document frequency, score the other articles by BM25 over a
handful of posting lists; the same province and shared topics add a little.

Near-duplicates: the same story from several outlets shares most of its
wording. Two articles are near-duplicates when most word shingles of the
shorter one are in the other (containment), computed from their stored text.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import analyze, fold_chars
from .article import Article
from .backends.base import article_at
from .scoring import K1, B, Lengths

log = logging.getLogger(__name__)

# At most this many terms score the related articles: the cost is a handful of
# posting lists, whatever the size of the index.
MAX_TERMS = 24
# Terms in more than this share of the articles say little about a subject and
# have the longest posting lists: skipped.
MAX_DF_SHARE = 0.05
MIN_MAX_DF = 100
# And never more than this many: at most MAX_TERMS * MAX_DF postings are read,
# whatever the size of the index (1,000 per term at 20k articles; 100k reads
# at most 1.5 times as many).
MAX_DF = 1500
# A compound word of pyvi weighs more than a syllable: it is a phrase.
WORD_BOOST = 1.5
# The title names the subject: its terms count as this many occurrences.
TITLE_TF = 3
# A run of syllables is taken as a word when pyvi joined it often enough: its
# count as a word over the count of its rarer syllable (pyvi's mis-joins across
# two words, "trong_nam" of "trong năm", are a tiny share). Runs of
# capitalised syllables (names: "Lê Trương Hải Hiếu") are always taken.
WORD_SHARE = 0.02
# Words never span punctuation ("đầu tư, thương mại" holds no "tư_thương").
_PUNCT = re.compile(r"[^\w\s]+")
# How many candidates are checked for near-duplicates before the first ``limit``.
EXTRA = 10
# Same province (as published), and each shared topic (at most two): score bonus
# as a share of the candidate's term score. Never enough on their own: a
# candidate needs shared terms first.
PROVINCE_BONUS = 0.15
TOPIC_BONUS = 0.08
# Two articles whose scores differ by more than this ratio are never compared
# for near-duplicates (one lacks too many of the other's words).
DUP_SCORE_RATIO = 0.3
# Candidates must share at least this many of the selected terms, and score
# at least this share of the article's score against itself (on 50 articles of
# local-news-20k, judged by hand, the 8 of 250 candidates below it were all unrelated).
MIN_SHARED = 2
MIN_SELF_SHARE = 0.2

# Shingles: runs of this many folded syllables; the body's first MAX_SHINGLE_WORDS
# syllables are enough to tell stories apart and bound the cost.
SHINGLE = 4
MAX_SHINGLE_WORDS = 600
# Containment (shared shingles over the smaller set's) from which two articles
# are one story; fewer than MIN_SHINGLES shingles never match (too short to tell).
SIMILAR = 0.5
MIN_SHINGLES = 15
# Search results: how many of the ranked hits past the page are looked at for
# duplicates of the page's hits.
COLLAPSE_WINDOW = 40
# Ranked articles read at most to fill one page with distinct stories.
COLLAPSE_MAX_READ = 400
# Deeper pages are not collapsed: their window would cost too much to compare.
COLLAPSE_MAX_END = 200


@dataclass(frozen=True)
class Term:
    """One selected term of an article: field, text, weight in the article."""

    field: str
    text: str
    weight: float


def _idf(n_docs: int, df: int) -> float:
    return math.log(n_docs / (df + 1)) + 1.0


def _keep_syllable(s: str) -> bool:
    # Numbers and single letters are everywhere (dates, amounts, list items).
    return len(s) > 1 and not s.isdigit()


class Frequencies:
    """Document frequencies of every ``text`` and ``words`` term of one index generation.

    A dictionary look-up instead of Whoosh's (about 0.1 ms per term over the
    segments, and an article has hundreds of candidate terms). Built once per
    generation: under a second at 20k articles, a few MB.
    """

    FIELDS = ("text", "words")

    def __init__(self):
        self._lock = threading.Lock()
        self._key = None
        self._df: dict[str, dict[str, dict[str, int]]] = {}

    def get(self, reader) -> dict[str, dict[str, dict[str, int]]]:
        """{"df"|"cf": {field: {term: document or collection frequency}}} of the generation."""
        key = reader.key
        with self._lock:
            if self._key != key:
                df: dict[str, dict[str, int]] = {f: {} for f in self.FIELDS}
                cf: dict[str, dict[str, int]] = {f: {} for f in self.FIELDS}
                for field in self.FIELDS:
                    docs, total = df[field], cf[field]
                    for text, n, weight in reader.term_stats(field):
                        docs[text] = docs.get(text, 0) + n
                        total[text] = total.get(text, 0) + int(weight)
                self._key, self._df = key, {"df": df, "cf": cf}
            return self._df


def significant_terms(
    reader, article: Article, max_terms: int = MAX_TERMS, frequencies: dict | None = None
) -> list[Term]:
    """The article's ``max_terms`` best terms by tf-idf, none in too many articles.

    Compound words are the runs of two or three syllables that pyvi joined into
    one word somewhere in the index (looked up in the ``words`` field), so pyvi
    is not run at query time. ``frequencies``: :meth:`Frequencies.get` of the
    reader (else the reader is asked term by term).
    """
    n_docs = max(1, reader.doc_count())
    # The share bounds the cost in large indexes; a small one has no cost to bound.
    max_df = min(MAX_DF, max(MIN_MAX_DF, int(MAX_DF_SHARE * n_docs)))
    rest = "\n".join([article.lead, article.body, *article.captions])
    tf: Counter = Counter()
    names: set[str] = set()  # runs of capitalised syllables: proper names
    folded: dict[str, list[str]] = {}
    for part, times in ((article.title, TITLE_TF), (rest, 1)):
        for chunk in _PUNCT.split(part):
            seq, caps = [], []
            for token in chunk.split():
                if token not in folded:
                    folded[token] = analyze(token)
                seq += folded[token]
                caps += [token[:1].isupper()] * len(folded[token])
            for i, s in enumerate(seq):
                tf[("text", s)] += times
                for n in (2, 3):
                    if i + n <= len(seq):
                        word = "_".join(seq[i : i + n])
                        tf[("words", word)] += times
                        if all(caps[i : i + n]):
                            names.add(word)
    terms = []
    for (field, text), count in tf.items():
        if field == "text" and not _keep_syllable(text):
            continue
        if frequencies is not None:
            df = frequencies["df"][field].get(text, 0)
            if field == "words" and df and text not in names:
                cf = frequencies["cf"]
                rarer = min(cf["text"].get(x, 0) for x in text.split("_"))
                if cf["words"].get(text, 0) < WORD_SHARE * rarer:
                    continue
        else:
            df = reader.doc_frequency(field, text)
        # df 1 is this article alone: nothing to share.
        if df < 2 or df > max_df:
            continue
        boost = WORD_BOOST if field == "words" else 1.0
        terms.append(Term(field, text, boost * (1 + math.log(count)) * _idf(n_docs, df)))
    # A word of three covers the words of two inside it that occur only there:
    # one name or phrase counts once.
    covered = set()
    for t in terms:
        if t.text.count("_") == 2:
            a, b, c = t.text.split("_")
            covered |= {
                w for w in (f"{a}_{b}", f"{b}_{c}") if tf[("words", w)] <= tf[("words", t.text)]
            }
    terms = [t for t in terms if t.field == "text" or t.text not in covered]
    terms.sort(key=lambda t: (-t.weight, t.field, t.text))
    return terms[:max_terms]


def term_scores(reader, terms: list[Term], lengths: Lengths) -> tuple[np.ndarray, np.ndarray]:
    """(BM25 score, number of shared terms) of every document for ``terms``."""
    n = reader.size
    ids, contrib = [], []
    for t in terms:
        p = reader.postings(t.field, t.text)
        if not len(p):
            continue
        idf = _idf(lengths.count, len(p))
        norm = K1 * ((1 - B) + B * lengths.values[p.ids] / lengths.average)
        ids.append(p.ids)
        contrib.append(t.weight * idf * (K1 + 1) * p.weights / (p.weights + norm))
    if not ids:
        return np.zeros(n, dtype=np.float64), np.zeros(n, dtype=np.int64)
    all_ids = np.concatenate(ids)
    scores = np.bincount(all_ids, weights=np.concatenate(contrib), minlength=n)
    shared = np.bincount(all_ids, minlength=n)
    return scores, shared


def related_docnums(
    reader,
    cols,
    lengths: Lengths,
    article: Article,
    docnum: int,
    limit: int,
    frequencies: dict | None = None,
) -> list[tuple[int, float]]:
    """(docnum, score) of the articles most related to ``article``, best first.

    Near-duplicates of the article (and of an earlier related article) are left out.
    """
    terms = significant_terms(reader, article, frequencies=frequencies)
    scores, shared = term_scores(reader, terms, lengths)
    # Against itself the article scores highest: a candidate that reaches
    # less than a fifth of that shares only incidental words.
    allowed = (
        cols.live
        & (shared >= min(MIN_SHARED, len(terms)))
        & (scores >= MIN_SELF_SHARE * scores[docnum])
    )
    allowed[docnum] = False
    bonus = np.zeros_like(scores)
    codes = cols.codes.get("province")
    if codes is not None and codes[docnum] >= 0:
        bonus += PROVINCE_BONUS * (codes == codes[docnum])
    matrix = cols.matrix.get("topics")
    if matrix is not None and matrix.shape[1] and matrix[docnum].any():
        common = matrix[:, matrix[docnum]].sum(axis=1)
        bonus += TOPIC_BONUS * np.minimum(common, 2)
    raw, scores = scores, scores * (1.0 + bonus)
    docs = np.flatnonzero(allowed)
    if not len(docs):
        return []
    k = min(len(docs), limit + EXTRA)
    best = docs[np.argpartition(-scores[docs], k - 1)[:k]]
    best = best[np.lexsort((best, -scores[best]))]
    kept: list[tuple[int, float]] = []
    signatures: dict[int, frozenset] = {}

    def signature(d: int) -> frozenset:
        if d not in signatures:
            signatures[d] = shingles(article if d == docnum else article_at(reader, d))
        return signatures[d]

    # Near-duplicates share most of their words, so they score close to each
    # other against this article (and close to the article itself): only such
    # pairs are read and compared, a few stored texts per call.
    for d in best.tolist():
        if len(kept) == limit:
            break
        close = [
            o
            for o in [docnum, *(k for k, _ in kept)]
            if min(raw[d], raw[o]) >= DUP_SCORE_RATIO * max(raw[d], raw[o])
        ]
        if any(similar(signature(d), signature(o)) for o in close):
            continue
        kept.append((d, float(scores[d])))
    log.debug("related %s: %d terms %s", article.id, len(terms), [t.text for t in terms])
    return kept


# --- near-duplicates ---------------------------------------------------------


def signature(article: Article) -> np.ndarray:
    """Hashes of the runs of SHINGLE folded words of the article's lead and body, sorted, unique."""
    # Only the start is read: MAX_SHINGLE_WORDS words fit well within 8 characters each.
    words = word_hashes(f"{article.lead}\n{article.body}"[: MAX_SHINGLE_WORDS * 8])
    words = words[:MAX_SHINGLE_WORDS]
    if len(words) < SHINGLE:
        words = np.concatenate([word_hashes(article.title), words])
    runs = len(words) - SHINGLE + 1
    if runs <= 0:
        return np.zeros(0, dtype=np.int64)
    out = words[:runs].copy()
    for i in range(1, SHINGLE):
        out *= _MIX
        out += words[i : i + runs]
    out = np.sort(out.view(np.int64))
    # Unique: np.unique would hash the values first (several times slower here).
    return out[np.concatenate(([True], out[1:] != out[:-1]))]


def word_hashes(text: str) -> np.ndarray:
    """A 64-bit hash of each word of ``match_form(text)``, in order (uint64).

    The words are found and hashed in a few numpy steps over the text's code
    points (a polynomial of each word's characters), not by a regex and a
    string per word: this is most of the cost of a signature.
    """
    lowered = fold_chars(text).lower()
    codes = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if not len(codes):
        return np.zeros(0, dtype=np.uint64)
    # Word characters are those of the regex's \w but "_": what match_form keeps.
    beyond = codes >= len(_ALNUM)  # past the BMP (emoji, rare scripts): asked one by one
    if beyond.any():
        word = np.zeros(len(codes), dtype=bool)
        word[~beyond] = _ALNUM[codes[~beyond]]
        word[beyond] = [chr(c).isalnum() for c in codes[beyond].tolist()]
    else:
        word = _ALNUM[codes]
    at = np.flatnonzero(word)
    if not len(at):
        return np.zeros(0, dtype=np.uint64)
    starts = np.flatnonzero(word & ~np.concatenate(([False], word[:-1])))
    first = np.searchsorted(at, starts)  # each word's first character among ``at``
    offset = np.arange(len(at)) - np.repeat(first, np.diff(np.append(first, len(at))))
    contrib = (codes[at].astype(np.uint64) + np.uint64(1)) * _powers(int(offset.max()) + 1)[offset]
    return np.add.reduceat(contrib, first) * _MIX


# Odd: multiplying by it is a bijection of 64-bit words (wrapping, as numpy's uint64 does).
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(0x100000001B3)
# Which code points of the Basic Multilingual Plane are letters or digits (str.isalnum).
_ALNUM = np.array([chr(c).isalnum() for c in range(0x10000)], dtype=bool)
_POWERS = np.ones(1, dtype=np.uint64)


def _powers(n: int) -> np.ndarray:
    """_BASE ** k (wrapping) for k < n, at least."""
    global _POWERS
    powers = _POWERS  # another thread may replace it meanwhile
    if len(powers) < n:
        grown = np.full(max(n, 2 * len(powers)), _BASE, dtype=np.uint64)
        grown[0] = 1
        powers = _POWERS = np.cumprod(grown)
    return powers


def shingles(article: Article) -> frozenset[int]:
    """:func:`signature` as a set (for comparing two articles)."""
    return frozenset(signature(article).tolist())


def resemblance(a: frozenset, b: frozenset) -> float:
    """Shared shingles over the smaller set's (0 when either is too short to tell)."""
    if len(a) < MIN_SHINGLES or len(b) < MIN_SHINGLES:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    return len(a & b) / len(a)


def similar(a: frozenset, b: frozenset) -> bool:
    """Whether two shingle sets are one story."""
    return resemblance(a, b) >= SIMILAR


def as_array(signature: frozenset) -> np.ndarray:
    """A signature's shingle hashes as an array (how :func:`group` reads them fastest)."""
    return np.fromiter(signature, dtype=np.int64, count=len(signature))


def group(signatures: Sequence[frozenset | np.ndarray]) -> list[list[int]]:
    """Indexes of ``signatures`` in groups of one story, each led by its first (best) one.

    Each item joins the first earlier group whose leader it resembles.
    """
    alike = _similar_pairs([s if isinstance(s, np.ndarray) else as_array(s) for s in signatures])
    groups: list[list[int]] = []
    for i in range(len(signatures)):
        row = alike[i]
        for g in groups:
            if row[g[0]]:
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


def _similar_pairs(signatures: list[np.ndarray]) -> list[list[bool]]:
    """``similar(signatures[i], signatures[j])`` for every pair, as rows of a matrix.

    One sort of every shingle, not a set intersection per pair: equal hashes
    sit side by side.
    """
    n = len(signatures)
    sizes = np.array([len(s) for s in signatures], dtype=np.int64)
    hashes = np.concatenate(signatures) if n else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), sizes)
    order = np.argsort(hashes, kind="stable")
    hashes, owner = hashes[order], owner[order]
    # Runs of equal hashes (a shingle several signatures hold), each a row of X
    # marking its holders: the shingles i and j share are (X^T X)[i, j].
    run = np.cumsum(np.diff(hashes, prepend=hashes[:1] - 1) != 0) - 1
    held = np.bincount(run, minlength=1)[run] > 1
    rows = np.unique(run[held], return_inverse=True)[1].reshape(-1)
    x = np.zeros((int(rows.max(initial=-1)) + 1, n), dtype=np.float32)
    x[rows, owner[held]] = 1.0
    overlap = x.T @ x
    small = np.minimum(sizes[:, None], sizes[None, :])
    alike = (small >= MIN_SHINGLES) & (overlap / np.maximum(small, 1) >= SIMILAR)
    return alike.tolist()


# --- collapsing a result list --------------------------------------------------


def collapse(
    reader,
    ranked: Sequence[tuple[int, float | None]],
    first: int,
    per_page: int,
    signature=None,
) -> list[tuple[int, float | None, list[int]]]:
    """The page ``[first, first + per_page)`` of ``ranked`` with each story shown once.

    ``ranked`` is (docnum, score) in result order from the first result on,
    ``COLLAPSE_WINDOW`` past the page's end when there are so many. A hit that
    is a near-duplicate of a better-ranked one is folded into it: the page
    lists (docnum, score, docnums of its near-duplicates). Groups are formed in
    rank order, so every page is cut from the same list of stories.
    ``signature(docnum)``: the shingles of a document (e.g. cached), else read now.
    """
    signature = signature or (lambda d: shingles(article_at(reader, d)))
    signatures = [signature(d) for d, _ in ranked]
    groups = group(signatures)
    return [
        (ranked[g[0]][0], ranked[g[0]][1], [ranked[i][0] for i in g[1:]])
        for g in groups[first : first + per_page]
    ]


def summary(article: Article) -> dict:
    """What a result list shows of a folded near-duplicate: id, title, url, outlet, date."""
    return {
        "id": article.id,
        "title": article.title,
        "url": article.url,
        "outlet": article.outlet,
        "date": article.date.isoformat() if article.date else None,
    }
