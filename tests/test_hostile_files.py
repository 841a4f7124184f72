"""Hostile files never hang or abort `vnsearch index`: each is indexed or skipped with a reason.

One folder mixes the seeds with a file of every hostile class: a line that made
the navigation pattern backtrack exponentially (in a page and in HTML), lines
that made extractors or pyvi quadratic (brackets after a byline, repeated
credits, thousands of references, runs of digits and dashes or of e-mail
characters), JSON nested 100,000 deep, odd JSON types, lone surrogates, a file
name that is not UTF-8, binary and empty files. The real CLI indexes it with two
worker processes: the run finishes, the good and merely unusual files are
searchable, and the summary and index/last-run.json name each skipped one and why.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import threading
from pathlib import Path

import pytest

from search import ingest
from search.cli import cli
from search.engine import Engine
from search.ingest import index_paths

HEAD = "Tiêu đề bài viết về công tác cán bộ ở xã {code}\n"
BODY = (
    "Ủy ban nhân dân xã Mường Luân tổ chức hội nghị về công tác cán bộ, các đồng chí "
    "lãnh đạo huyện dự và phát biểu chỉ đạo.\n"
)


def page(code: str, line: str) -> bytes:
    """A page with a unique searchable code, a body, and the hostile line in the middle."""
    return (HEAD.format(code=code) + f"Mã {code}. " + BODY + line + "\n" + BODY).encode("utf-8")


def html(code: str, line: str) -> bytes:
    return (
        f"<html><head><title>Tiêu đề bài viết về công tác cán bộ {code}</title></head>"
        f"<body><article><h1>Tiêu đề bài viết về công tác cán bộ {code}</h1>"
        f"<p>Mã {code}. {BODY}</p><p>{line}</p><p>{BODY}</p><p>{BODY} Lần hai.</p></article>"
        "</body></html>"
    ).encode()


def jline(d) -> bytes:
    return json.dumps(d, ensure_ascii=False).encode() + b"\n"


# Files that are indexed although they once hung or crawled: name -> (bytes, code).
SLOW_ONCE = {
    "nav.txt": (page("zqnav", "A+" * 30 + "Z"), "zqnav"),
    "nav-words.txt": (page("zqnavwords", "gui email" * 40 + "!"), "zqnavwords"),
    "nav-html.html": (html("zqnavhtml", "A+" * 30 + "Z"), "zqnavhtml"),
    "brackets.txt": (page("zqbrackets", "Bài: Đức Linh " + "(" * 100_000), "zqbrackets"),
    "credits.txt": (page("zqcredits", "Cán bộ xã (Ảnh: Duy Trần " * 20_000), "zqcredits"),
    "references.txt": (page("zqrefs", "51/KH-UBND Kế hoạch 12 " * 5_000), "zqrefs"),
    "digits.txt": (page("zqdigits", "1-" * 50_000), "zqdigits"),
    "dots.txt": (page("zqdots", "a." * 50_000), "zqdots"),
    "one-line.txt": (page("zqoneline", "Cán bộ xã hoà giải ở thôn bản. " * 20_000), "zqoneline"),
    # libxml2 is quadratic in a tag's attributes, in C code no budget interrupts.
    "attributes.html": (
        html("zqattrs", "<span " + " ".join(f"a{i}=b" for i in range(50_000)) + ">Chữ</span>"),
        "zqattrs",
    ),
    "bare-attributes.html": (
        html("zqbare", "<span " + " ".join(f"a{i}" for i in range(50_000)) + ">Chữ</span>"),
        "zqbare",
    ),
}

DEEP = b"[" * 100_000
GOOD = {"title": "Tin tốt về cán bộ xã", "body": "Cán bộ xã hoà giải ở thôn bản."}
# JSON lines: (line, reason it is skipped or None, the id it is indexed under).
JSON_LINES = [
    (jline({"id": "deep-ok", **GOOD, "body": "Trước dòng sâu zqdeepok."}), None, "deep-ok"),
    (DEEP + b"\n", "dòng JSON không hợp lệ (lồng quá sâu, không phân tích được)", None),
    (
        b'{"id": "deep-title", "title": ' + DEEP + b"}\n",
        "dòng JSON không hợp lệ (lồng quá sâu, không phân tích được)",
        None,
    ),
    (jline({"id": [1, 2], **GOOD}), 'dòng JSON không có "id"', None),
    (
        jline({"id": "odd-empty", "title": 5, "body": {"a": 1}}),
        "không có tiêu đề và nội dung",
        None,
    ),
    (b"5\n", "dòng JSON không phải là một đối tượng", None),
    (
        b'{"id": "\\ud800", "title": "x", "body": "y"}\n',
        '"id" của dòng JSON không phải Unicode hợp lệ (nửa cặp surrogate)',
        None,
    ),
    (
        jline(
            {
                "id": "odd-types",
                "title": "Tiêu đề zqodd",
                "body": "Nội dung bài viết.",
                "topics": 5,
                "date": [2020],
                "captions": {"a": 1},
                "province": 7,
                "url": ["x"],
                "author": 12,
                "urls": "a,b",
                "lead": None,
            }
        ),
        None,
        "odd-types",
    ),
    (
        b'{"id": "surrogate", "title": "Tin \\ud800 zqsur", "body": "N\\udc00i dung."}\n',
        None,
        "surrogate",
    ),
    (jline({"id": "deep-after", **GOOD, "body": "Sau dòng sâu zqdeepafter."}), None, "deep-after"),
]
BAD_FILES = {
    "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 8, "tệp nhị phân"),
    "noise.html": (bytes(random.Random(1).randrange(1, 32) for _ in range(4096)), "tệp nhị phân"),
    "empty.txt": (b"", "tệp rỗng"),
    "no-text.html": (
        b"<html><body><script>x()</script></body></html>",
        "không tìm thấy nội dung bài viết trong HTML",
    ),
}
# Enough plain articles for the run to use its worker pool.
MANY = 80


@pytest.fixture
def hostile(tmp_path, seed_dir) -> Path:
    d = tmp_path / "hostile"
    shutil.copytree(seed_dir, d)
    for name, (raw, _) in SLOW_ONCE.items():
        (d / name).write_bytes(raw)
    for name, (raw, _) in BAD_FILES.items():
        (d / name).write_bytes(raw)
    (d / "odd.jsonl").write_bytes(b"".join(line for line, _, _ in JSON_LINES))
    (d / "many.jsonl").write_bytes(
        b"".join(
            jline(
                {
                    "id": f"many-{i:03d}",
                    "title": f"Tin số {i} về cán bộ xã",
                    "body": f"Nội dung tin số {i}, mã zqmany{i:03d}.",
                }
            )
            for i in range(MANY)
        )
    )
    # A file name that is not UTF-8: indexed, its bytes shown as \xNN.
    with open(os.path.join(os.fsencode(d), b"bad-\xff-name.txt"), "wb") as f:
        f.write(page("zqbadname", "Tên tệp không phải UTF-8."))
    return d


@pytest.mark.slow  # 12 s on a busy machine: two workers meet every pathological file
def test_hostile_folder_is_indexed_with_reasons(runner, hostile, tmp_path):
    index = tmp_path / "index"
    result = runner.invoke(
        cli, ["index", str(hostile), "--index", str(index), "--workers", "2", "--json"]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    summary = json.loads(result.stdout)
    assert json.loads((index / "last-run.json").read_text("utf-8")) == summary

    skipped = {s["source"]: s["reason"] for s in summary["skipped"]}
    expected = {str(hostile / name): reason for name, (_, reason) in BAD_FILES.items()}
    expected |= {
        f"{hostile / 'odd.jsonl'}:{i}": reason
        for i, (_, reason, _) in enumerate(JSON_LINES, 1)
        if reason
    }
    assert {s: r[: len(expected.get(s, ""))] for s, r in skipped.items()} == expected

    json_ids = {i for _, _, i in JSON_LINES if i}
    many_ids = {f"many-{i:03d}" for i in range(MANY)}
    file_ids = {Path(n).stem for n in SLOW_ONCE}
    seed_ids = {p.stem for p in hostile.glob("0*.txt")}
    assert len(seed_ids) == 5
    wanted = seed_ids | file_ids | json_ids | many_ids | {"bad-\\xff-name"}
    assert (summary["indexed"], summary["merged"]) == (len(wanted), 0)

    engine = Engine(index)
    try:
        assert engine.count() == len(wanted)
        codes = {
            **{Path(n).stem: code for n, (_, code) in SLOW_ONCE.items()},
            "odd-types": "zqodd",
            "surrogate": "zqsur",
            "deep-ok": "zqdeepok",
            "deep-after": "zqdeepafter",
            "many-079": "zqmany079",
            "bad-\\xff-name": "zqbadname",
        }
        for article_id, code in codes.items():
            assert [h.id for h in engine.search(code).hits] == [article_id], code
        # Long lines were cut, not dropped: the text after the hostile run is there.
        assert engine.article("one-line").body.count("hoà giải") == 20_000
        assert "\ufffd" in engine.article("surrogate").title
    finally:
        engine.close()


def big_page(code: str) -> bytes:
    """A long, ordinary article: linear to parse, but far more than 0.05 s of CPU."""
    sentence = "Ủy ban nhân dân xã Mường Luân tổ chức hội nghị về công tác cán bộ năm 2024. "
    return (HEAD.format(code=code) + sentence * 4000).encode("utf-8")


@pytest.mark.parametrize("workers", [1, 2], ids=["in-process", "pool"])
def test_time_budget_skips_a_record(tmp_path, workers):
    d = tmp_path / "in"
    d.mkdir()
    (d / "big.txt").write_bytes(big_page("zqbig"))
    (d / "small.jsonl").write_bytes(
        b"".join(
            jline({"id": f"s{i:03d}", "title": f"Tin ngắn số {i}", "body": f"Mã zqsmall{i:03d}."})
            for i in range(70)
        )
    )
    index = tmp_path / "index"
    report = index_paths([d], index, workers=workers, record_timeout=0.05)
    assert [(s.source, s.code, s.reason) for s in report.skipped] == [
        (str(d / "big.txt"), "too_slow", "phân tích quá lâu (quá 0.05 giây)")
    ]
    assert report.indexed == 70
    # With the default budget the same article is indexed.
    again = index_paths([d / "big.txt"], index, workers=workers)
    assert (again.indexed, again.skipped) == (1, [])
    engine = Engine(index)
    try:
        assert [h.id for h in engine.search("zqbig").hits] == ["big"]
    finally:
        engine.close()


def test_record_timeout_option(runner, tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "big.txt").write_bytes(big_page("zqbig"))
    index = tmp_path / "index"
    result = runner.invoke(
        cli, ["index", str(d), "--index", str(index), "--workers", "1", "--record-timeout", "0.05"]
    )
    assert result.exit_code == 1
    assert f"bỏ qua {d / 'big.txt'}: phân tích quá lâu (quá 0.05 giây)" in result.stderr


def test_extract_lists_hostile_records(runner, hostile):
    result = runner.invoke(
        cli, ["extract", str(hostile / "odd.jsonl"), str(hostile / "nav.txt"), "--json"]
    )
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
    assert ids == [i for _, _, i in JSON_LINES if i] + ["nav"]
    for i, (_, reason, _) in enumerate(JSON_LINES, 1):
        if reason:
            assert f"bỏ qua {hostile / 'odd.jsonl'}:{i}: {reason}" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("chunk", [None, 16], ids=["one-chunk", "chunks-ahead"])
@pytest.mark.parametrize("sig", [signal.SIGSTOP, signal.SIGKILL], ids=["stuck", "killed"])
def test_a_worker_that_never_answers_is_replaced(tmp_path, monkeypatch, sig, chunk):
    # The parent's wall-clock net, for a worker that stops answering: stuck
    # without using CPU (as in C code that never lets the budget's signal in:
    # here it is stopped) or gone (killed) in the middle of a record. With small
    # chunks the next chunk is already with the workers when they are replaced:
    # it must be handed to the new ones, nothing lost.
    monkeypatch.setattr(ingest, "WALL_FACTOR", 1)
    monkeypatch.setattr(ingest, "WALL_SLACK", 15.0)
    if chunk:
        monkeypatch.setattr(ingest, "CHUNK", chunk)
        monkeypatch.setattr(ingest, "POOL_THRESHOLD", chunk // 2)
    d = tmp_path / "in"
    d.mkdir()
    body = "Ủy ban nhân dân xã Mường Luân tổ chức hội nghị về công tác cán bộ. " * 60
    (d / "many.jsonl").write_bytes(
        b"".join(
            jline(
                {
                    "id": f"w{i:03d}",
                    "title": f"Tin số {i} về cán bộ xã",
                    "body": f"Mã zqw{i:03d}. Tin số {i}. {body}",
                }
            )
            for i in range(80)
        )
    )
    done = []

    def progress(n):
        done.append(n)
        if len(done) == 5:  # both workers are busy with later records now
            for worker in multiprocessing.active_children():
                assert worker.pid is not None  # started
                os.kill(worker.pid, sig)

    report = index_paths([d], tmp_path / "index", workers=2, progress=progress)
    assert [(s.code, s.reason) for s in report.skipped] == [
        (
            "too_slow",
            (
                "phân tích quá lâu (không có phản hồi sau "
                f"{ingest.wall_limit(ingest.RECORD_TIMEOUT):g} giây)"
            ),
        )
    ]
    assert report.indexed == 79
    lost = report.skipped[0].source
    engine = Engine(tmp_path / "index")
    try:
        for i in range(80) if chunk else (0, 79):
            source = f"{d / 'many.jsonl'}:{i + 1}"
            assert [h.id for h in engine.search(f"zqw{i:03d}").hits] == (
                [] if source == lost else [f"w{i:03d}"]
            )
    finally:
        engine.close()


def test_no_budget_off_the_main_thread(tmp_path):
    # A signal handler can only be set on the main thread: elsewhere (a web app
    # indexing in a thread) records are parsed without a CPU budget, not refused.
    d = tmp_path / "in"
    d.mkdir()
    (d / "big.txt").write_bytes(big_page("zqbig"))
    reports, errors = [], []

    def run():
        try:
            reports.append(index_paths([d], tmp_path / "index", workers=1, record_timeout=0.05))
        except Exception as e:  # noqa: BLE001 (reported by the assertion below)
            errors.append(e)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert errors == []
    assert (reports[0].indexed, reports[0].skipped) == (1, [])


@pytest.mark.parametrize("read", [1, 4, 6, 1010])
def test_terminating_the_pool_survives_a_task_half_read_by_a_killed_worker(read):
    """A worker killed while reading a task leaves the rest of it in the task queue:
    terminate() empties that queue as bytes (Pool's own reads messages: EOFError here)."""
    tasks = multiprocessing.get_context("spawn").SimpleQueue()
    for i in range(3):
        tasks.put(("task", i, "x" * 1000))
    reader = tasks._reader  # type: ignore[attr-defined] # the pipe's end Pool reads tasks from
    os.read(reader.fileno(), read)  # what the killed worker took of the first
    stop = threading.Event()
    feeder = threading.Thread(target=stop.wait)  # the pool's task handler, still running
    feeder.start()
    try:
        ingest._Pool._help_stuff_finish(tasks, feeder, 1)
    finally:
        stop.set()
        feeder.join()
    assert not reader.poll()
    tasks.close()


@pytest.mark.parametrize("name", ["attributes.html", "bare-attributes.html"])
def test_a_tag_of_fifty_thousand_attributes_is_read_in_process(tmp_path, name):
    # One file: no worker pool and no wall-clock limit, only the page itself.
    raw, code = SLOW_ONCE[name]
    (tmp_path / name).write_bytes(raw)
    report = index_paths([tmp_path / name], tmp_path / "index", workers=1)
    assert report.indexed == 1 and not report.skipped, report
    engine = Engine(tmp_path / "index")
    try:
        assert len(engine.match_ids(code)) == 1
        assert "cán bộ" in engine.search(code).hits[0].title.lower()
    finally:
        engine.close_all()
