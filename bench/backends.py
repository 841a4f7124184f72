"""``bench backends``: vnsearch's two storage backends against plain engines, in ONE run (issue 13).

Systems, on the same articles and the same query set (``bench queries``' seeded set):

* ``vn-whoosh`` - ``open_engine(DIR).search(q, province=…, per_page=10)`` over a
  Whoosh index (``--whoosh-index``, else built into bench/work);
* ``vn-xapian`` - the same over a Xapian index, one local database (``--xapian-index``);
* ``vn-xapian-2shards`` - the same with ``shard_urls``: the Xapian index's documents
  placed into 2 shards by the backend's own ``shard_of`` (as ``--shards 2`` places
  them; copied, not re-analysed: bench/work/backends/…-2shards) and each served by
  ``xapian-tcpsrv`` on 127.0.0.1;
* ``whoosh``, ``tantivy``, ``sqlite`` - the plain engines of ``bench/plain.py`` (their
  whole-slice builds reused from an earlier run with ``--reuse-plain``);
* ``tantivy-same`` - tantivy doing the same work as vnsearch's page (``bench/samework.py``);
* ``vn-whoosh-nocache`` - vn-whoosh with ``postings_cache_mb=0``: every search decodes
  its common terms' postings again (the Whoosh backend before that cache).

vn-whoosh keeps common terms' decoded postings for the index generation, and the
passes below repeat the same queries: its "first sight" figure is a new engine whose
cache the next 100 queries of the seeded set (not timed) filled, then each query of
the set timed once, as a serving process meets a query it has not seen (three such
engines, each query's median over them: one pass alone is noisier than the others'
medians of three). Its "after a
commit" figure: an engine over a copy of the index that answered the set and those 100
queries, then a commit of 5 articles (copies of stored ones under new ids), then each
query of the set timed once, as a site whose crawler commits meets its next searches.

vnsearch's searches are the full ones (all six facets, timeline, snippets,
suggestion); tantivy and SQLite count the province facet; plain Whoosh returns 10 ids.

Figures per system: ingest articles/s of a child process per build (wall time, start-up
included) on the first ``--ingest-limit`` articles for every system (vnsearch's
ingest is dominated by pyvi) and on the whole slice for the plain engines; peak memory
of the build (``ru_maxrss`` of the child from ``wait4``: its largest process, and
the RSS of its process tree sampled every 0.2 s); index size on disk over the
title+body text; query latency, wall and CPU (``time.process_time`` of this process;
for remote shards the servers' CPU is added as a mean per query), one warm-up pass then
``--repeat`` passes, the median per query, then p50/p95 over the queries;
``vnsearch serve`` requests/s for /search pages (``bench.load``'s clients). A
cross-check: every query's total must be the same on vn-whoosh, vn-xapian and
vn-xapian-2shards (and the facet counts). A cProfile of the Xapian search path over
the slowest queries goes to bench/work/backends/. Writes bench/results/backends-TAG.json
and prints a markdown table.
"""

from __future__ import annotations

import cProfile
import dataclasses
import io
import json
import pstats
import shutil
import sqlite3
import statistics
import subprocess
import time
from http.client import HTTPException
from pathlib import Path

from bench import common, samework
from bench.builds import PLAIN, build, index_size, reshard, xapian_sizes
from bench.builds import work as work_dir
from bench.ingest import corpus_stats
from bench.servers import ShardServers, serve_accepts, serve_rps

VN = ("vn-whoosh", "vn-xapian", "vn-xapian-2shards")
SAME = "tantivy-same"
NOCACHE = "vn-whoosh-nocache"
OTHERS = 100  # queries that fill the cache before the first-sight pass
SHARDS = 2

# --- queries ----------------------------------------------------------------------


def _vn(engine):
    def run(q: str, province: str | None):
        res = engine.search(q, province=province, per_page=10)
        facets = {name: {v.value: v.count for v in values} for name, values in res.facets.items()}
        return res.total, [h.id for h in res.hits], facets

    return run


