"""Accent restoration benchmark: the vocabulary suggester against pyvi's ``add_accents``.

Builds a :class:`search.vocab.Vocabulary` in a temporary folder from the ALQAC
2022 law articles, restores the 520 ALQAC questions typed without diacritics,
and reports syllable accuracy (restored syllables against the originals, both
through ``canonical()``) and restore time per query; then the same with the
local-news-20k articles added to the vocabulary. pyvi is measured in the same
run. Results go to ``bench/results/accents.json``.

    python bench/accents.py [--no-news] [--data DIR]
"""
from __future__ import annotations

import argparse
import difflib
import gzip
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.analysis import canonical, fold, syllables  # noqa: E402
from search.suggest import Suggester  # noqa: E402
from search.vocab import Vocabulary  # noqa: E402

DATA = Path("/work/shared/data")
RESULTS = ROOT / "bench" / "results" / "accents.json"


def read_jsonl(path: Path):
    """Records of a gzip JSON Lines file, read in place."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def article_text(rec: dict) -> str:
    """The prose an indexed article contributes (title, lead, body, captions)."""
    return "\n".join(str(rec.get(k) or "") for k in ("title", "lead", "body")) + "\n" + \
        "\n".join(rec.get("captions") or [])


def build(vocab: Vocabulary, records, batch: int = 500) -> tuple[int, float]:
    """Count ``records`` into ``vocab`` in committed batches; (articles, seconds)."""
    t0, n = time.perf_counter(), 0
    for rec in records:
        vocab.add(article_text(rec))
        n += 1
        if n % batch == 0:
            vocab.commit()
    vocab.commit()
    return n, time.perf_counter() - t0


def score(restored: str, original: str) -> tuple[int, int]:
    """(right, total) syllables of ``restored`` against ``original``, aligned by folded form."""
    got = [canonical(s) for s in syllables(restored)]
    want = [canonical(s) for s in syllables(original)]
    if len(got) == len(want):
        pairs = list(zip(got, want))
    else:  # a restorer that changed tokenisation: align on the folded syllables
        sm = difflib.SequenceMatcher(a=[fold(g) for g in got], b=[fold(w) for w in want],
                                     autojunk=False)
        pairs = [(got[b.a + i], want[b.b + i]) for b in sm.get_matching_blocks()
                 for i in range(b.size)]
    return sum(g == w for g, w in pairs), len(want)


def evaluate(name: str, restore, queries: list[dict], errors: int = 0) -> dict:
    """Accuracy and per-query timing of one restorer over the questions."""
    right = total = exact = 0
    times, wrong = [], []
    for q in queries:
        t0 = time.perf_counter()
        out = restore(q["query_unaccented"])
        times.append(time.perf_counter() - t0)
        r, n = score(out, q["query"])
        right, total, exact = right + r, total + n, exact + (r == n)
        if r < n and len(wrong) < errors:
            wrong.append({"query": q["query"], "restored": out})
    times.sort()
    res = {
        "restorer": name,
        "syllable_accuracy": round(right / total, 4),
        "syllables": total,
        "queries_all_right": round(exact / len(queries), 4),
        "median_ms": round(statistics.median(times) * 1000, 3),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 3),
    }
    print(f"{name:<34} syllables {res['syllable_accuracy']:.2%}  "
          f"whole queries {res['queries_all_right']:.2%}  "
          f"median {res['median_ms']:.2f} ms  p95 {res['p95_ms']:.2f} ms", flush=True)
    if wrong:
        res["examples_wrong"] = wrong
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--no-news", action="store_true", help="skip the ALQAC + local-news run")
    ap.add_argument("--examples", type=int, default=10, help="wrong restorations to keep")
    args = ap.parse_args()

    queries = list(read_jsonl(args.data / "alqac2022_queries.jsonl.gz"))
    out: dict = {"queries": len(queries), "runs": []}
    out["runs"].append(evaluate("as typed (no restoration)", lambda t: t, queries))

    from pyvi import ViUtils

    def pyvi_restore(text: str) -> str:
        try:
            return ViUtils.add_accents(text)
        except Exception:  # pyvi issue #15: KeyError on some inputs
            return text

    out["runs"].append(evaluate("pyvi ViUtils.add_accents", pyvi_restore, queries))

    with tempfile.TemporaryDirectory() as tmp:
        vocab = Vocabulary(tmp)
        n, secs = build(vocab, read_jsonl(args.data / "alqac2022.jsonl.gz"))
        sugg = Suggester(tmp)
        sugg.restore("khoi dong")  # open the connection outside the timing
        res = evaluate("vocabulary: ALQAC articles", sugg.restore, queries, args.examples)
        res.update(articles=n, build_s=round(secs, 2), vocabulary=vocab.stats())
        out["runs"].append(res)
        if not args.no_news:
            n2, secs2 = build(vocab, read_jsonl(args.data / "local-news-20k.jsonl.gz"))
            sugg.close()
            sugg = Suggester(tmp)
            sugg.restore("khoi dong")
            res = evaluate("vocabulary: ALQAC + local-news-20k", sugg.restore, queries,
                           args.examples)
            res.update(articles=n + n2, build_s=round(secs + secs2, 2),
                       vocabulary=vocab.stats(),
                       file_mb=round((Path(tmp) / "vocab.sqlite").stat().st_size / 2**20, 1))
            out["runs"].append(res)
        sugg.close()
        vocab.close()

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
