"""Extraction coverage on the real local-news corpus (read in place, never copied).

Runs the extractor over ``/work/shared/data/local-news-20k.jsonl.gz`` and writes
``bench/results/extract_coverage.json``: how many articles got a province, a
date, topics and policy references, the time per article, and a seeded random
sample of 50 articles (title, province, topics) for a hand check.

    python bench/extract_coverage.py [--data PATH] [--sample 50] [--seed 2025]
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.errors import BadArticle  # noqa: E402
from search.parse import parse_record  # noqa: E402
from search.readers import Skipped, read_records  # noqa: E402

DATA = Path("/work/shared/data/local-news-20k.jsonl.gz")
OUT = ROOT / "bench" / "results" / "extract_coverage.json"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--sample", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args(argv)

    counts: collections.Counter[str] = collections.Counter()
    provinces: collections.Counter[str] = collections.Counter()
    topics: collections.Counter[str] = collections.Counter()
    articles = []
    parse_seconds = 0.0
    for item in read_records(args.data):
        if isinstance(item, Skipped):
            counts["skipped"] += 1
            continue
        start = time.process_time()
        try:
            a = parse_record(item)
        except BadArticle:
            counts["bad"] += 1
            continue
        parse_seconds += time.process_time() - start
        counts["articles"] += 1
        counts["province"] += bool(a.province)
        counts["province_2025"] += bool(a.province_2025)
        counts["district"] += bool(a.district)
        counts["date"] += a.date is not None
        counts["topics"] += bool(a.topics)
        counts["policy_refs"] += bool(a.policy_refs)
        counts["author"] += bool(a.author)
        counts["outlet"] += bool(a.outlet)
        provinces[a.province or "(none)"] += 1
        topics.update(a.topics or ["(none)"])
        # Ids, titles and extracted fields only: the article text stays with its publishers.
        articles.append(
            (a.id, a.title, a.province, a.district, a.topics, [r.ref for r in a.policy_refs][:5])
        )
    n = counts["articles"] or 1
    rng = random.Random(args.seed)
    sample = rng.sample(articles, min(args.sample, len(articles)))
    result = {
        "data": str(args.data),
        "counts": dict(counts),
        "share": {
            k: round(counts[k] / n, 4)
            for k in (
                "province",
                "province_2025",
                "district",
                "date",
                "topics",
                "policy_refs",
                "author",
                "outlet",
            )
        },
        "ms_per_article_cpu": round(1000 * parse_seconds / n, 3),
        "provinces": dict(provinces.most_common()),
        "topics": dict(topics.most_common()),
        "sample_seed": args.seed,
        "sample": [
            {"id": i, "title": t, "province": p, "district": d, "topics": tp, "policy_refs": refs}
            for i, t, p, d, tp, refs in sample
        ],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        json.dumps(
            {k: result[k] for k in ("counts", "share", "ms_per_article_cpu")},
            ensure_ascii=False,
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
