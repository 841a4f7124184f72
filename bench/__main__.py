"""``python -m bench COMMAND``: the vnsearch benchmarks (run on demand, never in CI).

    python -m bench ingest    --size 20k|100k [--limit N] [--workers N] [--no-baseline]
    python -m bench queries   --size 20k|100k [--limit N] [--n 300] [--repeat 3] [--profile]
    python -m bench load      --size 20k [--seconds 60] [--clients 4] [--threads 8] [--processes N]
    python -m bench relevance [--known-size 100k|20k] [--known 500] [--only alqac|known]
    python -m bench profile   ingest|queries --size 20k [--limit N] [--n 300]
    python -m bench precision [--size 20k] [--limit N] [--index DIR] [--rebuild] [--label L]
                              [--queries FILE]
    python -m bench pages     [--index DIR] [--n 200] [--seconds S] [--label 20k]
    python -m bench related   [--index DIR ...] [--n 200] [--seed S] [--before N]
    python -m bench segment   [--limit 3000 (0: all 20k)] [--repeat 3]
    python -m bench backends  --size 20k [--limit N] [--n 200] [--repeat 3] [--ingest-limit 2000]
                              [--whoosh-index DIR] [--xapian-index DIR] [--serve-seconds 20]
                              [--reuse-plain]
    python -m bench samework  --size 100k [--xapian-index DIR] [--n 200] [--repeat 3]
    python -m bench sizing    (a deployment's size from backends-20k.json and backends-100k.json)
    python -m bench plot
    python -m bench all       [--with-100k]

Figures go to bench/results/*.json, plots to bench/results/*.png (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _size(p: argparse.ArgumentParser) -> None:
    p.add_argument("--size", choices=("20k", "100k"), default="20k")
    p.add_argument("--limit", type=int, default=None, help="only the first N articles")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("ingest", help="indexing throughput, memory, size vs plain Whoosh")
    _size(p)
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=500)
    p.add_argument("--no-baseline", action="store_true")

    p = sub.add_parser("queries", help="Engine.search latency vs plain Whoosh BM25")
    _size(p)
    p.add_argument("--n", type=int, default=300, help="queries in the set")
    p.add_argument("--repeat", type=int, default=3, help="runs; the median per query is kept")
    p.add_argument("--seed", type=int, default=20250)
    p.add_argument("--profile", action="store_true", help="also a cProfile of one run")

    p = sub.add_parser("load", help="requests/s of `vnsearch serve` under concurrent clients")
    _size(p)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--threads", type=int, default=8, help="waitress threads (per process)")
    p.add_argument(
        "--processes", type=int, default=None, help="server processes (default: the number of CPUs)"
    )
    p.add_argument("--seed", type=int, default=20250)

    p = sub.add_parser("relevance", help="ALQAC MRR@10/Recall@10 and known-item MRR")
    p.add_argument(
        "--known-size",
        choices=("20k", "100k"),
        default=None,
        help="corpus index for known-item queries (default: 100k if built)",
    )
    p.add_argument("--known", type=int, default=500)
    p.add_argument("--seed", type=int, default=20250)
    p.add_argument(
        "--only",
        choices=("alqac", "known"),
        default=None,
        help="run one part (the other keeps its figures in relevance.json)",
    )

    p = sub.add_parser("profile", help="where the time goes (ingest stages, query parts)")
    p.add_argument("what", choices=("ingest", "queries"))
    _size(p)
    p.add_argument("--n", type=int, default=300, help="queries (profile queries)")

    p = sub.add_parser("precision", help="precision/recall of what queries match (issue 11)")
    _size(p)
    p.add_argument(
        "--index",
        type=Path,
        default=None,
        help="index to use (default: bench/work/precision-TAG, built if needed)",
    )
    p.add_argument("--rebuild", action="store_true", help="rebuild the index first")
    p.add_argument(
        "--label",
        default="current",
        help="results name: bench/results/precision-LABEL.json (before, after)",
    )
    p.add_argument(
        "--no-expand",
        action="store_true",
        help="search words as typed (no abbreviation expansion, issue 12)",
    )
    p.add_argument(
        "--queries",
        type=Path,
        default=None,
        help="queries file: one a line, words split by '|' (default: the built-in set)",
    )

    p = sub.add_parser("pages", help="search and article page p50/p95 against their budgets")
    p.add_argument(
        "--index",
        type=Path,
        default=None,
        help="index to read (default: /work/idx/local20k-b if present, else "
        "bench/work's 20k index)",
    )
    p.add_argument("--n", type=int, default=200, help="pages of each kind")
    p.add_argument(
        "--seconds", type=float, default=None, help="stop each kind after this many seconds"
    )
    p.add_argument("--seed", type=int, default=20250)
    p.add_argument("--label", default="20k", help="results name: bench/results/pages-LABEL.json")

    p = sub.add_parser("related", help="Engine.related p50/p95 against its 50 ms budget")
    p.add_argument(
        "--index",
        type=Path,
        action="append",
        default=None,
        help="index to read, repeatable (default: /work/idx/local20k-b, and the "
        "100k index of bench/work if built)",
    )
    p.add_argument("--n", type=int, default=200, help="articles")
    p.add_argument("--seed", type=int, default=20251)
    p.add_argument(
        "--before",
        type=int,
        default=0,
        help="also time Whoosh's more_like on the first N articles (slow)",
    )

    p = sub.add_parser("segment", help="pyvi segmentation: pyvi as is vs search.pyvi_fast")
    p.add_argument("--limit", type=int, default=3000, help="first N articles of 20k (0: all)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each; medians are kept")

    p = sub.add_parser("backends", help="vnsearch on Whoosh and Xapian vs tantivy, SQLite, Whoosh")
    _size(p)
    p.add_argument("--n", type=int, default=200, help="queries in the set")
    p.add_argument("--repeat", type=int, default=3, help="runs; the median per query is kept")
    p.add_argument("--seed", type=int, default=20250)
    p.add_argument(
        "--ingest-limit", type=int, default=2000, help="articles every system indexes (subset)"
    )
    p.add_argument("--whoosh-index", type=Path, default=None, help="a vnsearch-Whoosh index")
    p.add_argument("--xapian-index", type=Path, default=None, help="a vnsearch-Xapian index")
    p.add_argument("--serve-seconds", type=float, default=20, help="per server (0: no serve)")
    p.add_argument("--clients", type=int, default=4)
    p.add_argument("--profile-queries", type=int, default=10, help="slowest Xapian queries")
    p.add_argument(
        "--reuse-plain",
        action="store_true",
        help="the plain engines' whole-slice indexes of an earlier run, with its build figures",
    )

    p = sub.add_parser("samework", help="vnsearch-Xapian vs tantivy doing the same work")
    p.add_argument("--size", choices=("20k", "100k"), default="100k")
    p.add_argument("--xapian-index", type=Path, default=None, help="a vnsearch-Xapian index")
    p.add_argument("--n", type=int, default=200, help="queries in the set")
    p.add_argument("--repeat", type=int, default=3, help="runs; the median per query is kept")
    p.add_argument("--seed", type=int, default=20250)

    sub.add_parser("sizing", help="a national deployment, extrapolated from bench backends")
    sub.add_parser("plot", help="PNG plots from the results JSON")

    p = sub.add_parser("all", help="everything in order (20k; --with-100k adds the big corpus)")
    p.add_argument("--with-100k", action="store_true")
    p.add_argument("--load-seconds", type=float, default=60)

    args = ap.parse_args(argv)
    if args.cmd == "ingest":
        from .ingest import bench_ingest

        bench_ingest(args.size, args.limit, args.workers, args.batch_size, not args.no_baseline)
    elif args.cmd == "queries":
        from .queries import bench_queries

        bench_queries(args.size, args.limit, args.n, args.repeat, args.seed, args.profile)
    elif args.cmd == "load":
        from .load import bench_load

        bench_load(
            args.size,
            args.limit,
            args.seconds,
            args.clients,
            args.threads,
            args.seed,
            args.processes,
        )
    elif args.cmd == "relevance":
        from .relevance import bench_relevance

        bench_relevance(
            args.known_size,
            args.known,
            args.seed,
            (args.only,) if args.only else ("alqac", "known"),
        )
    elif args.cmd == "profile":
        from .profile import profile_ingest, profile_queries

        if args.what == "ingest":
            profile_ingest(args.size, args.limit)
        else:
            profile_queries(args.size, args.limit, args.n)
    elif args.cmd == "precision":
        from .precision import bench_precision

        bench_precision(
            args.size,
            args.limit,
            args.index,
            args.rebuild,
            args.label,
            args.queries,
            expand=not args.no_expand,
        )
    elif args.cmd == "pages":
        from .pages import bench_pages

        bench_pages(args.index, args.n, args.seconds, args.seed, args.label)
    elif args.cmd == "related":
        from .related import bench_related

        bench_related(args.index, args.n, args.seed, args.before)
    elif args.cmd == "segment":
        from .segment import bench_segment

        bench_segment(args.limit or None, args.repeat)
    elif args.cmd == "backends":
        from .backends import bench_backends

        bench_backends(
            args.size,
            args.limit,
            args.n,
            args.repeat,
            args.seed,
            args.ingest_limit,
            args.whoosh_index,
            args.xapian_index,
            args.serve_seconds,
            args.clients,
            args.profile_queries,
            args.reuse_plain,
        )
    elif args.cmd == "samework":
        from .samework import bench_samework

        bench_samework(args.size, args.xapian_index, args.n, args.repeat, args.seed)
    elif args.cmd == "sizing":
        from .sizing import bench_sizing

        bench_sizing()
    elif args.cmd == "plot":
        from .plot import plot_all

        plot_all()
    elif args.cmd == "all":
        run_all(args.with_100k, args.load_seconds)


def run_all(with_100k: bool, load_seconds: float) -> None:
    """Ingest (1k, 5k, 20k[, 100k]), queries at each size, relevance, load, plots."""
    from .ingest import bench_ingest
    from .load import bench_load
    from .plot import plot_all
    from .queries import bench_queries
    from .relevance import bench_relevance

    slices = [("20k", 1000), ("20k", 5000), ("20k", None)] + ([("100k", None)] if with_100k else [])
    for size, limit in slices:
        bench_ingest(size, limit, None, 500)
    for size, limit in slices:
        bench_queries(size, limit, 300, 3, 20250, False)
    bench_relevance(None, 500, 20250)
    bench_load("20k", None, load_seconds, 4, 8, 20250)
    plot_all()


if __name__ == "__main__":
    main()
