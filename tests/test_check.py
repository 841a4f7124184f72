"""`vnsearch check`: healthy and damaged indexes, vocabulary drift, --repair, --json."""

import json
import shutil
import sqlite3
import time

import pytest
from test_index_safety import DAMAGE

from search.backends.whoosh_index import open_index
from search.backends.whoosh_writing import stamp
from search.check import check_index
from search.cli import cli
from search.index import META_FILE
from search.ingest import index_paths
from search.vocab import Vocabulary, vocab_path

# Whoosh's files (a Xapian index's check: tests/test_backends.py).
pytestmark = pytest.mark.whoosh_only


@pytest.fixture
def built(tmp_path, seed_dir):
    ix = tmp_path / "index"
    index_paths([seed_dir], ix, workers=1)
    return ix


def vocab_rows(ix) -> dict:
    """Every count of the vocabulary, by syllable text (ids differ between builds)."""
    db = sqlite3.connect(vocab_path(ix))
    try:
        syl = dict(db.execute("SELECT text, n FROM syl WHERE n > 0"))
        bi = {
            (a, b): n
            for a, b, n in db.execute(
                "SELECT sa.text, sb.text, bi.n FROM bi JOIN syl sa ON sa.id = bi.a "
                "JOIN syl sb ON sb.id = bi.b"
            )
        }
        meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('documents', 'tokens')"))
        return {"syl": syl, "bi": bi, "meta": meta}
    finally:
        db.close()


