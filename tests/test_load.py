"""A bounded loopback load test: `vnsearch serve` answers while `vnsearch index` commits.

Four client threads send varied searches (accented, unaccented, phrases, filters,
pages, JSON, Atom, article pages) for 60 s (or until a request budget is spent) to
a real waitress server on 127.0.0.1, while `vnsearch index --batch-size 20` keeps
adding articles to the same index. Every request must succeed (200) and every
JSON answer must be consistent; the figures go to bench/results/load_test.json.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from server_helpers import HOST, Server

from search.engine import Engine
from search.ingest import index_paths

ROOT = Path(__file__).resolve().parent.parent
# Figures go to a temporary file; VNSEARCH_LOAD_RESULTS names another (the
# benchmark's bench/results/load_test.json). Tests never write tracked files.
RESULTS = Path(
    os.environ.get("VNSEARCH_LOAD_RESULTS")
    or Path(tempfile.gettempdir()) / "vnsearch-load_test.json"
)
SECONDS = float(os.environ.get("VNSEARCH_LOAD_SECONDS", "60"))
MAX_REQUESTS = 50_000
CLIENTS = 4
BATCH = 20
INITIAL = 300
PER_RUN = 200  # articles per `vnsearch index` run; runs follow each other until time is up
CODE = "zqload"  # in every generated article: its count only grows

PROVINCES = [
    ("Điện Biên", "Điện Biên"),
    ("Lạng Sơn", "Lạng Sơn"),
    ("Bắc Kạn", "Thái Nguyên"),
    ("Hà Giang", "Tuyên Quang"),
    ("Thái Nguyên", "Thái Nguyên"),
]
TOPICS = ["Tổ chức cán bộ", "Cải cách hành chính", "Kinh tế", "Văn hóa – xã hội", "Giảm nghèo"]
SENTENCES = [
    "Cán bộ cấp xã được bồi dưỡng nghiệp vụ theo Quyết định số 70/2009/QĐ-TTg.",
    "Ủy ban nhân dân xã tổ chức hội nghị hoà giải ở cơ sở.",
    "Công trình thủy lợi nội đồng phục vụ tưới tiêu cho bà con.",
    "Đẩy mạnh cải cách hành chính, nâng cao hiệu quả phục vụ người dân.",
    "Đại hội Đảng bộ xã nhiệm kỳ mới diễn ra thành công tốt đẹp.",
    "Chương trình giảm nghèo bền vững hỗ trợ hộ nghèo ở bản vùng cao.",
]
QUERIES = [
    "cán bộ",
    "can bo",
    "cán bộ cấp xã",
    "can bo cap xa",
    "hoà giải",
    "hòa giải",
    "hoa giai",
    '"cải cách hành chính"',
    "thủy lợi",
    "thuy loi",
    "70/2009/QĐ-TTg",
    "70/2009/QD-TTG",
    "đại hội -xuân",
    '"hoà giải" OR "thủy lợi"',
    "nâng cao hiệu quả phục vụ người dân ở bản vùng cao và các xã",
    CODE,
    "",
    "<script>alert(1)</script>",
    "title:(",
]


def article(i: int, rng: random.Random) -> dict:
    province, province_2025 = rng.choice(PROVINCES)
    body = " ".join(rng.choice(SENTENCES) for _ in range(6))
    return {
        "id": f"load/{i:05d}",
        "title": f"Tin địa phương số {i}: {rng.choice(SENTENCES)}",
        # the unique code first: articles alike at the start are merged as republished
        "body": f"Mã {CODE} {CODE}{i:05d}. {body}",
        "province": province,
        "province_2025": province_2025,
        "topics": [rng.choice(TOPICS)],
        "date": (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(2000))).isoformat(),
    }


def write_corpus(path: Path, first: int, n: int, seed: int) -> Path:
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(
            json.dumps(article(i, rng), ensure_ascii=False) + "\n" for i in range(first, first + n)
        )
    return path


def urls(rng: random.Random, article_ids: list[str]) -> list[str]:
    """A shuffled mix of what visitors and robots ask."""
    out = []
    for q in QUERIES:
        out += [
            f"/search?{urlencode({'q': q})}",
            f"/api/search?{urlencode({'q': q, 'collapse': 0})}",
        ]
    for province, _ in PROVINCES:
        out.append(f"/search?{urlencode({'q': 'can bo', 'province': province})}")
    for topic in TOPICS:
        out.append(f"/api/search?{urlencode({'q': 'xã', 'topic': topic, 'sort': 'date'})}")
    # collapse=0: pages of articles (the generated corpus is mostly copies of a
    # few texts, which would fold into a few stories).
    out += [
        f"/api/search?{urlencode({'q': CODE, 'per_page': 20, 'page': p, 'collapse': 0})}"
        for p in (1, 2, 5)
    ]
    out += [f"/search?{urlencode({'q': 'cán bộ', 'year': y})}" for y in (2021, 2023)]
    out += [
        f"/search?{urlencode({'q': 'hoa giai', 'date_from': '2022-01-01', 'sort': 'date'})}",
        f"/search.atom?{urlencode({'q': 'cán bộ'})}",
        "/",
        "/search?page=3",
        f"/api/search?{urlencode({'q': CODE, 'province_2025': 'Thái Nguyên', 'collapse': 0})}",
    ]
    out += ["/articles/" + quote(i, safe="/") for i in rng.sample(article_ids, 10)]
    out += ["/api/articles/" + quote(i, safe="/") for i in rng.sample(article_ids, 5)]
    rng.shuffle(out)
    return out


def check_json(path: str, body: bytes, last_total: dict) -> str | None:
    """A reason if a JSON answer is inconsistent, else None."""
    if not path.startswith("/api/search"):
        return None
    r = json.loads(body)
    expected = max(0, min(r["per_page"], r["total"] - (r["page"] - 1) * r["per_page"]))
    if len(r["hits"]) != expected:
        return f"{len(r['hits'])} hits for total {r['total']} on page {r['page']}"
    if sum(v["count"] for v in r["facets"]["year"]) > r["total"]:
        return "year facet counts exceed the total"
    key = (r["query"], json.dumps(r["filters"], sort_keys=True))
    if r["total"] < last_total.get(key, 0):  # articles are only ever added
        return f"total went down for {key}: {last_total[key]} -> {r['total']}"
    last_total[key] = r["total"]
    return None


class Client(threading.Thread):
    """One visitor on a keep-alive connection, round-robin over its URLs."""

    def __init__(
        self,
        port: int,
        paths: list[str],
        stop: threading.Event,
        budget: list[int],
        lock: threading.Lock,
    ):
        super().__init__(daemon=True)
        self.port, self.paths, self.stop, self.budget, self.lock = port, paths, stop, budget, lock
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.failed = 0  # requests without an answer
        self.last_total: dict = {}

    def run(self):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            i = 0
            while not self.stop.is_set():
                with self.lock:
                    if self.budget[0] <= 0:
                        return
                    self.budget[0] -= 1
                path = self.paths[i % len(self.paths)]
                i += 1
                started = time.perf_counter()
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    body = response.read()
                    self.latencies.append(time.perf_counter() - started)
                    if response.status != 200:
                        self.errors.append(f"{response.status} {path}")
                    elif problem := check_json(path, body, self.last_total):
                        self.errors.append(f"inconsistent {path}: {problem}")
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException) as e:
                    self.errors.append(f"{type(e).__name__}: {e} {path}")
                    self.failed += 1
                    conn.close()
        finally:
            conn.close()


class Indexer(threading.Thread):
    """`vnsearch index --batch-size 20` runs, one after another, until told to stop."""

    def __init__(self, index: Path, corpus: Path, log: Path):
        super().__init__(daemon=True)
        self.index, self.corpus, self.log = index, corpus, log
        self.runs: list[int] = []  # exit statuses
        self.proc: subprocess.Popen | None = None
        self._halt = threading.Event()
        self._lock = threading.Lock()

    def run(self):
        n = 0
        with open(self.log, "ab") as log:
            while True:
                path = write_corpus(
                    self.corpus / f"run{n:03d}.jsonl", 100_000 + n * PER_RUN, PER_RUN, seed=n
                )
                with self._lock:
                    if self._halt.is_set():
                        return
                    self.proc = subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "search",
                            "index",
                            str(path),
                            "--index",
                            str(self.index),
                            "--batch-size",
                            str(BATCH),
                            "--workers",
                            "1",
                        ],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=log,
                    )
                self.runs.append(self.proc.wait())
                n += 1

    def terminate(self):
        """No new run; let the current one finish its batches (killed if it hangs)."""
        with self._lock:
            self._halt.set()
            proc = self.proc
        if proc is not None:
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.join(30)


@pytest.fixture(scope="module")
def load_index(seed_dir, tmp_path_factory) -> Path:
    """The seeds plus a few hundred generated articles (a copy the test may write to)."""
    d = tmp_path_factory.mktemp("load")
    corpus = write_corpus(d / "initial.jsonl", 0, INITIAL, seed=12345)
    built = d / "built"
    report = index_paths([seed_dir, corpus], built, workers=2)
    assert report.indexed == 5 + INITIAL
    index = d / "index"
    shutil.copytree(built, index)
    return index


def percentile(values: list[float], p: int) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[p - 1]
        if len(values) > 1
        else values[0]
    )


@pytest.mark.slow
def test_load_while_indexing(load_index, tmp_path):
    engine = Engine(load_index)
    try:
        before = engine.count()
        ids = [h.id for h in engine.search("", per_page=100).hits]
    finally:
        engine.close()
    rng = random.Random(7)
    stop = threading.Event()
    budget, lock = [MAX_REQUESTS], threading.Lock()
    indexer = Indexer(load_index, tmp_path / "more", tmp_path / "index.log")

    with Server(load_index, tmp_path / "serve.log") as server:
        clients = [Client(server.port, urls(rng, ids), stop, budget, lock) for _ in range(CLIENTS)]
        indexer.start()
        started = time.perf_counter()
        try:
            for c in clients:
                c.start()
            deadline = started + SECONDS
            while time.perf_counter() < deadline and any(c.is_alive() for c in clients):
                time.sleep(0.2)
        finally:
            stop.set()
            for c in clients:
                c.join(60)
            elapsed = time.perf_counter() - started
            indexer.terminate()
        log = server.stderr()

    engine = Engine(load_index)
    try:
        after = engine.count()
        code_total = engine.search(CODE, per_page=1).total
    finally:
        engine.close()
    latencies = [t for c in clients for t in c.latencies]
    errors = [e for c in clients for e in c.errors]
    figures = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seconds": round(elapsed, 1),
        "clients": CLIENTS,
        "server_threads": server.threads,
        "requests": len(latencies) + sum(c.failed for c in clients),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 50), 1),
        "p95_ms": round(1000 * percentile(latencies, 95), 1),
        "max_ms": round(1000 * max(latencies), 1),
        "errors": len(errors),
        "error_samples": errors[:10],
        "articles_before": before,
        "articles_after": after,
        "articles_added": after - before,
        "index_runs": len(indexer.runs),
        "batch_size": BATCH,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print("\nload test:", json.dumps(figures, ensure_ascii=False))

    assert errors == []
    assert "Traceback" not in log
    assert indexer.runs and set(indexer.runs) == {0}
    assert after - before >= BATCH * 3  # the index really committed during the test
    assert code_total == after - 5  # every generated article, none twice
    assert len(latencies) >= 100
