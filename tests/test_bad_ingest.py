"""Messy inputs through `vnsearch index`: the bad ones are skipped with a reason, the rest indexed.

Every run goes into an index that already holds the seeds, so the tests also
check that nothing indexed before is lost and the index still opens.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import to_cp1258

from search.cli import cli
from search.engine import Engine
from search.errors import ArticleNotFound
from search.readers import MAX_BYTES


def page(title: str, code: str) -> str:
    """A scraped page: title, blank line, body with a unique searchable code."""
    return (
        f"{title}\n\nUBND xã Mường Luân tổ chức hội nghị về công tác cán bộ, "
        f"mã tra cứu {code}. Các đồng chí lãnh đạo huyện dự và phát biểu chỉ đạo.\n"
    )


def jline(d) -> bytes:
    return json.dumps(d, ensure_ascii=False).encode() + b"\n"


def run_index(runner, paths, index: Path):
    result = runner.invoke(
        cli, ["index", *map(str, paths), "--index", str(index), "--workers", "1", "--json"]
    )
    summary = json.loads(result.stdout)
    return result, summary


def ids_in(index: Path) -> set[str]:
    engine = Engine(index)
    try:
        ids, page = set(), 1
        while hits := engine.search("", per_page=100, page=page).hits:
            ids |= {h.id for h in hits}
            page += 1
        assert len(ids) == engine.count()
        return ids
    finally:
        engine.close()


@pytest.fixture
def seeded(runner, seed_dir, tmp_path) -> tuple[Path, set[str]]:
    """An index holding the seeds (indexed by the CLI), and their ids."""
    index = tmp_path / "index"
    result = runner.invoke(cli, ["index", str(seed_dir), "--index", str(index), "--workers", "1"])
    assert result.exit_code == 0, result.output
    ids = ids_in(index)
    assert len(ids) == 5
    return index, ids


# What goes in the messy folder: name -> bytes, and what must become of it.
GOOD_PAGES = {
    "good.txt": page("Bài viết tốt", "zqgood").encode("utf-8"),
    "bom.txt": page("Bài có BOM", "zqbom").encode("utf-8-sig"),
    "utf16-bom.txt": page("Bài UTF-16 có BOM", "zqutf16").encode("utf-16"),
    "cp1258.txt": to_cp1258(page("Bài mã Windows-1258 của huyện Điện Biên Đông", "zqcp")),
    "sub/nested.txt": page("Bài trong thư mục con", "zqnested").encode("utf-8"),
}
TRUNCATED = page("Bài bị cắt giữa chữ", "zqcut").encode("utf-8") + "Việt".encode()[:4]
assert TRUNCATED[-3:] == b"Vi\xe1\xbb"[-3:]  # cut inside "ệ"
BAD_PAGES = {
    "empty.txt": (b"", "tệp rỗng"),
    "blank.txt": (b" \r\n\t\n  ", "tệp rỗng"),
    "image.txt": (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 4,
        "tệp nhị phân",
    ),
    "noise.html": (bytes(random.Random(0).randrange(1, 32) for _ in range(4096)), "tệp nhị phân"),
    "truncated.txt": (TRUNCATED, "không giải mã được"),
    "utf16-no-bom.txt": (
        page("Bài UTF-16 không BOM", "zqnobom").encode("utf-16-le"),
        "tệp nhị phân",
    ),
    "latin1-garbage.txt": ("Cán bộ cấp xã ".encode() * 20 + b"\xff\xfe\xfa", "không giải mã được"),
}
GOOD_IDS = {"good", "bom", "utf16-bom", "cp1258", "nested"}
# The start of each reason (what people read) -> its code (what programs compare).
CODES = {
    "tệp rỗng": "empty",
    "tệp nhị phân": "binary",
    "không giải mã được": "undecodable",
    "lớn hơn 10 MB": "too_large",
    "không đọc được": "unreadable",
    "dòng JSON không hợp lệ": "bad_json",
    "dòng JSON không phải là một đối tượng": "not_object",
    'dòng JSON không có "id"': "no_id",
    "không có tiêu đề và nội dung": "no_text",
    "trùng id": "duplicate_id",
    "không có tệp hay thư mục này": "not_found",
}


def jsonl_lines() -> list[tuple[bytes, str | None]]:
    """(line, None) for a good article, (line, reason) for a bad one; blank lines are skipped."""
    good = {"title": "Bài JSON", "body": "Cán bộ xã hoà giải ở thôn, mã zqjson."}
    return [
        (jline({"id": "j1", **good, "body": good["body"] + " một"}), None),
        (b'{"id": "j-broken", "title": "x"', "dòng JSON không hợp lệ"),
        (b"not json at all", "dòng JSON không hợp lệ"),
        (b"[1, 2, 3]", "dòng JSON không phải là một đối tượng"),
        (jline({"title": "Không có mã", "body": "x"}), 'dòng JSON không có "id"'),
        (b"   ", None),
        (jline({"id": "j-empty", "title": "", "body": ""}), "không có tiêu đề và nội dung"),
        (b'{"id": "j-utf8", "title": "\xff\xfe"}', "dòng JSON không hợp lệ"),
        (jline({"id": "j2", **good, "body": good["body"] + " hai"}), None),
        (jline({"id": "j1", **good}), "trùng id 'j1' với một bản ghi trước đó"),
        (b'{"id": "j-nul", "title": "\x00"}', "dòng JSON không hợp lệ"),
        (jline({"id": "j3", **good, "body": good["body"] + " ba"}), None),
    ]


@pytest.fixture
def messy(tmp_path) -> Path:
    d = tmp_path / "messy"
    for name, raw in GOOD_PAGES.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        (d / name).write_bytes(raw)
    for name, (raw, _) in BAD_PAGES.items():
        (d / name).write_bytes(raw)
    with open(d / "huge.txt", "wb") as f:  # real text, just too much of it
        line = page("Bài quá lớn", "zqhuge").encode()
        f.write(line * (MAX_BYTES // len(line) + 2))
    (d / "mixed.jsonl").write_bytes(
        b"".join(line if line.endswith(b"\n") else line + b"\n" for line, _ in jsonl_lines())
    )
    # A 1 MB line is a long article, not a broken one.
    body = ("Cán bộ xã Mường Luân họp bàn về công tác hoà giải ở cơ sở. " * 20000)[:1_000_000]
    with gzip.open(d / "long.jsonl.gz", "wb") as f:
        f.write(jline({"id": "long", "title": "Bài rất dài zqlong", "body": body}))
    # A gzip cut mid-stream: the lines before the break are articles.
    full = b"".join(
        jline(
            {
                "id": f"t{i:03d}",
                "title": f"Tin {i}",
                "body": f"Tin số {i} về cán bộ xã, mã zqtrunc{i:03d}. "
                + "Nội dung dài thêm cho đủ. " * 40,
            }
        )
        for i in range(200)
    )
    cut = gzip.compress(full)
    (d / "cut.jsonl.gz").write_bytes(cut[: len(cut) // 2])
    (d / "notes.pdf").write_bytes(b"%PDF-1.4")  # not an input type: not looked at in a folder
    return d


def test_messy_folder(runner, seeded, messy):
    index, seed_ids = seeded
    result, summary = run_index(runner, [messy], index)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert json.loads((index / "last-run.json").read_text("utf-8")) == summary
    skipped = {s["source"]: s["reason"] for s in summary["skipped"]}
    # Each reason comes with the stable code programs compare.
    for s in summary["skipped"]:
        assert s["code"] == CODES[next(r for r in CODES if s["reason"].startswith(r))], s

    # Every bad page is skipped with its reason.
    for name, (_, reason) in BAD_PAGES.items():
        assert skipped.pop(str(messy / name)).startswith(reason), name
    assert skipped.pop(str(messy / "huge.txt")).startswith("lớn hơn 10 MB (")
    # Only the broken JSON lines are skipped, each as path:LINE.
    for lineno, (_, line_reason) in enumerate(jsonl_lines(), 1):
        if line_reason:
            assert skipped.pop(f"{messy / 'mixed.jsonl'}:{lineno}").startswith(line_reason), lineno
    # The truncated gzip: one skip at the line where the stream broke.
    (cut_source,) = [s for s in skipped if s.startswith(str(messy / "cut.jsonl.gz"))]
    assert skipped.pop(cut_source) == "không đọc được: tệp gzip bị cắt cụt"
    read_before_break = int(cut_source.rsplit(":", 1)[1]) - 1
    assert skipped == {}

    ids = ids_in(index)
    truncated_ids = {f"t{i:03d}" for i in range(read_before_break)}
    assert 0 < read_before_break < 200
    assert ids == seed_ids | GOOD_IDS | {"j1", "j2", "j3", "long"} | truncated_ids
    assert summary["indexed"] == len(ids) - len(seed_ids)

    engine = Engine(index)
    try:
        for code, want in [
            ("zqcp", "cp1258"),
            ("zqutf16", "utf16-bom"),
            ("zqlong", "long"),
            ("zqnested", "nested"),
            (f"zqtrunc{read_before_break - 1:03d}", f"t{read_before_break - 1:03d}"),
        ]:
            assert [h.id for h in engine.search(code).hits] == [want]
        assert engine.article("cp1258").title == "Bài mã Windows-1258 của huyện Điện Biên Đông"
        assert len(engine.article("long").body) > 900_000
        assert engine.search("zqhuge").total == 0
        assert engine.search("zqnobom").total == 0
        with pytest.raises(ArticleNotFound):
            engine.article("j-broken")
    finally:
        engine.close()

    # Running again changes nothing and says the same.
    again, summary2 = run_index(runner, [messy], index)
    assert again.exit_code == 1
    assert summary2["indexed"] == 0
    assert summary2["unchanged"] == len(ids) - len(seed_ids)
    assert summary2["skipped"] == summary["skipped"]
    assert ids_in(index) == ids


def test_text_summary_lists_reasons_on_stderr(runner, seeded, messy):
    index, _ = seeded
    result = runner.invoke(
        cli,
        [
            "index",
            str(messy / "empty.txt"),
            str(messy / "good.txt"),
            str(messy / "nope.txt"),
            "--index",
            str(index),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 1
    assert "đã lập chỉ mục 1, gộp 0, không đổi 0, bỏ qua 2" in result.stdout
    assert f"bỏ qua {messy / 'empty.txt'}: tệp rỗng" in result.stderr
    assert f"bỏ qua {messy / 'nope.txt'}: không có tệp hay thư mục này" in result.stderr


@pytest.mark.parametrize(
    "name, raw, reason",
    [
        ("empty.jsonl", b"", None),
        ("only-blank.jsonl", b"\n\n  \n", None),
        (
            "bom-first.jsonl",
            b"\xef\xbb\xbf" + jline({"id": "b1", "title": "BOM", "body": "x"}),
            None,
        ),
        (
            "not-gzip.jsonl.gz",
            jline({"id": "g1", "title": "x", "body": "y"}),
            "không đọc được: không phải tệp gzip",
        ),
        ("binary.jsonl", b"\x00\x01\x02\xff" * 100, "dòng JSON không hợp lệ"),
    ],
)
def test_odd_jsonl_files(runner, seeded, tmp_path, name, raw, reason):
    index, seed_ids = seeded
    path = tmp_path / name
    path.write_bytes(raw)
    result, summary = run_index(runner, [path], index)
    if reason is None:
        assert result.exit_code == 0
        assert summary["skipped"] == []
    else:
        assert result.exit_code == 1
        assert [s["reason"][: len(reason)] for s in summary["skipped"]] == [reason]
        assert summary["skipped"][0]["source"].startswith(str(path))
    assert seed_ids <= ids_in(index)


def test_file_deleted_during_the_run(seeded, tmp_path):
    # The folder is listed first; "b.txt" disappears while "a.txt" is being looked at.
    from search.ingest import index_paths

    index, seed_ids = seeded
    d = tmp_path / "vanishing"
    d.mkdir()
    (d / "a.txt").write_text(page("Bài A", "zqa"), "utf-8")
    index_paths([d], index, workers=1)  # a.txt is now unchanged: looked at before b.txt is read
    (d / "b.txt").write_text(page("Bài B", "zqb"), "utf-8")
    (d / "c.txt").write_text(page("Bài C", "zqc"), "utf-8")

    def progress(_n):
        if (d / "b.txt").exists():
            (d / "b.txt").unlink()

    report = index_paths([d], index, workers=1, progress=progress)
    assert not (d / "b.txt").exists()
    assert report.unchanged == 1
    assert ids_in(index) == seed_ids | {"a", "c"}
    # Gone before it was read: nothing to index, nothing lost, and the run went on.
    assert [s.source for s in report.skipped] in ([], [str(d / "b.txt")])


def test_dangling_symlink_in_a_folder_is_reported(runner, seeded, tmp_path):
    index, _ = seeded
    d = tmp_path / "links"
    d.mkdir()
    (d / "good.txt").write_text(page("Bài tốt", "zqlink"), "utf-8")
    os.symlink(d / "gone.txt", d / "dangling.txt")
    result, summary = run_index(runner, [d], index)
    assert summary["indexed"] == 1
    assert summary["skipped"] == [
        {
            "source": str(d / "dangling.txt"),
            "code": "broken_link",
            "reason": "liên kết tượng trưng bị hỏng",
        }
    ]
    assert result.exit_code == 1


def test_dangling_symlink_given_by_name_is_reported(runner, seeded, tmp_path):
    index, seed_ids = seeded
    link = tmp_path / "dangling.txt"
    os.symlink(tmp_path / "gone.txt", link)
    result, summary = run_index(runner, [link], index)
    assert result.exit_code == 1
    assert summary["skipped"] == [
        {"source": str(link), "code": "not_found", "reason": "không có tệp hay thư mục này"}
    ]
    assert ids_in(index) == seed_ids


def peak_rss_mb(args: list[str], cwd: Path) -> float:
    """Peak resident memory (MB) of `python -m search ARGS` in a fresh process."""
    code = (
        "import resource, runpy, sys\n"
        f"sys.argv = ['vnsearch', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('search', run_name='__main__')\n"
        "finally:\n"
        "    print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Traceback" not in proc.stderr
    peak = re.search(r"PEAK (\d+)", proc.stderr)
    assert peak, proc.stderr
    return int(peak.group(1)) / 1024


def test_gzip_bomb_line_is_refused_without_reading_it_whole(tmp_path):
    small, bomb = tmp_path / "small", tmp_path / "bomb"
    small.mkdir()
    bomb.mkdir()
    ok = jline({"id": "ok", "title": "Bài sau", "body": "Cán bộ xã"})
    with gzip.open(small / "a.jsonl.gz", "wb") as f:
        f.write(ok)
    with gzip.open(bomb / "a.jsonl.gz", "wb", compresslevel=1) as f:
        f.write(b'{"id": "x", "body": "')
        chunk = b"a" * (1 << 20)
        for _ in range(200):
            f.write(chunk)
        f.write(b'"}\n' + ok)
    assert (bomb / "a.jsonl.gz").stat().st_size < 2_000_000
    base = peak_rss_mb(
        ["index", str(small), "--index", str(tmp_path / "i1"), "--workers", "1"], tmp_path
    )
    peak = peak_rss_mb(
        ["index", str(bomb), "--index", str(tmp_path / "i2"), "--workers", "1"], tmp_path
    )
    assert ids_in(tmp_path / "i2") == {"ok"}
    assert peak - base < 100
