"""Build search/data/general_lm.npz, the general syllable language model (counts, not text).

Reads gzip JSON Lines articles (``title`` and ``body``) in place, counts their
syllables and syllable pairs exactly as the index's vocabulary does
(:func:`search.vocab.count`), prunes rare syllables and pairs, and writes the
counts with :meth:`search.lm.LanguageModel.save`. The shipped model is built
from general-news-80k minus its held-out slice, the last 5,000 articles, which
``bench/accents.py`` draws its out-of-domain test sentences from; nothing of
local-news-20k goes in (its held-out slice is the in-domain test)::

    python tools/build_lm.py /work/shared/data/general-news-80k.jsonl.gz --holdout 5000

Options: ``--out`` (default the package data file), ``--min-unigram`` and
``--min-bigram`` (pruning thresholds: by default syllables seen once are
dropped, with their pairs, and every other pair is kept: 56k syllables, 2.0M
pairs, 4.7 MB, about 0.2 s to load; keeping only pairs seen twice halves the
file and costs about 0.2 points of accuracy), ``--limit`` (read at most N
articles before the held-out slice). Building the shipped model takes about
five minutes on one core.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.lm import GENERAL_LM_PATH, LanguageModel, LMBuilder  # noqa: E402
from search.vocab import count  # noqa: E402


def count_lines(path: Path) -> int:
    """Non-empty lines of a gzip JSON Lines file."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return sum(1 for line in f if line.strip())


def articles(path: Path, stop: int):
    """The text (title, body) of the first ``stop`` articles of ``path``."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        n = 0
        for line in f:
            if not line.strip():
                continue
            if n >= stop:
                return
            n += 1
            rec = json.loads(line)
            yield "\n".join(str(rec.get(k) or "") for k in ("title", "lead", "body"))


def build(
    inputs: list[Path], holdout: int, limit: int | None, min_unigram: int, min_bigram: int
) -> LanguageModel:
    """Count every input but its last ``holdout`` articles and prune."""
    builder = LMBuilder()
    sources = []
    t0 = time.perf_counter()
    for path in inputs:
        total = count_lines(path)
        stop = max(total - holdout, 0)
        if limit is not None:
            stop = min(stop, limit)
        sources.append(
            {
                "file": path.name,
                "articles": total,
                "used": f"first {stop}",
                "held_out": f"last {total - stop}" if limit is None else f"{total - stop} not read",
            }
        )
        for i, text in enumerate(articles(path, stop), 1):
            builder.add(count(text))
            if i % 10000 == 0:
                print(
                    f"{path.name}: {i}/{stop} articles, {time.perf_counter() - t0:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    return builder.model(min_unigram, min_bigram, meta={"sources": sources})


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path, help="gzip JSON Lines article files")
    ap.add_argument("--out", type=Path, default=GENERAL_LM_PATH)
    ap.add_argument(
        "--holdout",
        type=int,
        default=5000,
        help="articles at the end of each input never read (default 5000)",
    )
    ap.add_argument("--limit", type=int, default=None, help="read at most N articles per input")
    ap.add_argument("--min-unigram", type=int, default=2)
    ap.add_argument("--min-bigram", type=int, default=1)
    args = ap.parse_args(argv)
    for path in args.inputs:
        if not path.is_file():
            ap.error(f"{path}: no such file")
    if args.holdout < 0 or args.min_unigram < 1 or args.min_bigram < 1:
        ap.error("--holdout must be >= 0 and the pruning thresholds >= 1")
    t0 = time.perf_counter()
    try:
        model = build(args.inputs, args.holdout, args.limit, args.min_unigram, args.min_bigram)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as e:
        print(f"error: cannot read the corpus: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    syls, pairs = model.size()
    print(
        f"wrote {args.out}: {model.meta['documents']} articles, {model.tokens} tokens, "
        f"{syls} syllables, {pairs} bigrams, {args.out.stat().st_size / 2**20:.1f} MB "
        f"in {time.perf_counter() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
