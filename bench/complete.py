"""Latency of suggestions as you type: ``Completer.complete`` over prefixes of real headlines.

Prefixes (seeded) are what a user has typed part-way through a query: 1-4
consecutive words of a headline of local-news-20k, half of them folded (typed
without diacritics), cut inside the last word (at least one letter of it) or,
one time in five, right after a word and its space (the next word is asked
for). The completer reads the vocabulary next to ``--index`` (read-only).

Reported: the first call (it loads the syllable table of the vocabulary
generation and the restorer's models), then p50/p95/p99/max of one call per
prefix with the caches as the earlier prefixes left them (``first_pass``), and
again over the same prefixes (``second_pass``: every successor table cached).
Results go to ``bench/results/complete.json``::

    nice python bench/complete.py --index /work/idx/local20k [--n 200] [--seed 12]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from itertools import islice
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from search.analysis import fold
from search.complete import Completer

WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def make_prefixes(n: int, seed: int, articles: int = 5000) -> list[str]:
    """``n`` partly typed queries drawn from the first ``articles`` headlines of 20k."""
    rng = random.Random(seed)
    titles = [
        r.get("title") or ""
        for r in islice(common.read_jsonl(common.corpus_paths("20k")), articles)
    ]
    titles = [t for t in titles if len(WORD.findall(t)) >= 2]
    out: list[str] = []
    while len(out) < n:
        words = WORD.findall(rng.choice(titles))
        k = rng.randint(1, min(4, len(words)))
        i = rng.randrange(len(words) - k + 1)
        phrase = words[i : i + k]
        if rng.random() < 0.5:
            phrase = [fold(w) for w in phrase]
        phrase = [w.lower() for w in phrase]
        if rng.random() < 0.2:
            out.append(" ".join(phrase) + " ")
        else:
            last = phrase[-1]
            cut = rng.randint(1, len(last))
            out.append(" ".join(phrase[:-1] + [last[:cut]]))
    return out


def _pass(completer: Completer, prefixes: list[str]) -> tuple[dict, int]:
    times, answered = [], 0
    for q in prefixes:
        t = time.perf_counter()
        result = completer.complete(q)
        times.append((time.perf_counter() - t) * 1000)
        answered += bool(result.completions)
    times.sort()

    def pct(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))], 2)

    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(times[-1], 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }, answered


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print and save its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=common.index_dir("20k"))
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--out", type=Path, default=common.RESULTS / "complete.json")
    args = parser.parse_args(argv)

    prefixes = make_prefixes(args.n, args.seed)
    completer = Completer(args.index)
    t = time.perf_counter()
    completer.complete("a")
    first_call = round((time.perf_counter() - t) * 1000, 1)
    first, answered = _pass(completer, prefixes)
    second, _ = _pass(completer, prefixes)
    completer.close_all()
    report = {
        "index": str(args.index),
        "prefixes": len(prefixes),
        "seed": args.seed,
        "with_completions": answered,
        "first_call_ms": first_call,
        "first_pass": first,
        "second_pass": second,
        "examples": [
            {"q": q, "completions": [c.text for c in completer.complete(q).completions[:3]]}
            for q in prefixes[:8]
        ],
    }
    completer.close_all()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
