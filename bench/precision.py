"""Precision and recall of what a query matches, against a ground truth read from the articles.

The issue 11 measure: over an index of local-news-20k, a fixed set of queries
(:data:`QUERIES`, each with its hand-labelled split into words), each typed with
its diacritics and without them (``search.analysis.fold``), goes through
``Engine.search(q)`` (default ``accents``, what a user gets) and the ids of every
article it matches (``Engine.match_ids``; on code without it, every page of
``Engine.search(q, per_page=100)``).

The ground truth is computed here, independently of the engine's query code,
from the stored articles of the same index: each article's prose is tokenised
part by part as the index does (title, lead, body, captions joined by a newline;
``search.analysis.syllables``: lower case, NFC, one tone placement), so that a
phrase never spans two parts. A query syllable typed with diacritics matches
only that syllable (``hoà`` = ``hòa``, nothing else); a syllable typed without
them matches every accent variant (both compared folded), as issue 11 specifies
("no marks typed: any marks", also inside a query with marks elsewhere). A word
matches where its syllables are consecutive tokens of one part.

* precision = share of the matched articles that contain every word of the query
  (anywhere, each word's syllables adjacent); 1.0 when nothing is matched
  (recall then shows the loss);
* recall = share of the articles containing the whole query as a phrase that
  are matched;
* precision@10 = the same share over the first page a user sees.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import common

# (kind, query with its words separated by "|"), each found in local-news-20k
# (every run records its article counts: with_phrase, with_every_word). Single
# syllables whose folded form is far more common (bão 747 articles, bao/báo/bão
# 14,977; chợ 1,111, cho 18,759), words of two or three syllables whose
# syllables are common apart (hòa giải 87 articles, both syllables 4,868),
# phrases of two to four words, place names (some made of common syllables:
# Hòa Bình, Khánh Hòa, Thanh Hóa, Lâm Đồng), and two words typed with the new
# tone placement (hoà giải, thuỷ lợi).
QUERIES: tuple[tuple[str, str], ...] = (
    # One syllable, many accent variants.
    ("syllable", "bão"),
    ("syllable", "báo"),
    ("syllable", "xã"),
    ("syllable", "hòa"),
    ("syllable", "hóa"),
    ("syllable", "đường"),
    ("syllable", "dương"),
    ("syllable", "cá"),
    ("syllable", "lũ"),
    ("syllable", "lúa"),
    ("syllable", "mưa"),
    ("syllable", "cháy"),
    ("syllable", "rừng"),
    ("syllable", "điện"),
    ("syllable", "thuế"),
    ("syllable", "chợ"),
    ("syllable", "cầu"),
    ("syllable", "đê"),
    ("syllable", "nợ"),
    ("syllable", "gà"),
    # One word of two syllables.
    ("word", "hòa giải"),
    ("word", "hoà giải"),
    ("word", "cán bộ"),
    ("word", "công chức"),
    ("word", "giảm nghèo"),
    ("word", "đất đai"),
    ("word", "kiểm tra"),
    ("word", "nông thôn"),
    ("word", "hành chính"),
    ("word", "ngân sách"),
    ("word", "giáo dục"),
    ("word", "y tế"),
    ("word", "môi trường"),
    ("word", "thủy lợi"),
    ("word", "thuỷ lợi"),
    ("word", "tham nhũng"),
    ("word", "khiếu nại"),
    ("word", "tố cáo"),
    ("word", "dự án"),
    ("word", "hộ nghèo"),
    ("word", "đầu tư"),
    ("word", "lãng phí"),
    ("word", "thiên tai"),
    ("word", "sạt lở"),
    ("word", "cà phê"),
    ("word", "bà con"),
    ("word", "hợp tác xã"),
    # Phrases of two to four words.
    ("phrase", "nông thôn | mới"),
    ("phrase", "cán bộ | công chức"),
    ("phrase", "cải cách | hành chính"),
    ("phrase", "ủy ban | nhân dân"),
    ("phrase", "hội đồng | nhân dân"),
    ("phrase", "an toàn | giao thông"),
    ("phrase", "bảo hiểm | xã hội"),
    ("phrase", "giải phóng | mặt bằng"),
    ("phrase", "xây dựng | nông thôn | mới"),
    ("phrase", "ủy ban | nhân dân | tỉnh"),
    ("phrase", "vệ sinh | an toàn | thực phẩm"),
    ("phrase", "xóa đói | giảm nghèo"),
    ("phrase", "phòng chống | tham nhũng"),
    ("phrase", "đại hội | đảng bộ"),
    ("phrase", "thủ tục | hành chính"),
    ("phrase", "người | có công"),
    ("phrase", "quyền sử dụng | đất"),
    ("phrase", "tai nạn | giao thông"),
    ("phrase", "biến đổi | khí hậu"),
    ("phrase", "phát triển | kinh tế | xã hội"),
    ("phrase", "giải quyết | khiếu nại | tố cáo"),
    ("phrase", "ủy ban | mặt trận | tổ quốc"),
    ("phrase", "phó | chủ tịch | ủy ban | nhân dân"),
    ("phrase", "an ninh | chính trị | trật tự | an toàn"),
    ("phrase", "kinh tế | xã hội | quốc phòng | an ninh"),
    # Place names.
    ("place", "Đà Nẵng"),
    ("place", "Thanh Hóa"),
    ("place", "Khánh Hòa"),
    ("place", "Hà Nội"),
    ("place", "Quảng Nam"),
    ("place", "Quảng Ngãi"),
    ("place", "Nghệ An"),
    ("place", "Hà Tĩnh"),
    ("place", "Lâm Đồng"),
    ("place", "Đắk Lắk"),
    ("place", "Bình Định"),
    ("place", "Lào Cai"),
    ("place", "Sơn La"),
    ("place", "Cần Thơ"),
    ("place", "Hải Phòng"),
    ("place", "Hòa Bình"),
    ("place", "Hồ Chí Minh"),
    ("place", "Bà Rịa | Vũng Tàu"),
)
TYPINGS = ("accented", "unaccented")
TARGETS = {"precision": 0.95, "recall": 0.98}
PAGE = 100  # ids per page when collecting every match by paging Engine.search
WORST = 10


@dataclass(frozen=True)
class Query:
    """A query as typed, with its words (each a tuple of syllables as typed)."""

    kind: str
    words: tuple[tuple[str, ...], ...]
    # Everything typed, in order, when it has more than the words: a question's
    # words ("vì sao"), which no article need hold (see parse_query).
    typed: tuple[tuple[str, ...], ...] | None = None

    @property
    def text(self) -> str:
        """The query as a user types it (words joined by spaces)."""
        return " ".join(" ".join(w) for w in self.typed or self.words)

    @property
    def syllables(self) -> tuple[str, ...]:
        """Every syllable of the query, in order (the whole query as a phrase)."""
        return tuple(s for w in self.words for s in w)

    def folded(self) -> Query:
        """The same query typed without diacritics."""
        from search.analysis import fold

        def folded(words):
            return tuple(tuple(fold(s) for s in w) for w in words)

        return Query(self.kind, folded(self.words), self.typed and folded(self.typed))


def parse_query(line: str, kind: str | None = None) -> Query:
    """A query from ``"word | word"`` (syllables as typed; raises ValueError when empty).

    A part in square brackets is typed but asks, as a question's words do (``[vì
    sao] | giá lúa | tăng``): no article need hold it.
    """
    raw = [p.strip() for p in line.split("|")]
    asked = [p.startswith("[") and p.endswith("]") for p in raw]
    parts = [(p[1:-1] if a else p).split() for p, a in zip(raw, asked)]
    if not any(p for p, a in zip(parts, asked) if not a):
        raise ValueError(f"no words in query {line!r}")
    if not all(parts):
        raise ValueError(f"an empty word between '|' in query {line!r}")
    words = tuple(tuple(p) for p, a in zip(parts, asked) if not a)
    typed = tuple(tuple(p) for p in parts) if any(asked) else None
    if kind is None:
        kind = (
            "syllable"
            if len(words) == 1 and len(words[0]) == 1
            else ("word" if len(words) == 1 else "phrase")
        )
    return Query(kind, words, typed)


def read_queries(path: Path) -> list[Query]:
    """Queries of a file: one a line, ``[kind<TAB>]word | word``; ``#`` comments, blanks skipped."""
    out = []
    for n, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        kind, _, text = line.rpartition("\t")
        try:
            out.append(parse_query(text, kind.strip() or None))
        except ValueError as e:
            raise ValueError(f"{path}:{n}: {e}") from None
    if not out:
        raise ValueError(f"{path}: no queries")
    return out