def time_queries(systems: dict, queries: list[dict], repeat: int, servers=None) -> dict:
    """Per system: per-query median wall and CPU seconds, and the warm-up pass's answers."""
    wall: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in systems}
    cpu: dict[str, list[list[float]]] = {name: [[] for _ in queries] for name in systems}
    answers: dict[str, list] = {name: [] for name in systems}
    server_cpu = 0.0
    for r in range(repeat + 1):  # pass 0 warms up and records the answers
        c0 = servers.cpu_s() if servers and r else 0.0
        for i, item in enumerate(queries):
            for name, fn in systems.items():
                t0, p0 = time.perf_counter(), time.process_time()
                got = fn(item["q"], item["province"])
                w, c = time.perf_counter() - t0, time.process_time() - p0
                if r:
                    wall[name][i].append(w)
                    cpu[name][i].append(c)
                else:
                    answers[name].append(got)
        if servers and r:
            server_cpu += servers.cpu_s() - c0
        print(f"  queries: pass {r}{' (warm-up)' if not r else ''} done", flush=True)
    return {
        "wall": {n: [statistics.median(x) for x in v] for n, v in wall.items()},
        "cpu": {n: [statistics.median(x) for x in v] for n, v in cpu.items()},
        "answers": answers,
        "server_cpu_s_per_query": server_cpu / (repeat * len(queries)) if servers else None,
    }


def _each_once(engine, queries: list[dict]) -> list[float]:
    """Seconds of each query's search, each run once."""
    wall = []
    for item in queries:
        t0 = time.perf_counter()
        engine.search(item["q"], province=item["province"], per_page=10)
        wall.append(time.perf_counter() - t0)
    return wall


def _cache_held(engine) -> dict | None:
    """What Whoosh's cache of common terms holds (None on another backend)."""
    hot = getattr(engine.source(), "hot", None)
    return {"entries": len(hot), "mb": round(hot.nbytes / 2**20, 1)} if hot is not None else None


def first_sight(index: Path, queries: list[dict], others: list[dict], repeat: int = 3) -> dict:
    """vn-whoosh meeting each query once, its cache filled by ``others`` (module docstring):
    ``repeat`` new engines, each query's median over them."""
    from search.engine import open_engine

    runs = []
    for _ in range(repeat):
        engine = open_engine(index)
        try:
            _each_once(engine, others)
            runs.append(_each_once(engine, queries))
            cached = _cache_held(engine)
        finally:
            _close(engine)
    wall = [statistics.median(times) for times in zip(*runs)]
    return {
        "query_wall_ms": common.summary_ms(wall),
        "warmed_by": len(others),
        "engines": repeat,
        "cache": cached,
    }


# Articles a commit adds for the "after a commit" figure.
COMMITTED = 5


def after_commit(index: Path, queries: list[dict], others: list[dict], copy: Path) -> dict:
    """vn-whoosh meeting each query once right after a commit (module docstring), on ``copy``."""
    from search.backends.base import article_at
    from search.backends.whoosh_index import open_index
    from search.backends.whoosh_writing import write_batches
    from search.engine import open_engine

    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(index, copy)
    engine = open_engine(copy)
    try:
        _each_once(engine, [*queries, *others])
        s = engine.searcher()
        added = []
        for d in s.live_ids()[:COMMITTED].tolist():
            new = f"bench-commit/{d}"
            added.append((dataclasses.replace(article_at(s, d), id=new, content_hash=new), ""))
        for _ in write_batches(open_index(copy), added, batch_size=COMMITTED):
            pass
        wall = _each_once(engine, queries)
        kept = _cache_held(engine)
    finally:
        _close(engine)
        shutil.rmtree(copy, ignore_errors=True)
    return {"query_wall_ms": common.summary_ms(wall), "committed": len(added), "cache": kept}


