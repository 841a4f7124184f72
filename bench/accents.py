"""Accent restoration benchmark: index vocabulary, general model and both, against pyvi.

Test sentences come from text that built neither model:

* **in domain**: sentences of the held-out slice of local-news-20k (its last
  2,000 articles), restored with an index vocabulary of the first
  ``--index-articles`` articles of local-news-20k (by default all 18,000
  outside the held-out slice; 5,000 makes a shorter run);
* **out of domain**: sentences of the held-out slice of general-news-80k (its
  last 5,000 articles, which ``tools/build_lm.py`` leaves out of the shipped
  general model), restored with the same index.

Each held-out slice is cut in two: sentences of the first half (``--dev``) were
used to choose ``index_weight``; the reported figures are of the second half.
One sentence of 6 to 40 syllables is drawn per article (fixed seed), and a
sentence that occurs verbatim in text used to build either model (a
near-duplicate article) is dropped. Sentences are typed without diacritics
(``fold``: every mark removed, ``đ`` -> ``d``, case and punctuation kept).

Restorers: as typed, pyvi's ``ViUtils.add_accents``, the index alone, the
general model alone and the two interpolated (the default suggester). Score:
syllables right (canonical form) over all syllables, and sentences entirely
right. Results go to ``bench/results/accents.json``::

    nice python bench/accents.py [--sentences 1000] [--index-articles 18000] [--dev]
    nice python bench/accents.py --index-articles 5000 --out bench/results/accents-5k.json
"""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from search.analysis import canonical, fold, has_diacritics, normalize_text, syllables  # noqa: E402
from search.lm import GENERAL_LM_PATH, LanguageModel  # noqa: E402
from search.suggest import INDEX_WEIGHT, Suggester  # noqa: E402
from search.vocab import Vocabulary  # noqa: E402

DATA = Path("/work/shared/data")
RESULTS = ROOT / "bench" / "results" / "accents.json"
LOCAL, GENERAL = "local-news-20k.jsonl.gz", "general-news-80k.jsonl.gz"
LOCAL_HOLDOUT, GENERAL_HOLDOUT = 2000, 5000  # tools/build_lm.py --holdout 5000
TARGETS = {"in_domain": 0.97, "out_of_domain": 0.95}
# Sentence ends; lines are capped before splitting (linear-time regex on any input).
_SENTENCE_RE = re.compile(r"[^.!?…\n]+[.!?…]?")
MAX_LINE = 5000


def read_jsonl(path: Path, start: int = 0, stop: int | None = None):
    """Records ``start`` to ``stop`` of a gzip JSON Lines file, read in place."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        n = -1
        for line in f:
            if not line.strip():
                continue
            n += 1
            if n < start:
                continue
            if stop is not None and n >= stop:
                return
            yield json.loads(line)


def article_text(rec: dict) -> str:
    """The prose an article contributes to a vocabulary (as tools/build_lm.py reads it)."""
    return "\n".join(str(rec.get(k) or "") for k in ("title", "lead", "body"))


def sentences(text: str) -> list[str]:
    """The sentences of an article's text."""
    out = []
    for line in normalize_text(text).splitlines():
        for m in _SENTENCE_RE.finditer(line[:MAX_LINE]):
            s = m.group(0).strip(" -–—•*\"'“”")
            if s:
                out.append(s)
    return out


def sentence_key(s: str) -> str:
    """What two copies of one sentence share (case and spacing aside)."""
    return " ".join(syllables(s.lower()))


def draw(path: Path, start: int, stop: int, limit: int, seed: int = 12) -> list[str]:
    """One Vietnamese sentence of 6 to 40 syllables per article of ``start:stop``."""
    rng = random.Random(seed)
    out = []
    for rec in read_jsonl(path, start, stop):
        pool = []
        for s in sentences(str(rec.get("body") or "")):
            syls = syllables(s)
            accented = sum(has_diacritics(x) for x in syls)
            if 6 <= len(syls) <= 40 and accented >= 0.4 * len(syls):
                pool.append(s)
        if pool:
            out.append(rng.choice(pool))
        if len(out) >= limit:
            break
    return out