def article_parts(article) -> list[str]:
    """An article's prose in the index's parts: title, lead, body, captions (one part)."""
    return [
        article.title or "",
        article.lead or "",
        article.body or "",
        "\n".join(article.captions or []),
    ]


class Truth:
    """Every article's prose as syllable ids, part by part, for phrase look-ups over all of it.

    One flat array holds the syllables of every part of every article, each part
    followed by a separator (-1) so that no phrase spans two parts or articles;
    a second array holds the folded syllables, a third the article of each
    position. A phrase is found for every article at once with array compares.
    """

    def __init__(self, articles: Iterable[tuple[str, list[str]]]):
        from search.analysis import fold, syllables

        vocab: dict[str, int] = {}
        ids: list[str] = []
        tokens: list[int] = []
        owner: list[int] = []
        for doc, (article_id, parts) in enumerate(articles):
            ids.append(article_id)
            start = len(tokens)
            for part in parts:
                tokens.extend([vocab.setdefault(s, len(vocab)) for s in syllables(part)])
                tokens.append(-1)
            owner.extend([doc] * (len(tokens) - start))
        self.ids = ids
        self.doc_of = {d: i for i, d in enumerate(ids)}
        self.vocab = vocab
        self.exact = np.asarray(tokens, dtype=np.int32)
        self.owner = np.asarray(owner, dtype=np.int32)
        folded_vocab: dict[str, int] = {}
        to_folded = np.empty(len(vocab) + 1, dtype=np.int32)
        to_folded[-1] = -1  # the separator stays a separator
        for s, i in vocab.items():
            to_folded[i] = folded_vocab.setdefault(fold(s), len(folded_vocab))
        self.folded_vocab = folded_vocab
        self.folded = to_folded[self.exact]

    def __len__(self) -> int:
        return len(self.ids)

    def _column(self, syllable: str) -> tuple[np.ndarray, int]:
        """The token array to compare a query syllable with, and its id there (-2: absent)."""
        from search.analysis import fold, has_diacritics, syllables

        canon = syllables(syllable)
        if len(canon) != 1:
            raise ValueError(f"{syllable!r} is not one syllable")
        s = canon[0]
        if has_diacritics(s):
            return self.exact, self.vocab.get(s, -2)
        return self.folded, self.folded_vocab.get(fold(s), -2)

    def phrase(self, syllables: Iterable[str]) -> np.ndarray:
        """Per article: True where the syllables are consecutive tokens of one part."""
        cols = [self._column(s) for s in syllables]
        found = np.zeros(len(self.ids), dtype=bool)
        n, k = len(self.exact), len(cols)
        if not cols or k > n or any(i == -2 for _, i in cols):
            return found
        hit = cols[0][0][: n - k + 1] == cols[0][1]
        for j, (arr, i) in enumerate(cols[1:], 1):
            hit &= arr[j : n - k + 1 + j] == i
        found[self.owner[: n - k + 1][hit]] = True
        return found

    def every_word(self, query: Query, aliases: bool = False) -> np.ndarray:
        """Per article: True where every word of the query occurs (each as a phrase).

        With ``aliases``, a run of the query's words that is a form of the curated
        abbreviation table (``ủy ban | nhân dân``) also counts where another form
        of it (``UBND``) occurs, as an expanding search reads it (issue 12).
        """
        found = np.ones(len(self.ids), dtype=bool)
        words = list(query.words)
        i = 0
        while i < len(words):
            for j in range(len(words), i, -1) if aliases else (i + 1,):
                run = [s for w in words[i:j] for s in w]
                others = _alias_forms(run) if aliases else ()
                if others or j == i + 1:
                    m = self.phrase(run)
                    for other in others:
                        m |= self.phrase(other)
                    found &= m
                    i = j
                    break
        return found

    def mask(self, ids: Iterable[str]) -> tuple[np.ndarray, int]:
        """Per article: True for the given ids; and how many ids are not articles here."""
        m = np.zeros(len(self.ids), dtype=bool)
        unknown = 0
        for i in ids:
            d = self.doc_of.get(i)
            if d is None:
                unknown += 1
            else:
                m[d] = True
        return m, unknown

    def score(
        self, query: Query, matched: list[str], first_page: list[str], aliases: bool = False
    ) -> dict:
        """Precision, recall and precision@10 of an engine's answer to ``query``."""
        good = self.every_word(query, aliases)
        relevant = self.phrase(query.syllables)
        got, unknown = self.mask(matched)
        n_got = int(got.sum()) + unknown
        n_rel = int(relevant.sum())
        top = [self.doc_of.get(i) for i in first_page]
        return {
            "matched": n_got,
            "matched_with_every_word": int((got & good).sum()),
            "with_every_word": int(good.sum()),
            "with_phrase": n_rel,
            "precision": (int((got & good).sum()) / n_got) if n_got else 1.0,
            "recall": (int((got & relevant).sum()) / n_rel) if n_rel else None,
            "precision@10": (
                sum(d is not None and bool(good[d]) for d in top) / len(top) if top else 1.0
            ),
            "unknown_ids": unknown,
        }