def parity(queries: list[dict], answers: dict) -> dict:
    """Totals (and facet counts) of every query on the vnsearch systems, compared."""
    names = [n for n in VN if n in answers]
    ref = names[0]
    totals, facets, top10 = [], [], 0
    for i, item in enumerate(queries):
        got = {n: answers[n][i] for n in names}
        if len({g[0] for g in got.values()}) > 1:
            totals.append({**item, "totals": {n: g[0] for n, g in got.items()}})
        differ = sorted(
            {
                f
                for n in names[1:]
                for f in set(got[ref][2]) | set(got[n][2])
                if got[ref][2].get(f) != got[n][2].get(f)
            }
        )
        if differ:
            facets.append(
                {
                    **item,
                    "facets": differ,
                    "counts": {n: {f: got[n][2].get(f) for f in differ[:2]} for n in names},
                }
            )
        top10 += all(g[1] == got[ref][1] for g in got.values())
    return {
        "systems": names,
        "queries": len(queries),
        "total_mismatches": len(totals),
        "total_mismatch_list": totals,
        "facet_mismatches": len(facets),
        "facet_mismatch_list": facets[:20],
        "same_first_page_ids_in_order": top10,
    }


def profile(name: str, fn, queries: list[dict], out: Path, repeat: int = 3) -> list[dict]:
    """cProfile of ``fn`` over ``queries`` (``repeat`` times): the top functions per query."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(repeat):
        for item in queries:
            fn(item["q"], item["province"])
    prof.disable()
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    out.write_text(buf.getvalue(), "utf-8")
    per = repeat * len(queries)
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{Path(file).name}:{line}({func})",
                "calls_per_query": round(nc / per, 1),
                "tottime_ms": round(tt * 1000 / per, 2),
                "cumtime_ms": round(ct * 1000 / per, 2),
            }
        )
    rows.sort(key=lambda r: -r["tottime_ms"])
    print(f"  profile of {name}: {out}", flush=True)
    return rows[:20]


# --- the run ----------------------------------------------------------------------


def _full_vn(
    system: str, given: Path | None, paths, provinces, stats, t: str
) -> tuple[Path, dict | None]:
    """The whole-slice vnsearch index of ``system``: given, built before, or built now."""
    if given:  # its build's figures when `bench backends` built it
        return Path(given), _build_figures(Path(given), 0)
    out = work_dir() / f"{system}-{t}"
    done = out / "bench-build.json"
    if done.exists():
        return out, json.loads(done.read_text("utf-8"))
    fig = build(system, paths, out, provinces, stats["text_mb"], stats["articles"])
    done.write_text(json.dumps(fig), "utf-8")
    return out, fig


def _plain_full(system: str, paths, out: Path, provinces, stats: dict, reuse: bool) -> dict:
    """A plain engine's whole-slice index: built now, or (``reuse``) one built before
    by this command on the same articles, with the figures of that build."""
    done = out / "bench-build.json"
    if reuse and done.exists():
        fig = json.loads(done.read_text("utf-8"))
        if fig.get("articles") == stats["articles"]:
            print(f"  reusing {out} (built {fig.get('built', '?')})", flush=True)
            return fig
    fig = build(system, paths, out, provinces, stats["text_mb"], stats["articles"])
    done.write_text(json.dumps({**fig, "built": common.machine()["date"]}), "utf-8")
    return fig


def _wait_for_writers(index: Path) -> bool:
    """Return once no ``vnsearch index`` run holds the index's write lock (True: one did)."""
    from search.index import LOCK_FILE, write_lock

    if (index / LOCK_FILE).exists():
        t0 = time.time()
        with write_lock(index, timeout=4 * 3600):
            pass
        if time.time() - t0 > 1:
            print(f"  waited {time.time() - t0:.0f} s for `vnsearch index` on {index}", flush=True)
            return True
    return False


def _build_figures(index: Path, wait_s: float) -> dict | None:
    """The figures a build by ``bench backends`` left in ``index`` (waiting ``wait_s`` for them:
    they are written just after its ``vnsearch index`` ends)."""
    done = index / "bench-build.json"
    deadline = time.time() + wait_s
    while not done.exists() and time.time() < deadline:
        time.sleep(1)
    return json.loads(done.read_text("utf-8")) if done.exists() else None


def _close(engine) -> None:
    (getattr(engine, "close_all", None) or engine.close)()


