"""Page budgets: p50/p95 of the search page and of the article page, one request at a time.

Starts a real ``vnsearch serve --processes 1`` (as ``bench load`` does) on an
index (default: the 20k index at /work/idx/local20k-b when it exists, else
bench/work's own 20k index; the index is only read), warms it up, then requests
``n`` search pages and ``n`` article pages one after the other over one
keep-alive connection, reading each whole HTML page. Search pages draw their
queries from bench/precision.py's QUERIES, about half typed without accents,
some with a province or topic filter; article pages are random stored ids.
Budgets (issue 15): search page p95 <= 300 ms, article page p95 <= 100 ms.
"""

from __future__ import annotations

import http.client
import random
import subprocess
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from bench import common
from bench.load import _start_server, _stop_server

DEFAULT_INDEX = Path("/work/idx/local20k-b")
BUDGETS_MS = {"search": 300.0, "article": 100.0}
WARMUP = 10  # requests of each page kind not counted (searcher, facet columns, templates)
# A facet value must be this common to be used as a filter (rare values give empty pages).
MIN_FACET_DOCS = 50


def _index(given: Path | None) -> Path:
    if given is not None:
        return given
    return DEFAULT_INDEX if DEFAULT_INDEX.is_dir() else common.index_dir("20k")


def _sample(index: Path, n: int, seed: int) -> tuple[list[str], list[str]]:
    """Search URLs and article URLs, ``n`` (plus the warm-up) of each, drawn with ``seed``."""
    from whoosh import index as whoosh_index

    from bench.precision import QUERIES
    from search.analysis import fold

    rng = random.Random(seed)
    ix = whoosh_index.open_dir(str(index))
    with ix.reader() as r:
        ids = [t.decode("utf-8") for t in r.lexicon("id")]
        facets = {
            f: [t.decode("utf-8") for t in r.lexicon(f) if r.doc_frequency(f, t) >= MIN_FACET_DOCS]
            for f in ("province", "topics")
        }
    ix.close()
    total = n + WARMUP
    searches = []
    for i in range(total):
        _, q = QUERIES[rng.randrange(len(QUERIES))]
        if rng.random() < 0.5:
            q = fold(q)  # typed without accents
        args = [("q", q)]
        roll = rng.random()
        if roll < 0.25 and facets["province"]:
            args.append(("province", rng.choice(facets["province"])))
        elif roll < 0.4 and facets["topics"]:
            args.append(("topic", rng.choice(facets["topics"])))
        searches.append("/search?" + urlencode(args))
    articles = ["/articles/" + quote(i, safe="/") for i in rng.sample(ids, min(total, len(ids)))]
    return searches, articles


def _uncommitted() -> list[str]:
    """Files of the working tree that differ from the commit (the code measured is the tree's)."""
    out = subprocess.run(
        [
            "git",
            "status",
            "--porcelain",
            "--untracked-files=normal",
            "--",
            "search",
            "web",
            "templates",
        ],
        cwd=common.ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [line[3:] for line in out.splitlines()]


def _timed_pages(port: int, urls: list[str], seconds: float | None) -> tuple[list, list]:
    """Latencies (s) of 200 answers and the other statuses, one request at a time."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    ok: list[float] = []
    other: list[str] = []
    deadline = time.perf_counter() + seconds if seconds else None
    for url in urls:
        if deadline and time.perf_counter() > deadline:
            break
        t0 = time.perf_counter()
        try:
            conn.request("GET", url)
            resp = conn.getresponse()
            resp.read()
            status: int | str = resp.status
        except (OSError, http.client.HTTPException) as e:
            status = type(e).__name__
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        if status == 200:
            ok.append(time.perf_counter() - t0)
        else:
            other.append(f"{status} {url}")
    conn.close()
    return ok, other


def bench_pages(
    index: Path | None = None,
    n: int = 200,
    seconds: float | None = None,
    seed: int = 20250,
    label: str = "20k",
) -> dict:
    """Time search and article pages against their budgets; write pages-LABEL.json."""
    index = _index(index)
    if not index.is_dir():
        raise SystemExit(f"no index at {index}: build one (python -m bench ingest) or give --index")
    name = f"pages-{label}"
    common.started(name)
    searches, articles = _sample(index, n, seed)
    proc, port = _start_server(str(index), 4, 1)
    try:
        _timed_pages(port, searches[:WARMUP] + articles[:WARMUP], None)
        timed = {
            "search": _timed_pages(port, searches[WARMUP:], seconds),
            "article": _timed_pages(port, articles[WARMUP:], seconds),
        }
    finally:
        _stop_server(proc)
    figures: dict = {"pages": {}, "targets": {}}
    for kind, (ok, other) in timed.items():
        lat = common.summary_ms(ok)
        figures["pages"][kind] = {**lat, "failures": len(other), "failed": other[:10]}
        figures["targets"][f"{kind}_p95_ms"] = common.verdict(lat["p95_ms"], "<=", BUDGETS_MS[kind])
        print(
            f"  {kind} page: n {lat['n']}, p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms "
            f"(budget {BUDGETS_MS[kind]:g} ms), failures {len(other)}",
            flush=True,
        )
    params = {
        "index": str(index),
        "uncommitted_code": _uncommitted(),
        "n": n,
        "seconds": seconds,
        "seed": seed,
        "server": "vnsearch serve --processes 1 --threads 4",
        "warmup_per_kind": WARMUP,
        "queries": "bench/precision.py QUERIES, ~50% folded to no accents, ~25% with a "
        "province filter, ~15% with a topic filter",
        "articles": "random stored ids",
        "one_request_at_a_time": True,
    }
    common.write_result(name, params, figures)
    return figures
