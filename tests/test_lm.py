"""The general syllable model (search.lm, tools/build_lm.py) and its use by the suggester."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import time
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from search import lm
from search.lm import LanguageModel, LMBuilder
from search.suggest import Suggester
from search.vocab import BOS, EOS, Vocabulary, count

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "tools" / "build_lm.py"

# Three articles about something else entirely: none of them says "Bộ trưởng",
# "Y tế", "thời tiết" or "hôm nay".
COOKING = [
    "Món canh chua cá lóc nấu với me, cà chua, dứa và giá đỗ.",
    "Phở bò cần xương ống ninh lâu, quế, hồi, gừng nướng và hành.",
    "Bánh xèo đổ bằng bột gạo pha nghệ, nhân tôm, thịt ba chỉ.",
]


@pytest.fixture(scope="module")
def model() -> LanguageModel:
    general = lm.general()
    assert general is not None, "the general language model ships with vnsearch"
    return general


@pytest.fixture
def cooking_index(tmp_path):
    with Vocabulary(tmp_path) as vocab:
        for text in COOKING:
            vocab.add(text)
    return tmp_path


def test_shipped_with_the_package():
    path = resources.files("search") / "data" / "general_lm.npz"
    assert path.is_file()
    assert Path(str(path)).resolve() == lm.GENERAL_LM_PATH
    assert lm.GENERAL_LM_PATH.stat().st_size < 40 * 2**20  # a few tens of MB at most


def test_loads_quickly_and_once(model: LanguageModel):
    t0 = time.perf_counter()
    fresh = LanguageModel.load(lm.GENERAL_LM_PATH)
    elapsed = time.perf_counter() - t0
    assert elapsed < 3.0  # about 0.3 s unloaded; generous for a busy machine
    assert fresh.size() == model.size()
    assert lm.general() is model  # the suggester does not pay it per query
    syls, pairs = model.size()
    assert syls > 10_000 and pairs > 500_000
    assert model.meta["sources"][0]["file"] == "general-news-80k.jsonl.gz"
    assert model.meta["sources"][0]["held_out"] == "last 5000"


@pytest.mark.parametrize(
    "a, frequent, rare",
    [
        ("cán", "bộ", "bỏ"),
        ("bộ", "trưởng", "trương"),
        ("thời", "tiết", "tiệt"),
        ("hôm", "nay", "này"),
        ("y", "tế", "tê"),
        (BOS, "theo", "thèo"),
        ("năm", "<num>", "nấm"),
    ],
)
def test_frequent_pair_beats_rare_one(model, a, frequent, rare):
    assert model.prob(a, frequent) > 10 * model.prob(a, rare)
    assert model.bigram(model.ids[a], model.ids[frequent]) > 100


def test_probabilities_are_a_distribution(model):
    # P(. | "cán") over every syllable sums to one (Witten-Bell keeps the mass).
    a = model.ids["cán"]
    n, t = int(model.n[a]), int(model.t[a])
    pseudo, total = 0.5, model.tokens + 0.5 * len(model.syllables)
    uni = (model.n.astype(np.float64) + pseudo) / total
    lo, hi = int(model.indptr[a]), int(model.indptr[a + 1])
    seen = np.zeros(len(model.syllables))
    seen[model.succ[lo:hi]] = model.count[lo:hi]
    probs = (seen + t * uni) / (n + t)
    # Pruned pairs and the BOS/EOS/unigram bookkeeping leave a little mass out.
    assert 0.9 < probs.sum() <= 1.01


def test_unseen_pair_falls_back_to_unigram(model):
    assert model.bigram(model.ids["thời"], model.ids.get("xyz", 0)) == 0
    assert model.prob("xyzzyq", "bộ") == pytest.approx(
        (int(model.n[model.ids["bộ"]]) + 0.5) / (model.tokens + 0.5 * len(model.syllables))
    )


@pytest.mark.parametrize(
    "typed, restored",
    [
        ("Bo truong Bo Y te", "Bộ trưởng Bộ Y tế"),
        ("thoi tiet hom nay", "thời tiết hôm nay"),
        ("canh chua ca loc", "canh chua cá lóc"),
        ("Bo truong Bo Y te noi ve pho bo", "Bộ trưởng Bộ Y tế nói về phở bò"),
    ],
)
def test_interpolation_restores_words_absent_from_the_index(cooking_index, typed, restored):
    s = Suggester(cooking_index)
    try:
        assert s.restore(typed) == restored
        assert s.lm is lm.general()  # one model per process, shared by every suggester
    finally:
        s.close_all()


def test_index_alone_cannot(cooking_index):
    s = Suggester(cooking_index, lm=None)
    try:
        # Only "bò" (of "phở bò") folds to "bo" in this index.
        assert s.restore("Bo truong Bo Y te") == "Bò truong Bò Y te"
        assert s.restore("canh chua ca loc") == "canh chua cá lóc"
    finally:
        s.close_all()


def test_index_it_knows_well_outweighs_the_model(tmp_path, model):
    # A local name the general model reads otherwise: the index says it often.
    with Vocabulary(tmp_path) as vocab:
        for _ in range(400):
            vocab.add("Xã Tà Xùa tổ chức lễ hội. Về Tà Xùa săn mây.")
    s = Suggester(tmp_path)
    try:
        assert s.restore("ve ta xua san may") == "về tà xùa săn mây"
        # pair_count stays the index's own count.
        assert s.pair_count("ta", "xua") == 800
    finally:
        s.close_all()


def test_no_index_no_restoration(tmp_path):
    # Suggestions speak for the index: without one nothing is restored.
    s = Suggester(tmp_path / "none")
    assert s.restore("thoi tiet hom nay") == "thoi tiet hom nay"
    s.close()


def test_bad_weight_rejected(tmp_path):
    with pytest.raises(ValueError):
        Suggester(tmp_path, index_weight=-1)


# --- building ------------------------------------------------------------------

ARTICLES = [
    {"id": "1", "title": "Cán bộ cấp xã", "body": "Cán bộ cấp xã họp. Cán bộ cấp xã về."},
    {"id": "2", "title": "Thời tiết", "body": "Thời tiết hôm nay đẹp, năm 2024 mưa ít."},
    {"id": "3", "title": "Cán bộ", "body": "Thời tiết hôm nay xấu."},
    {"id": "4", "title": "Giữ lại", "body": "Quỳnh Lưu xảo quyệt kỳ lạ."},  # held out
]


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "tiny.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for rec in ARTICLES:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n\n")
    return path


def run_build(*args):
    return subprocess.run(
        [sys.executable, str(BUILD), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def expected_counts(records):
    uni: Counter[str] = Counter()
    bi: Counter[tuple[str, str]] = Counter()
    for rec in records:
        u, b = count(f"{rec['title']}\n\n{rec['body']}")
        uni.update(u)
        bi.update(b)
    return uni, bi


def test_build_script_counts_all_but_the_held_out(tmp_path, corpus):
    out = tmp_path / "lm.npz"
    proc = run_build(corpus, "--holdout", 1, "--min-unigram", 1, "--min-bigram", 1, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "3 articles" in proc.stdout
    m = LanguageModel.load(out)
    uni, bi = expected_counts(ARTICLES[:3])
    assert set(m.syllables) == set(uni)
    assert "quỳnh" not in m.ids  # the held-out article
    assert m.meta["sources"] == [
        {"file": "tiny.jsonl.gz", "articles": 4, "used": "first 3", "held_out": "last 1"}
    ]
    assert {s: int(m.n[m.ids[s]]) for s in m.syllables} == dict(uni)
    got = {}
    for a in range(len(m.syllables)):
        for k in range(int(m.indptr[a]), int(m.indptr[a + 1])):
            got[(m.syllables[a], m.syllables[int(m.succ[k])])] = int(m.count[k])
    assert got == dict(bi)
    # t: distinct successors, as Witten-Bell needs.
    assert int(m.t[m.ids["cán"]]) == 1 and int(m.t[m.ids[BOS]]) == len(
        {b for a, b in bi if a == BOS}
    )
    assert m.tokens == sum(v for k, v in uni.items() if k not in (BOS, EOS))
    assert m.prob("cán", "bộ") > m.prob("cán", "cấp")
    assert m.readings("can") == (m.ids["cán"],)


def test_build_script_prunes(tmp_path, corpus):
    out = tmp_path / "lm.npz"
    proc = run_build(corpus, "--holdout", 0, "--min-unigram", 2, "--min-bigram", 2, "--out", out)
    assert proc.returncode == 0, proc.stderr
    m = LanguageModel.load(out)
    assert "quỳnh" not in m.ids and "họp" not in m.ids  # seen once
    assert m.bigram(m.ids["cán"], m.ids["bộ"]) == 4
    assert m.bigram(m.ids["hôm"], m.ids["nay"]) == 2
    pairs = {
        (m.syllables[a], m.syllables[int(m.succ[k])])
        for a in range(len(m.syllables))
        for k in range(int(m.indptr[a]), int(m.indptr[a + 1]))
    }
    assert ("nay", "đẹp") not in pairs  # seen once
    # Witten-Bell still counts the pruned successors.
    assert int(m.t[m.ids["nay"]]) == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["missing.jsonl.gz"], "no such file"),
        (["{corpus}", "--min-bigram", "0"], "thresholds"),
    ],
)
def test_build_script_bad_input(tmp_path, corpus, args, message):
    args = [a.format(corpus=corpus) for a in args]
    proc = run_build(*args, "--out", tmp_path / "lm.npz")
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "lm.npz").exists()


def test_build_script_unreadable_corpus(tmp_path):
    bad = tmp_path / "bad.jsonl.gz"
    bad.write_bytes(b"not gzip at all")
    proc = run_build(bad, "--out", tmp_path / "lm.npz")
    assert proc.returncode == 2
    assert "cannot read the corpus" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "content",
    [
        b"garbage",
        lm.GENERAL_LM_PATH.read_bytes()[:100_000],  # truncated copy
    ],
)
def test_load_rejects_other_files(tmp_path, content):
    bad = tmp_path / "x.npz"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match="not a language model"):
        LanguageModel.load(bad)


def test_load_rejects_other_formats(tmp_path):
    b = LMBuilder()
    b.add(count("Cán bộ cấp xã."))
    m = b.model(1, 1)
    m.meta["format"] = 99
    path = tmp_path / "m.npz"
    blob = np.frombuffer("\n".join(m.syllables).encode(), dtype=np.uint8)
    np.savez(
        path,
        syllables=blob,
        n=m.n,
        t=m.t,
        indptr=m.indptr,
        succ=m.succ,
        count=m.count,
        meta=np.frombuffer(json.dumps(m.meta).encode(), dtype=np.uint8),
    )
    with pytest.raises(ValueError, match="format 99"):
        LanguageModel.load(path)


def test_builder_round_trip(tmp_path):
    b = LMBuilder()
    for rec in ARTICLES:
        b.add(count(rec["body"]))
    m = b.model(1, 1, meta={"note": "x"})
    m.save(tmp_path / "m.npz")
    again = LanguageModel.load(tmp_path / "m.npz")
    assert again.syllables == m.syllables and again.meta["note"] == "x"
    for name in ("n", "t", "indptr", "succ", "count"):
        assert np.array_equal(getattr(again, name), getattr(m, name))
    assert not list(tmp_path.glob("*.tmp"))