def drop_seen(tests: dict[str, list[str]], sources) -> dict[str, int]:
    """Remove test sentences found verbatim in the texts of ``sources``; counts removed."""
    keys = {name: {sentence_key(s) for s in sents} for name, sents in tests.items()}
    wanted = set().union(*keys.values())
    seen = set()
    for path, start, stop in sources:
        for rec in read_jsonl(path, start, stop):
            for s in sentences(article_text(rec)):
                k = sentence_key(s)
                if k in wanted:
                    seen.add(k)
    removed = {}
    for name, sents in tests.items():
        kept = [s for s in sents if sentence_key(s) not in seen]
        removed[name] = len(sents) - len(kept)
        tests[name] = kept
    return removed


def score(restored: str, original: str) -> tuple[int, int]:
    """(right, total) syllables of ``restored`` against ``original``, aligned by folded form."""
    got = [canonical(s) for s in syllables(restored)]
    want = [canonical(s) for s in syllables(original)]
    if len(got) == len(want):
        pairs = list(zip(got, want))
    else:  # a restorer that changed tokenisation: align on the folded syllables
        sm = difflib.SequenceMatcher(
            a=[fold(g) for g in got], b=[fold(w) for w in want], autojunk=False
        )
        pairs = [
            (got[b.a + i], want[b.b + i]) for b in sm.get_matching_blocks() for i in range(b.size)
        ]
    return sum(g == w for g, w in pairs), len(want)