def test_healthy_index(built, runner):
    result = runner.invoke(cli, ["check", "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("chỉ mục tốt: đã kiểm tra 5 bài, 1 phân đoạn, ")
    data = json.loads(runner.invoke(cli, ["check", "--index", str(built), "--json"]).output)
    assert data["healthy"] is True and data["findings"] == []
    assert data["articles"] == 5 and data["terms"] > 1000 and data["postings"] > data["terms"]


def test_deleted_documents_in_an_unmerged_segment_are_healthy(built):
    # Deleted documents keep their postings until a merge; check counts them as Whoosh does.
    writer = open_index(built).writer()
    writer.delete_by_term("id", "000_5bb86f784192a000")
    writer.commit(merge=False)
    report = check_index(built)
    assert [f for f in report.findings if f.code != "vocabulary"] == []
    assert report.articles == 4


def test_missing_index_exits_2(tmp_path, runner):
    result = runner.invoke(cli, ["check", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "Lỗi: chưa có chỉ mục ở" in result.output


@pytest.mark.parametrize(
    "damage, code, part",
    [
        ("toc", "toc", "mục lục"),
        ("missing-seg", "segment", "phân đoạn"),
        ("truncated-seg", "segment", "phân đoạn"),
        ("stored-doc", "segment", "phân đoạn"),
    ],
)
def test_damaged_index_is_reported_with_what_to_do(built, runner, damage, code, part):
    DAMAGE[damage](built)
    result = runner.invoke(cli, ["check", "--index", str(built)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    damaged = [line for line in result.output.splitlines() if line.startswith("hỏng:")]
    assert damaged and damaged[0].startswith(f"hỏng: {part}")
    assert "chạy `vnsearch index --rebuild`" in damaged[0]
    assert result.output.splitlines()[-1].startswith("CHỈ MỤC HỎNG: đã kiểm tra ")
    # --json keeps the keys and gives the part's stable code beside its Vietnamese name.
    data = json.loads(runner.invoke(cli, ["check", "--index", str(built), "--json"]).output)
    first = next(f for f in data["findings"] if f["damage"])
    assert set(first) == {"code", "part", "problem", "fix", "damage"}
    assert first["code"] == code and first["part"].startswith(part)
    # --repair does not pretend to fix the index itself.
    assert runner.invoke(cli, ["check", "--index", str(built), "--repair"]).exit_code == 1


@pytest.mark.parametrize("at", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_overwritten_segment_bytes_are_found(built, at):
    # 4 kB of the segment overwritten: whichever of its files (term list,
    # postings, stored articles) they fall in, check must notice.
    seg = next(built.glob("MAIN_*.seg"))
    raw = bytearray(seg.read_bytes())
    start = int(len(raw) * at)
    for i in range(start, min(start + 4000, len(raw) - 8)):
        raw[i] = 0xFF
    seg.write_bytes(bytes(raw))
    report = check_index(built)
    assert not report.healthy, report
    assert any(f.code == "segment" and f.part.startswith("phân đoạn ") for f in report.findings)


@pytest.mark.parametrize("content", [b"", b'{"schema_version": 3', b"\xff\xfe"])
def test_damaged_metadata_is_reported(built, content):
    (built / META_FILE).write_bytes(content)
    report = check_index(built)
    assert [(f.code, f.part) for f in report.findings if f.damage] == [("metadata", "siêu dữ liệu")]


def test_vocabulary_behind_the_index_is_found_and_repaired(built, tmp_path, runner, seed_dir):
    # An index commit whose vocabulary commit never happened (a kill -9 in between).
    extra = tmp_path / "extra.txt"
    extra.write_text("Bài mới về đường giao thông nông thôn\n\nXã Thanh Xương làm đường.", "utf-8")
    scratch = tmp_path / "scratch"
    index_paths([seed_dir, extra], scratch, workers=1)
    from search.backends.whoosh_writing import write_batches
    from search.ingest import prepare_article
    from search.parse import parse_record
    from search.readers import Record, Skipped, iter_files, read_records

    path = next(iter(iter_files([extra])))
    assert not isinstance(path, Skipped), path
    rec = next(read_records(path))
    assert isinstance(rec, Record), rec
    p = prepare_article(parse_record(rec))
    for _ in write_batches(open_index(built), [(p.article, p.words, {"prepared": p.fields})]):
        pass

    result = runner.invoke(cli, ["check", "--index", str(built)])
    assert result.exit_code == 1
    assert "hỏng: từ vựng: không khớp với chỉ mục: từ vựng đếm 5 bài" in result.output
    assert "chạy `vnsearch check --repair`" in result.output

    result = runner.invoke(cli, ["check", "--index", str(built), "--repair"])
    assert result.exit_code == 0, result.output
    assert "đã sửa: đã dựng lại từ vựng từ 6 bài đã lưu" in result.output
    assert vocab_rows(built) == vocab_rows(scratch)
    with Vocabulary(built) as v:
        assert v.matches(stamp(open_index(built)))


@pytest.mark.parametrize(
    "damage, said",
    [
        ("garbage", "không phải cơ sở dữ liệu SQLite"),
        ("truncated", ""),
        ("deleted", "thiếu vocab.sqlite"),
        ("empty", "tệp từ vựng chưa có dữ liệu (rỗng)"),  # and the check wrote nothing
    ],
)
def test_damaged_vocabulary_file_is_repaired(built, runner, tmp_path, damage, said):
    expected = vocab_rows(built)
    path = vocab_path(built)
    if damage == "garbage":
        path.write_bytes(b"not a database" * 1000)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:5000])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
    result = runner.invoke(cli, ["check", "--index", str(built)])
    assert result.exit_code == 1, result.output
    assert "hỏng: từ vựng: " + said in result.output
    if damage == "empty":
        assert path.read_bytes() == b""
    result = runner.invoke(cli, ["check", "--index", str(built), "--repair"])
    assert result.exit_code == 0, result.output
    assert vocab_rows(built) == expected


def test_leftover_files_are_a_note_and_repair_removes_them(built, runner):
    (built / "MAIN_zzzzleftover0000.seg").write_bytes(b"partial")
    (built / "_MAIN_9.toc.1234.5").write_bytes(b"partial")
    (built / "_MAIN_0.toc").write_bytes(b"an older generation Whoosh did not clean up")
    (built / "mine.txt").write_text("keep", "utf-8")
    result = runner.invoke(cli, ["check", "--index", str(built)])
    assert result.exit_code == 0, result.output
    assert "lưu ý: tệp thừa: 3 tệp của một lần ghi bị gián đoạn" in result.output
    result = runner.invoke(cli, ["check", "--index", str(built), "--repair"])
    assert result.exit_code == 0
    assert "đã sửa: đã xóa 3 tệp thừa" in result.output
    assert not (built / "MAIN_zzzzleftover0000.seg").exists()
    assert not (built / "_MAIN_0.toc").exists()
    assert (built / "mine.txt").read_text("utf-8") == "keep"


@pytest.mark.slow
def test_check_of_2000_articles_is_quick(tmp_path):
    lines = [
        json.dumps(
            {
                "id": f"n{i}",
                "title": f"Tin số {i} về cán bộ xã",
                "body": " ".join(
                    f"Xã họp lần {i} bàn về đường, trường, trạm y tế thôn {j}." for j in range(30)
                ),
            },
            ensure_ascii=False,
        )
        for i in range(2000)
    ]
    (tmp_path / "news.jsonl").write_text("\n".join(lines), "utf-8")
    index_paths([tmp_path / "news.jsonl"], tmp_path / "ix", workers=2)
    started = time.process_time()
    report = check_index(tmp_path / "ix")
    spent = time.process_time() - started
    assert report.healthy and report.articles == 2000
    print(f"check of 2000 articles: {spent:.2f} s CPU, {report.postings} postings")
    shutil.rmtree(tmp_path / "ix")