def bench_backends(
    size: str = "20k",
    limit: int | None = None,
    n: int = 200,
    repeat: int = 3,
    seed: int = 20250,
    ingest_limit: int = 2000,
    whoosh_index: Path | None = None,
    xapian_index: Path | None = None,
    serve_seconds: float = 20,
    clients: int = 4,
    profile_queries: int = 10,
    reuse: bool = False,
) -> dict:
    """Every figure of every system (module docstring); writes backends-TAG.json."""
    from bench.plain import FACETS, Plain, export_provinces
    from bench.queries import make_queries
    from search.engine import open_engine

    t = common.tag(size, limit)
    name = f"backends-{t}"
    common.started(name)
    work = work_dir()
    work.mkdir(parents=True, exist_ok=True)
    paths = common.corpus_paths(size, limit)
    stats = corpus_stats(paths)
    sub_n = min(ingest_limit, stats["articles"])
    sub_paths = common.corpus_paths(size, sub_n) if sub_n < stats["articles"] else paths
    sub_stats = corpus_stats(sub_paths) if sub_paths != paths else stats
    print(f"backends {t}: {stats}; ingest subset {sub_stats['articles']} articles", flush=True)

    provinces = work / f"provinces-{t}.json"
    full: dict[str, dict | None] = {}
    dirs: dict[str, Path] = {}
    for system, given in (("vn-whoosh", whoosh_index), ("vn-xapian", xapian_index)):
        dirs[system], full[system] = _full_vn(system, given, paths, provinces, stats, t)
    if not provinces.exists():  # the plain engines get the provinces vnsearch extracted
        export_provinces(dirs["vn-whoosh"], provinces)

    ingest: dict[str, dict] = {}
    for system in ("vn-whoosh", "vn-xapian", *PLAIN):
        ingest[system] = build(
            system,
            sub_paths,
            work / f"ingest-{system}-{common.tag(size, sub_n)}",
            provinces,
            sub_stats["text_mb"],
            sub_stats["articles"],
        )
    for system in PLAIN:
        if sub_paths == paths:
            full[system], dirs[system] = (
                ingest[system],
                work / f"ingest-{system}-{common.tag(size, sub_n)}",
            )
        else:
            dirs[system] = work / f"{system}-{t}"
            full[system] = _plain_full(system, paths, dirs[system], provinces, stats, reuse)
    for system in ("vn-whoosh", "vn-xapian"):  # a given index may still be being built
        if _wait_for_writers(dirs[system]) and full[system] is None:
            full[system] = _build_figures(dirs[system], 120)
    dirs["vn-xapian-2shards"] = reshard(
        dirs["vn-xapian"], work / f"vn-xapian-{SHARDS}shards-{t}", SHARDS
    )
    sizes = {s: index_size(dirs[s]) for s in (*VN, *PLAIN)}

    # tantivy doing the same work as vnsearch's page (bench/samework.py): its
    # index of the articles vnsearch stored, and the words vnsearch understood.
    dirs[SAME] = work / f"{SAME}-{t}"
    stamp = dirs[SAME] / "bench-build.json"
    if not stamp.exists():
        samework.build(dirs["vn-xapian"], dirs[SAME])
    full[SAME] = json.loads(stamp.read_text("utf-8"))
    sizes[SAME] = index_size(dirs[SAME])

    engines = {s: open_engine(dirs[s]) for s in ("vn-whoosh", "vn-xapian")}
    engines[NOCACHE] = open_engine(dirs["vn-whoosh"], postings_cache_mb=0)
    queries = make_queries(size, limit, n, seed, engines["vn-whoosh"])
    # The seeded set is the same whatever its length: the next ones are other queries.
    others = make_queries(size, limit, n + OTHERS, seed, engines["vn-whoosh"])[n:]
    words = {
        (q["q"], q["province"]): samework.folded_words(
            engines["vn-xapian"].search(q["q"], province=q["province"], per_page=10).words
        )
        for q in queries
    }
    plain = {s: Plain(s, dirs[s]) for s in PLAIN}
    same = samework.SameWork(dirs[SAME])
    with ShardServers(dirs["vn-xapian-2shards"]) as servers:
        engines["vn-xapian-2shards"] = open_engine(
            dirs["vn-xapian-2shards"], shard_urls=servers.urls
        )
        systems = {s: _vn(engines[s]) for s in (*VN, NOCACHE)}
        systems.update({s: p.search for s, p in plain.items()})
        systems[SAME] = lambda q, province: same.search(words[(q, province)], province)
        timed = time_queries(systems, queries, repeat, servers)
        slow = sorted(range(len(queries)), key=lambda i: -timed["wall"]["vn-xapian"][i])
        picked = [queries[i] for i in slow[:profile_queries]]
        profiles = {s: profile(s, systems[s], picked, work / f"profile-{s}-{t}.txt") for s in VN}
        _close(engines.pop("vn-xapian-2shards"))
    for e in engines.values():
        _close(e)
    sight = first_sight(dirs["vn-whoosh"], queries, others)
    print(f"  vn-whoosh first sight: {sight}", flush=True)
    committed = after_commit(dirs["vn-whoosh"], queries, others, work / f"vn-whoosh-commit-{t}")
    print(f"  vn-whoosh after a commit: {committed}", flush=True)
    sizes[NOCACHE] = sizes["vn-whoosh"]
    for p in plain.values():
        p.close()
    check = parity(queries, timed["answers"])
    print(
        f"  parity: {check['total_mismatches']} total mismatches, "
        f"{check['facet_mismatches']} facet mismatches over {len(queries)} queries",
        flush=True,
    )

    per_system = {}
    for s in (*VN, NOCACHE, *PLAIN, SAME):
        lat = common.summary_ms(timed["wall"][s])
        cpu = common.summary_ms(timed["cpu"][s])
        fig = {
            "ingest_subset": ingest.get(s),
            "ingest_full": full.get(s),
            **sizes[s],
            "index_over_text": round(sizes[s]["index_mb"] / stats["text_mb"], 3),
            "query_wall_ms": lat,
            "query_cpu_ms": cpu,
            "facets": FACETS.get(
                s, "all six (ValueCountMatchSpy / Whoosh columns), timeline, snippets, suggestion"
            ),
            "serve": None,
        }
        if s == "vn-xapian":
            fig["sizes"] = xapian_sizes(
                dirs[s], work / f"vn-xapian-compacted-{t}", stats["text_mb"]
            )
            print(f"  vn-xapian sizes: {fig['sizes']}", flush=True)
        if s == SAME:
            fig["ingest_subset"] = None
            fig["ingest_full"] = {
                "note": "built from the articles stored in vn-xapian (not from the corpus)",
                **(full[SAME] or {}),
            }
        if s == "vn-whoosh":
            fig["first_sight"] = sight
            fig["after_commit"] = committed
        if s == NOCACHE:
            fig["ingest_subset"] = "as vn-whoosh (the same index)"
        if s == "vn-xapian-2shards":
            fig["server_cpu_ms_per_query_mean"] = round(timed["server_cpu_s_per_query"] * 1000, 2)
            fig["ingest_subset"] = "as vn-xapian (the same documents, placed into shards)"
        per_system[s] = fig

    figures = {
        "corpus": stats,
        "ingest_corpus": sub_stats,
        "systems": per_system,
        "parity": check,
        "profile_top_tottime": profiles,
    }
    figures["targets"], figures["before"] = _targets(per_system, t, sub_n, check, n, seed)
    params = {
        "size": size,
        "limit": limit,
        "queries": len(queries),
        "repeat": repeat,
        "warmup_runs": 1,
        "seed": seed,
        "per_page": 10,
        "ingest_limit": sub_n,
        "indexes": {s: str(d) for s, d in dirs.items()},
        "given": {"vn-whoosh": bool(whoosh_index), "vn-xapian": bool(xapian_index)},
        "serve": {"seconds": serve_seconds, "clients": clients},
        "versions": {k: common._pkg(k) for k in ("tantivy", "xapian-bindings-binary", "Whoosh")},
        "sqlite": sqlite3.sqlite_version,
        "xapian_tcpsrv": shutil.which("xapian-tcpsrv"),
    }
    started = dict(common._STARTED.get(name) or {})
    common.write_result(name, params, figures)  # kept if a server below fails
    if serve_seconds > 0:
        for s in VN:
            per_system[s]["serve"] = _serve(s, dirs[s], queries, serve_seconds, clients)
            print(f"  serve {s}: {per_system[s]['serve']}", flush=True)
        common._STARTED[name] = started
        common.write_result(name, params, figures)
    print(table(figures, sub_n, stats["articles"]), flush=True)
    return figures


