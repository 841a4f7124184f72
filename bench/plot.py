"""Plots for the README from bench/results/*.json (matplotlib, Agg backend).

* ``latency-by-size.png``: p50 and p95 of ``Engine.search`` and of the plain
  Whoosh baseline against corpus size (every ``queries-*.json``: 1k, 5k, 20k, 100k);
* ``ingest-by-size.png``: articles/s and peak RSS of ``vnsearch index`` and of the
  baseline against corpus size (every ``ingest-*.json``).
"""

from __future__ import annotations

import json

from bench import common


def _series(prefix: str) -> list[dict]:
    out = []
    for p in sorted(common.RESULTS.glob(f"{prefix}-*.json")):
        doc = json.loads(p.read_text("utf-8"))
        if doc.get("benchmark", "").startswith(prefix + "-"):
            out.append(doc)
    return out


def _articles(doc: dict) -> int:
    if "articles" in doc.get("params", {}):
        return doc["params"]["articles"]
    if "corpus" in doc:
        return doc["corpus"]["articles"]
    size = {"20k": 20000, "100k": 100000}[doc["params"]["size"]]
    return doc["params"].get("limit") or size


def plot_latency(plt) -> str | None:
    docs = sorted(_series("queries"), key=_articles)
    if not docs:
        return None
    xs = [_articles(d) for d in docs]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, color in (
        ("vnsearch", "tab:blue"),
        ("baseline", "tab:gray"),
        ("baseline_vn_text", "tab:green"),
    ):
        pts = [(x, d["latency"][name]) for x, d in zip(xs, docs) if name in d["latency"]]
        if not pts:
            continue
        label = {
            "vnsearch": "Engine.search (facets, snippets, suggestion)",
            "baseline": "plain Whoosh BM25, 10 ids",
            "baseline_vn_text": "Whoosh on vnsearch text field, 10 ids",
        }[name]
        ax.plot(
            [p[0] for p in pts],
            [p[1]["p95_ms"] for p in pts],
            "o-",
            color=color,
            label=f"{label}: p95",
        )
        ax.plot(
            [p[0] for p in pts],
            [p[1]["p50_ms"] for p in pts],
            "o--",
            color=color,
            alpha=0.6,
            label=f"{label}: p50",
        )
    ax.axhline(150, color="tab:red", lw=0.8, ls=":", label="target p95 at 20k (150 ms)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("articles in the index")
    ax.set_ylabel("latency per query (ms)")
    m = docs[-1]["machine"]
    ax.set_title(f"Query latency against corpus size ({m['nproc']} cores, {m['cpu']})", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(True, which="both", alpha=0.3)
    out = common.RESULTS / "latency-by-size.png"
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)


def plot_ingest(plt) -> str | None:
    docs = sorted(_series("ingest"), key=_articles)
    if not docs:
        return None
    xs = [_articles(d) for d in docs]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for name, color in (("vnsearch", "tab:blue"), ("baseline", "tab:gray")):
        pts = [(x, d[name]) for x, d in zip(xs, docs) if name in d]
        a1.plot(
            [p[0] for p in pts],
            [p[1]["articles_per_s"] for p in pts],
            "o-",
            color=color,
            label=name,
        )
        a2.plot(
            [p[0] for p in pts],
            [p[1]["peak_tree_rss_mb"] for p in pts],
            "o-",
            color=color,
            label=f"{name} (process tree RSS)",
        )
    a2.axhline(1024, color="tab:red", lw=0.8, ls=":", label="target 1 GB")
    for ax, label in ((a1, "articles/s (end to end)"), (a2, "peak RSS (MB)")):
        ax.set_xscale("log")
        ax.set_xlabel("articles")
        ax.set_ylabel(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("vnsearch index against plain Whoosh (StandardAnalyzer)", fontsize=10)
    out = common.RESULTS / "ingest-by-size.png"
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return str(out)


def plot_all() -> list[str]:
    """Write every plot whose results exist; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = [p for p in (plot_latency(plt), plot_ingest(plt)) if p]
    for p in written:
        print(f"wrote {p}", flush=True)
    return written