def evaluate(name: str, restore, sents: list[str], errors: int = 0) -> dict:
    """Accuracy and per-sentence timing of one restorer."""
    right = total = exact = 0
    times: list[float] = []
    wrong: list[dict] = []
    for s in sents:
        typed = fold(s)
        t0 = time.perf_counter()
        out = restore(typed)
        times.append(time.perf_counter() - t0)
        r, n = score(out, s)
        right, total, exact = right + r, total + n, exact + (r == n)
        if r < n and len(wrong) < errors:
            wrong.append({"sentence": s, "restored": out})
    times.sort()
    res = {
        "restorer": name,
        "syllable_accuracy": round(right / total, 4),
        "syllables": total,
        "sentences_all_right": round(exact / len(sents), 4),
        "median_ms": round(statistics.median(times) * 1000, 3),
        "p95_ms": round(times[int(0.95 * (len(times) - 1))] * 1000, 3),
    }
    print(
        f"  {name:<28} syllables {res['syllable_accuracy']:.2%}  "
        f"sentences {res['sentences_all_right']:.2%}  "
        f"median {res['median_ms']:.2f} ms  p95 {res['p95_ms']:.2f} ms",
        flush=True,
    )
    if wrong:
        res["examples_wrong"] = wrong
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--lm", type=Path, default=GENERAL_LM_PATH, help="general model file")
    ap.add_argument("--sentences", type=int, default=1000, help="test sentences per domain")
    ap.add_argument(
        "--index-articles",
        type=int,
        default=18000,
        help="local-news-20k articles in the index (at most 18,000)",
    )
    ap.add_argument("--out", type=Path, default=RESULTS, help="results file")
    ap.add_argument(
        "--index-weight",
        type=float,
        nargs="+",
        default=[INDEX_WEIGHT],
        help="interpolation weight(s) to run",
    )
    ap.add_argument(
        "--dev",
        action="store_true",
        help="score the first half of the held-out slices (for tuning); results are not written",
    )
    ap.add_argument(
        "--no-dedupe",
        action="store_true",
        help="keep test sentences that also occur in training text",
    )
    ap.add_argument("--examples", type=int, default=10, help="wrong restorations to keep")
    args = ap.parse_args()
    if not 0 < args.index_articles <= 20000 - LOCAL_HOLDOUT:
        ap.error(f"--index-articles must be 1 to {20000 - LOCAL_HOLDOUT}")

    local, general = args.data / LOCAL, args.data / GENERAL
    t0 = time.perf_counter()
    model = LanguageModel.load(args.lm)
    load_s = time.perf_counter() - t0
    g_start = model.meta["documents"]  # the model read the first articles only
    half = "dev" if args.dev else "test"
    spans = {  # (file, start, stop) of the scored half of each held-out slice
        "in_domain": (local, 20000 - LOCAL_HOLDOUT, 20000),
        "out_of_domain": (general, g_start, g_start + GENERAL_HOLDOUT),
    }
    tests = {}
    for name, (path, start, stop) in spans.items():
        mid = (start + stop) // 2
        lo, hi = (start, mid) if args.dev else (mid, stop)
        tests[name] = draw(path, lo, hi, args.sentences)
    removed = (
        {}
        if args.no_dedupe
        else drop_seen(tests, [(local, 0, args.index_articles), (general, 0, g_start)])
    )

    out: dict = {
        "scored": half,
        "lm": {
            "file": str(args.lm.relative_to(ROOT))
            if args.lm.is_relative_to(ROOT)
            else str(args.lm),
            "file_mb": round(args.lm.stat().st_size / 2**20, 1),
            "load_s": round(load_s, 3),
            "syllables": model.size()[0],
            "bigrams": model.size()[1],
            "articles": model.meta["documents"],
            "tokens": model.tokens,
            "sources": model.meta.get("sources"),
        },
        "index": {"file": LOCAL, "articles": f"first {args.index_articles}"},
        "held_out": {
            "in_domain": f"{LOCAL}: last {LOCAL_HOLDOUT} articles, {half} half",
            "out_of_domain": f"{GENERAL}: articles {g_start}-"
            f"{g_start + GENERAL_HOLDOUT}, {half} half",
        },
        "dropped_as_seen_in_training": removed,
        "targets": TARGETS,
        "domains": {},
    }

    from pyvi import ViUtils

    def pyvi_restore(text: str) -> str:
        try:
            return ViUtils.add_accents(text)
        except Exception:  # noqa: BLE001 (pyvi issue #15: KeyError and others on some inputs)
            return text

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with Vocabulary(tmp) as vocab:
            for i, rec in enumerate(read_jsonl(local, 0, args.index_articles), 1):
                vocab.add(article_text(rec))
                if i % 1000 == 0:
                    vocab.commit()
            vocab.commit()
            out["index"].update(
                build_s=round(time.perf_counter() - t0, 1), tokens=vocab.stats()["tokens"]
            )
        restorers = [
            ("as typed", None),
            ("pyvi add_accents", None),
            ("index only", Suggester(tmp, lm=None)),
            ("general model only", Suggester(tmp, lm=model, index_weight=0)),
        ]
        restorers += [
            (f"interpolated (w={w:g})", Suggester(tmp, lm=model, index_weight=w))
            for w in args.index_weight
        ]
        for domain, sents in tests.items():
            print(f"{domain}: {len(sents)} sentences", flush=True)
            runs = []
            for name, sugg in restorers:
                fn: Callable[[str], str]
                if sugg is not None:
                    fn = sugg.restore
                    fn("khoi dong")  # open the connection outside the timing
                elif name == "pyvi add_accents":
                    fn = pyvi_restore
                else:  # as typed
                    fn = str
                runs.append(evaluate(name, fn, sents, args.examples if sugg else 0))
            out["domains"][domain] = {
                "sentences": len(sents),
                "target": TARGETS[domain],
                "runs": runs,
            }
        for _, sugg in restorers:
            if sugg is not None:
                sugg.close_all()

    print(f"\n{'restorer':<28} {'in domain':>10} {'out of domain':>14}")
    for i, (name, _) in enumerate(restorers):
        accs = [out["domains"][d]["runs"][i]["syllable_accuracy"] for d in TARGETS]
        print(f"{name:<28} {accs[0]:>10.2%} {accs[1]:>14.2%}")
    print(f"{'target':<28} {TARGETS['in_domain']:>10.0%} {TARGETS['out_of_domain']:>14.0%}")
    print(f"general model: {out['lm']['file_mb']} MB, loaded in {load_s:.2f} s")
    if args.dev:
        print("dev half scored: results not written")
        return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