def _alias_forms(syllables: list[str]) -> list[tuple[str, ...]]:
    """The other forms of a run of syllables in the curated abbreviation table, folded."""
    from search import abbrev
    from search.analysis import fold

    key = tuple(fold(s) for s in syllables)
    return [k for k, _ in abbrev.curated().get(key, ())]


def truth_from_index(index_dir: Path) -> Truth:
    """The ground truth of every article stored in the index (read once)."""
    from search.backends.whoosh_index import open_index
    from search.stored import load_article

    ix = open_index(index_dir)
    with ix.searcher() as s:

        def articles() -> Iterator[tuple[str, list[str]]]:
            for stored in s.reader().all_stored_fields():
                a = load_article(stored)
                yield a.id, article_parts(a)

        return Truth(articles())


# --- the engine's side -----------------------------------------------------------


def _readable(index_dir: Path) -> str | None:
    """None when the index opens with this code's schema, else why it does not."""
    from search.backends.whoosh_index import open_index
    from search.errors import SearchError

    try:
        with open_index(index_dir).searcher() as s:
            if not s.doc_count():
                return "it is empty"
    except SearchError as e:
        return str(e)
    return None


def ensure_index(size: str, limit: int | None, index: Path | None, rebuild: bool) -> Path:
    """A readable index of the corpus slice: ``index``, or one under bench/work (built if needed).

    Without ``index``, this benchmark's own folder is used, else the index of
    ``bench ingest`` for the same slice when this code can read it; failing both,
    the benchmark's folder is (re)built. An index outside bench/work is never
    removed: an unreadable one there is an error.
    """
    from search.ingest import index_paths

    own = common.WORK / f"precision-{common.tag(size, limit)}"
    if index is None:
        candidates = [own, common.index_dir(size, limit)]
        if not rebuild:
            for path in candidates:
                if path.exists() and _readable(path) is None:
                    return path
        index = own
    index = index.resolve()
    why = "--rebuild" if rebuild else (_readable(index) if index.exists() else "no index yet")
    if why is None:
        return index
    if common.WORK.resolve() not in index.parents:
        if index.exists() and any(index.iterdir()):
            raise SystemExit(
                f"cannot use the index at {index} ({why}); this benchmark only "
                f"rebuilds indexes under {common.WORK}"
            )
        index.mkdir(parents=True, exist_ok=True)
    else:
        common.fresh_dir(index)
    print(f"indexing {common.tag(size, limit)} into {index} ({why}) ...", flush=True)
    t0 = time.perf_counter()
    report = index_paths(common.corpus_paths(size, limit), index)
    print(
        f"  indexed {report.indexed}, merged {report.merged} in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return index


def _supports(fn, name: str) -> bool:
    import inspect

    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def matched_ids(engine, q: str, **kw) -> tuple[list[str], str]:
    """The ids of every article ``q`` matches, and how they were read.

    ``Engine.match_ids`` when the engine has it; otherwise every page of
    ``Engine.search(q, per_page=100)`` (the code before issue 11).
    """
    match_ids = getattr(engine, "match_ids", None)
    if callable(match_ids):
        return list(match_ids(q, **kw)), "match_ids"
    from search import engine as engine_module

    last = getattr(engine_module, "MAX_PAGE", 1000)
    ids: list[str] = []
    page = 1
    while True:
        res = engine.search(q, per_page=PAGE, page=page)
        ids += [h.id for h in res.hits]
        if not res.hits or page * PAGE >= res.total or page >= last:
            return ids, "paging"
        page += 1


def run_query(engine, truth: Truth, query: Query, typing: str, **kw) -> dict:
    """One query through the engine (first page and every match), scored against the truth.

    ``kw`` goes to the engine where it takes it (``expand=False``).
    """
    q = query.text
    kw = {k: v for k, v in kw.items() if _supports(engine.search, k)}
    t0 = time.perf_counter()
    res = engine.search(q, **kw)
    ms_search = (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    ids, via = matched_ids(engine, q, **kw)
    ms_ids = (time.perf_counter() - t0) * 1000
    words = getattr(res, "words", None)
    out = {
        "query": q,
        "typing": typing,
        "kind": query.kind,
        "words": " | ".join(" ".join(w) for w in query.words),
        "total": res.total,
        "ids_via": via,
        "ids_distinct": len(set(ids)),
        "accents": getattr(res, "accents", None),
        "fallback": getattr(res, "fallback", None),
        "exact_total": getattr(res, "exact_total", None),
        "engine_words": (
            [w if isinstance(w, str) else " ".join(w) for w in words] if words is not None else None
        ),
        **truth.score(
            query,
            list(dict.fromkeys(ids)),
            [h.id for h in res.hits],
            aliases=kw.get("expand", False),
        ),
        "ms_search": round(ms_search, 1),
        "ms_ids": round(ms_ids, 1),
    }
    return out


def _mean(values: list) -> float | None:
    xs = [v for v in values if v is not None]
    return round(statistics.mean(xs), 4) if xs else None


def summarise(runs: list[dict]) -> dict:
    """Means per typing (and per kind), the targets and the worst queries."""
    out: dict = {}
    targets: dict = {}
    for typing in TYPINGS:
        rs = [r for r in runs if r["typing"] == typing]
        if not rs:
            continue
        ms = [r["ms_search"] for r in rs]
        out[typing] = {
            "runs": len(rs),
            "mean_precision": _mean([r["precision"] for r in rs]),
            "mean_recall": _mean([r["recall"] for r in rs]),
            "mean_precision@10": _mean([r["precision@10"] for r in rs]),
            "without_phrase_in_corpus": sum(r["recall"] is None for r in rs),
            "fallbacks": sum(bool(r["fallback"]) for r in rs),
            "search_ms_p50": round(common.percentile(ms, 50), 1),
            "search_ms_p95": round(common.percentile(ms, 95), 1),
            "by_kind": {
                k: {
                    "runs": len(g),
                    "mean_precision": _mean([r["precision"] for r in g]),
                    "mean_recall": _mean([r["recall"] for r in g]),
                }
                for k in dict.fromkeys(r["kind"] for r in rs)
                for g in [[r for r in rs if r["kind"] == k]]
            },
        }
        for name, target in TARGETS.items():
            value = out[typing][f"mean_{name}"]
            targets[f"{typing}_mean_{name}"] = common.verdict(
                value if value is not None else float("nan"), ">=", target
            )
    out["targets"] = targets
    out["targets_met"] = bool(targets) and all(t["met"] for t in targets.values())

    def badness(r: dict) -> tuple:
        rec = 1.0 if r["recall"] is None else r["recall"]
        return (min(r["precision"], rec), r["precision"] + rec)

    out["worst"] = [
        {
            k: r[k]
            for k in (
                "query",
                "typing",
                "kind",
                "words",
                "precision",
                "recall",
                "precision@10",
                "matched",
                "with_every_word",
                "with_phrase",
                "fallback",
            )
        }
        for r in sorted(runs, key=badness)[:WORST]
    ]
    return out


def _fmt(x) -> str:
    return "   -  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:6.3f}"


def print_table(summary: dict) -> None:
    """The short table: means per typing against the targets, then the worst queries."""
    print(
        f"\n{'typing':<11} {'runs':>4} {'precision':>9} {'recall':>7} {'P@10':>6} "
        f"{'fallbacks':>9} {'p50 ms':>7}"
    )
    for typing in TYPINGS:
        s = summary.get(typing)
        if s:
            print(
                f"{typing:<11} {s['runs']:>4} {_fmt(s['mean_precision']):>9} "
                f"{_fmt(s['mean_recall']):>7} {_fmt(s['mean_precision@10']):>6} "
                f"{s['fallbacks']:>9} {s['search_ms_p50']:>7}"
            )
    for name, t in summary["targets"].items():
        print(f"  {name:<28} {t['value']} {t['target']:<8} {'met' if t['met'] else 'NOT met'}")
    print(f"\nworst {len(summary['worst'])}:")
    for r in summary["worst"]:
        print(
            f"  {r['query']:<42} {r['typing']:<10} P {_fmt(r['precision'])} "
            f"R {_fmt(r['recall'])}  matched {r['matched']:>6}  phrase {r['with_phrase']:>6}"
        )


def _uncommitted() -> list[str] | None:
    """Files of the engine changed since the recorded commit (the run measured those too)."""
    import subprocess

    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", "search"],
            cwd=common.ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except OSError:
        return None
    return [line[3:] for line in out.splitlines()]


LABEL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def bench_precision(
    size: str = "20k",
    limit: int | None = None,
    index: Path | None = None,
    rebuild: bool = False,
    label: str = "current",
    queries_file: Path | None = None,
    expand: bool = True,
) -> dict:
    """Run every query, typed with and without diacritics; write precision-LABEL[-TAG].json.

    ``expand=False`` measures the words as typed: with expansion, ``ủy ban nhân
    dân`` also finds ``UBND`` (issue 12), which this ground truth (the words
    themselves) counts as a miss.
    """
    import search
    from search.engine import open_engine

    if not LABEL.fullmatch(label):
        raise SystemExit(f"--label must be lower-case letters, digits, '-' or '_', not {label!r}")
    try:
        queries = (
            read_queries(queries_file)
            if queries_file
            else [Query(kind, parse_query(text).words) for kind, text in QUERIES]
        )
    except (OSError, ValueError) as e:
        raise SystemExit(f"cannot read the queries: {e}") from None
    name = f"precision-{label}" + (
        "" if size == "20k" and not limit else f"-{common.tag(size, limit)}"
    )
    common.started(name)
    path = ensure_index(size, limit, index, rebuild)
    print(
        f"precision {label}: search from {Path(search.__file__).parent}, index {path}", flush=True
    )
    t0 = time.perf_counter()
    truth = truth_from_index(path)
    truth_s = time.perf_counter() - t0
    print(
        f"  ground truth: {len(truth)} articles, {len(truth.exact)} tokens in {truth_s:.0f} s",
        flush=True,
    )
    engine = open_engine(path)
    engine.search("khởi động")  # open the searcher, columns and suggester
    runs = []
    seen: set = set()
    t0 = time.perf_counter()
    for query in queries:
        for typing, typed in zip(TYPINGS, (query, query.folded())):
            if typing == "accented" and typed == typed.folded():
                continue  # no diacritics to type: only the unaccented run
            if (typing, typed.text) in seen:
                continue  # hoà giải and hòa giải fold alike: one unaccented run
            seen.add((typing, typed.text))
            r = run_query(engine, truth, typed, typing, expand=expand)
            runs.append(r)
            print(
                f"  {r['query']:<42} {typing:<10} total {r['total']:>6} "
                f"P {_fmt(r['precision'])} R {_fmt(r['recall'])} "
                f"{'fallback ' if r['fallback'] else ''}{r['ms_search']:.0f} ms",
                flush=True,
            )
    engine.close_all()
    summary = summarise(runs)
    print_table(summary)
    params = {
        "size": size,
        "limit": limit,
        "index": str(path),
        "label": label,
        "uncommitted_search_files": _uncommitted(),
        "queries": str(queries_file) if queries_file else "bench.precision.QUERIES",
        "n_queries": len(queries),
        "search_module": str(Path(search.__file__).parent),
        "ids_via": sorted({r["ids_via"] for r in runs}),
        "targets": TARGETS,
        "expand": expand,
        "engine_call": "Engine.search(q) (default accents) and match_ids(q) or every "
        f"page of search(q, per_page={PAGE})",
    }
    figures = {
        "articles": len(truth),
        "truth_build_s": round(truth_s, 1),
        "run_s": round(time.perf_counter() - t0, 1),
        **summary,
        "runs": runs,
    }
    common.write_result(name, params, figures)
    return figures