def _serve(system: str, index: Path, queries: list[dict], seconds: float, clients: int) -> dict:
    """``serve_rps`` of one system; an error is recorded, not raised."""
    try:
        if system != "vn-xapian-2shards":
            return serve_rps(index, queries, seconds, clients)
        if not serve_accepts("--shard-url"):
            return {"error": "vnsearch serve has no --shard-url"}
        with ShardServers(index) as servers:
            extra = [a for u in servers.urls for a in ("--shard-url", u)]
            return serve_rps(index, queries, seconds, clients, extra)
    except (OSError, RuntimeError, subprocess.SubprocessError, HTTPException) as e:
        return {"error": f"{type(e).__name__}: {e}"}


def _ratio(a, b) -> float:
    return a / b if b else float("nan")


def _targets(fig: dict, t: str, sub_n: int, check: dict, n: int, seed: int) -> tuple[dict, dict]:
    """Issue 13's targets, and the Whoosh backend against the results measured before."""
    x, tv, wh = fig["vn-xapian"], fig["tantivy"], fig["whoosh"]
    targets = {
        "xapian_p95_vs_tantivy_facets": common.verdict(
            _ratio(x["query_wall_ms"]["p95_ms"], tv["query_wall_ms"]["p95_ms"]), "<=", 3
        ),
        "xapian_2shards_p95_vs_tantivy_facets": common.verdict(
            _ratio(
                fig["vn-xapian-2shards"]["query_wall_ms"]["p95_ms"], tv["query_wall_ms"]["p95_ms"]
            ),
            "<=",
            3,
        ),
        "xapian_ingest_vs_plain_whoosh": common.verdict(
            _ratio(x["ingest_subset"]["articles_per_s"], wh["ingest_subset"]["articles_per_s"]),
            ">=",
            3,
        ),
        "xapian_p95_vs_tantivy_same_work": common.verdict(
            _ratio(x["query_wall_ms"]["p95_ms"], fig[SAME]["query_wall_ms"]["p95_ms"]), "<=", 3
        ),
        "xapian_cpu_p95_vs_tantivy_facets": common.verdict(
            _ratio(x["query_cpu_ms"]["p95_ms"], tv["query_cpu_ms"]["p95_ms"]), "<=", 3
        ),
        "xapian_index_over_text": common.verdict(x["index_over_text"], "<=", 1.5),
        "parity_total_mismatches": common.verdict(check["total_mismatches"], "<=", 0),
    }
    before: dict = {}
    vw = fig["vn-whoosh"]
    q = common.load_result(f"queries-{t}")
    if q:
        same = q["params"].get("seed") == seed and n <= q["params"].get("queries", 0)
        before["queries"] = {
            "file": f"queries-{t}.json",
            "date": q["machine"]["date"],
            "vnsearch": q["latency"]["vnsearch"],
            "query_set": f"the first {n} of the same set" if same else "another set",
        }
        targets["whoosh_p95_not_slower"] = common.verdict(
            _ratio(vw["query_wall_ms"]["p95_ms"], q["latency"]["vnsearch"]["p95_ms"]), "<=", 1.0
        )
        # The same comparison without the machine's drift between the two days:
        # each run's p95 over plain Whoosh's p95 in that same run (both the
        # MultifieldParser baseline of bench.plain and bench.queries).
        then = q.get("ratio_p95_vs_baseline")
        if then:
            now = _ratio(vw["query_wall_ms"]["p95_ms"], wh["query_wall_ms"]["p95_ms"])
            before["queries"]["p95_over_plain_whoosh"] = then
            before["queries"]["p95_over_plain_whoosh_now"] = round(now, 3)
            targets["whoosh_p95_over_plain_whoosh_not_higher"] = common.verdict(
                _ratio(now, then), "<=", 1.0
            )
            # The same for a query met once, and without the cache of common terms.
            for key, p95 in (
                ("first_sight", vw.get("first_sight", {}).get("query_wall_ms", {}).get("p95_ms")),
                ("no_cache", fig.get(NOCACHE, {}).get("query_wall_ms", {}).get("p95_ms")),
            ):
                if p95 is not None:
                    ratio = _ratio(p95, wh["query_wall_ms"]["p95_ms"])
                    before["queries"][f"p95_over_plain_whoosh_{key}"] = round(ratio, 3)
                    targets[f"whoosh_{key}_p95_over_plain_whoosh_not_higher"] = common.verdict(
                        _ratio(ratio, then), "<=", 1.0
                    )
    i = common.load_result(f"ingest-{common.tag(t.split('-')[0], sub_n)}")
    if i and "baseline" in i:
        now = _ratio(vw["ingest_subset"]["articles_per_s"], wh["ingest_subset"]["articles_per_s"])
        before["ingest_subset"] = {
            "date": i["machine"]["date"],
            "vnsearch_articles_per_s": i["vnsearch"]["articles_per_s"],
            "plain_whoosh_articles_per_s": i["baseline"]["articles_per_s"],
            "ratio": i["ratio_throughput_vs_baseline"],
            "ratio_now": round(now, 3),
            "peak_tree_rss_mb": i["vnsearch"]["peak_tree_rss_mb"],
        }
        targets["whoosh_ingest_vs_plain_not_lower"] = common.verdict(
            _ratio(now, i["ratio_throughput_vs_baseline"]), ">=", 1.0
        )
        targets["whoosh_ingest_memory_not_higher"] = common.verdict(
            _ratio(vw["ingest_subset"]["peak_tree_rss_mb"], i["vnsearch"]["peak_tree_rss_mb"]),
            "<=",
            1.0,
        )
    f = common.load_result(f"ingest-{t}")
    if f:
        before["index_over_text"] = f["vnsearch"]["index_over_text"]
        targets["whoosh_index_not_larger"] = common.verdict(
            _ratio(vw["index_over_text"], f["vnsearch"]["index_over_text"]), "<=", 1.0
        )
    return targets, before


def table(figures: dict, sub_n: int, full_n: int) -> str:
    """The markdown table of the README."""
    k = f"{full_n // 1000}k" if full_n >= 1000 else str(full_n)
    head = (
        f"| system | ingest art/s ({sub_n:,}) | ingest art/s ({k}) | peak RSS MB, largest "
        f"process / tree ({sub_n:,}) | index / text ({k}) | query p50 / p95 ms | CPU p50 / "
        "p95 ms | facets | serve req/s |\n|---|---|---|---|---|---|---|---|---|"
    )
    rows = [head]
    for s, f in figures["systems"].items():
        sub, full = f["ingest_subset"], f["ingest_full"]
        sub = sub if isinstance(sub, dict) else None
        cpu = f"{f['query_cpu_ms']['p50_ms']} / {f['query_cpu_ms']['p95_ms']}"
        if f.get("server_cpu_ms_per_query_mean") is not None:
            cpu += f" (+{f['server_cpu_ms_per_query_mean']} servers, mean)"
        facets = (
            "province" if s in ("tantivy", "sqlite") else ("none" if s == "whoosh" else "all 6")
        )
        if s == SAME:
            facets = "all 6, month, snippets"
        rows.append(
            " | ".join(
                [
                    f"| {s}",
                    str(sub["articles_per_s"])
                    if sub
                    else ("(as vn-xapian)" if s == "vn-xapian-2shards" else "—"),
                    str(full["articles_per_s"]) if full and "articles_per_s" in full else "—",
                    f"{sub['maxrss_mb']:.0f} / {sub['peak_tree_rss_mb']:.0f}" if sub else "—",
                    f"{f['index_over_text']:.2f}",
                    f"{f['query_wall_ms']['p50_ms']} / {f['query_wall_ms']['p95_ms']}",
                    cpu,
                    facets,
                    str(f["serve"]["requests_per_s"])
                    if f.get("serve") and "requests_per_s" in f["serve"]
                    else "—",
                ]
            )
            + " |"
        )
    p = figures["parity"]
    rows.append(
        f"\nParity: {p['total_mismatches']} total and {p['facet_mismatches']} facet "
        f"mismatches over {p['queries']} queries ({', '.join(p['systems'])})."
    )
    for key, v in figures["targets"].items():
        rows.append(
            f"- {key}: {v['value']} (target {v['target']}): {'met' if v['met'] else 'MISSED'}"
        )
    return "\n".join(rows)
