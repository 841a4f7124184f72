"""Index lifecycle: incremental runs, no duplicates, schema versions, bad files, stats."""

import json
import shutil
import subprocess
import sys

import pytest

from search.backends import index_stats
from search.backends.base import SCHEMA_VERSION
from search.backends.whoosh_index import open_index
from search.check import check_index
from search.engine import Engine
from search.errors import ArticleNotFound, IndexMissing, IndexOutdated
from search.index import META_FILE
from search.ingest import index_paths

SEED = "000_5bb86f784192a000"


@pytest.fixture
def corpus(tmp_path, seed_dir):
    d = tmp_path / "corpus"
    shutil.copytree(seed_dir, d)
    return d


def test_rerun_indexes_only_new_or_changed(corpus, empty_index):
    first = index_paths([corpus], empty_index, workers=1)
    assert (first.indexed, first.unchanged) == (5, 0)
    second = index_paths([corpus], empty_index, workers=1)
    assert (second.indexed, second.unchanged) == (0, 5)

    text = (corpus / f"{SEED}.txt").read_text("utf-8")
    (corpus / f"{SEED}.txt").write_text(text.replace("Háng Lìa", "Mường Luân xyzzy"), "utf-8")
    (corpus / "new_article.txt").write_text("Bài mới về cải cách hành chính\n\nNội dung.", "utf-8")
    third = index_paths([corpus], empty_index, workers=1)
    assert (third.indexed, third.unchanged) == (2, 4)

    engine = Engine(empty_index)
    assert engine.count() == 6
    assert [h.id for h in engine.search("xyzzy").hits] == [SEED]
    assert engine.search("Háng Lìa").total == 0
    assert next(h.id for h in engine.search("cải cách hành chính").hits) == "new_article"


def test_worker_processes_give_the_same_index(corpus, tmp_path):
    for i in range(70):  # above the pool threshold
        (corpus / f"extra_{i:03d}.txt").write_text(
            f"Tin số {i} về xã Mường Luân\n\nUBND xã họp lần thứ {i} về cán bộ.", "utf-8"
        )
    one = index_paths([corpus], tmp_path / "one", workers=1)
    two = index_paths([corpus], tmp_path / "two", workers=2)
    assert one.indexed == two.indexed == 75
    a, b = Engine(tmp_path / "one"), Engine(tmp_path / "two")
    for q in ("cán bộ cấp xã", "muong luan", "lần thứ 42"):
        assert [h.id for h in a.search(q).hits] == [h.id for h in b.search(q).hits]


@pytest.mark.parametrize("chunk, batch, commits", [(64, 50, 6), (256, 100, 3), (64, 1000, 1)])
@pytest.mark.whoosh_only  # Whoosh's generations
def test_commits_fall_every_batch_across_pool_chunks(tmp_path, monkeypatch, chunk, batch, commits):
    # The pool is fed in chunks; a commit must still come every `batch` articles
    # (not every chunk: small commits multiply segments and merges).
    from search import ingest

    monkeypatch.setattr(ingest, "CHUNK", chunk)
    lines = [
        json.dumps(
            {"id": f"n{i}", "title": f"Tin {i}", "body": f"Xã họp lần {i}."}, ensure_ascii=False
        )
        for i in range(300)
    ]
    (tmp_path / "news.jsonl").write_text("\n".join(lines), "utf-8")
    index_paths([tmp_path / "news.jsonl"], tmp_path / "ix", workers=2, batch_size=batch)
    ix = open_index(tmp_path / "ix")
    assert ix.latest_generation() == commits
    assert ix.doc_count() == 300


@pytest.mark.whoosh_only  # Whoosh's segments
@pytest.mark.parametrize(
    "batch, sizes",
    [
        (20, [60, 400]),  # Whoosh leaves 400 + 20 + 20 + 20: the three small ones merged
        (30, [30, 30, 400]),  # two small ones: fewer than TIDY_SEGMENTS, left as they are
    ],
)
def test_a_run_ends_without_a_tail_of_small_segments(tmp_path, batch, sizes):
    # Whoosh's merge policy leaves small segments beside a big one, each read again
    # by every search: the end of a run merges TIDY_SEGMENTS or more of those under
    # TIDY_SHARE of the index into one.
    def news(name, numbers):
        lines = [
            json.dumps({"id": f"n{i}", "title": f"Tin {i}", "body": f"Xã Mường Luân họp lần {i}."})
            for i in numbers
        ]
        (tmp_path / name).write_text("\n".join(lines), "utf-8")
        return tmp_path / name

    index_paths([news("a.jsonl", range(400))], tmp_path / "ix", workers=1, batch_size=400)
    report = index_paths(
        [news("b.jsonl", range(400, 460))], tmp_path / "ix", workers=1, batch_size=batch
    )
    assert report.indexed == 60
    segments = open_index(tmp_path / "ix")._read_toc().segments
    assert sorted(s.doc_count_all() for s in segments) == sizes
    engine = Engine(tmp_path / "ix")
    assert engine.search("Mường Luân", per_page=1).total == 460
    assert [h.id for h in engine.search("lần 437").hits][:1] == ["n437"]
    assert check_index(tmp_path / "ix").healthy  # the vocabulary matches the last commit


@pytest.mark.parametrize(
    "name, content, code, reason",
    [
        ("empty.txt", b"", "empty", "tệp rỗng"),
        ("blank.txt", b"  \n\n ", "empty", "tệp rỗng"),
        ("binary.txt", b"\x00\x01\x02PNG\x00" * 50, "binary", "tệp nhị phân"),
        (
            "latin.txt",
            "Cán bộ".encode() + b"\xff\xfe\xfa invalid",
            "undecodable",
            "không phải UTF-8 hợp lệ",
        ),
    ],
)
def test_bad_files_are_skipped_with_a_reason(corpus, empty_index, name, content, code, reason):
    (corpus / name).write_bytes(content)
    report = index_paths([corpus], empty_index, workers=1)
    assert report.indexed == 5
    assert [(s.source.endswith(name), s.code, reason in s.reason) for s in report.skipped] == [
        (True, code, True)
    ]
    assert Engine(empty_index).count() == 5


def test_utf16_and_bom_files_are_read(corpus, empty_index):
    (corpus / "u16.txt").write_bytes("Bài UTF-16 về Điện Biên\n\nNội dung.".encode("utf-16"))
    (corpus / "bom.txt").write_bytes("\ufeffBài có BOM về Lạng Sơn\n\nNội dung.".encode("utf-8"))
    report = index_paths([corpus], empty_index, workers=1)
    assert report.skipped == []
    engine = Engine(empty_index)
    assert engine.article("u16").title == "Bài UTF-16 về Điện Biên"
    assert engine.article("bom").title == "Bài có BOM về Lạng Sơn"


def test_missing_paths_are_reported(empty_index, corpus):
    report = index_paths([corpus, corpus / "nope"], empty_index, workers=1)
    assert [(s.code, s.reason) for s in report.skipped] == [
        ("not_found", "không có tệp hay thư mục này")
    ]


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(IndexMissing, match="chưa có chỉ mục ở"):
        open_index(tmp_path / "nothing")
    with pytest.raises(IndexMissing):
        Engine(tmp_path / "nothing").search("cán bộ")


@pytest.mark.whoosh_only  # --rebuild
def test_outdated_schema_is_refused_until_rebuild(corpus, empty_index):
    index_paths([corpus], empty_index, workers=1)
    meta = empty_index / META_FILE
    meta.write_text(json.dumps({"schema_version": SCHEMA_VERSION - 1}), "utf-8")
    with pytest.raises(IndexOutdated, match="--rebuild"):
        Engine(empty_index).search("cán bộ")
    with pytest.raises(IndexOutdated, match="--rebuild"):
        index_paths([corpus], empty_index, workers=1)  # never rebuilt implicitly
    report = index_paths([], empty_index, workers=1, rebuild=True)
    assert report.note and "giữ lại 5 bài đã lưu" in report.note
    assert json.loads(meta.read_text("utf-8"))["schema_version"] == SCHEMA_VERSION
    assert Engine(empty_index).count() == 5
    again = index_paths([corpus], empty_index, workers=1)
    assert (again.indexed, again.unchanged) == (0, 5)


def test_stats(index_dir):
    s = index_stats(index_dir)
    assert s["articles"] == Engine(index_dir).count()
    assert s["schema_version"] == SCHEMA_VERSION
    assert {
        "text",
        "title",
        "exact",
        "words",
        "policy_refs",
        "province",
        "province_2025",
        "topics",
        "date",
    } <= set(s["fields"])
    assert s["size_bytes"] > 0


def test_show_round_trips_the_article(engine):
    article = engine.article("syn/hiểu một lần")
    assert article.province == "Điện Biên"
    assert article.to_dict()["date"] == "2024-03-05"
    with pytest.raises(ArticleNotFound):
        engine.article("syn/none")


def test_new_commits_are_seen_without_reopening(corpus, empty_index):
    index_paths([corpus], empty_index, workers=1)
    engine = Engine(empty_index)
    assert engine.search("xyzzy").total == 0
    (corpus / "late.txt").write_text("Tin đến muộn xyzzy\n\nNội dung.", "utf-8")
    index_paths([corpus], empty_index, workers=1)
    assert [h.id for h in engine.search("xyzzy").hits] == ["late"]
    assert engine.search("").total == 6


REPUBLISHED = (
    "{title}\n\n{chrome}\n\n"
    "Những năm qua, huyện Mường Chà đã chú trọng đào tạo, bồi dưỡng đội ngũ cán bộ, công chức "
    "cấp xã, nâng cao trình độ chuyên môn, lý luận chính trị và kỹ năng quản lý nhà nước cho "
    "hơn 300 lượt cán bộ, đáp ứng yêu cầu nhiệm vụ trong tình hình mới.\n\n"
    "Nguồn tin: {url}\n"
)


def test_republished_article_is_one_article_with_every_url(tmp_path, empty_index):
    d = tmp_path / "pub"
    d.mkdir()
    (d / "paper.txt").write_text(
        REPUBLISHED.format(
            title="Mường Chà chú trọng đào tạo cán bộ cấp xã",
            chrome="Tăng cỡ chữ Giảm cỡ chữ",
            url="https://baodienbienphu.info.vn/tin/muong-cha",
        ),
        "utf-8",
    )
    (d / "portal.txt").write_text(
        REPUBLISHED.format(
            title="Mường Chà chú trọng đào tạo cán bộ cấp xã",
            chrome="In bài viết",
            url="https://muongcha.dienbien.gov.vn/tin/123",
        ),
        "utf-8",
    )
    report = index_paths([d], empty_index, workers=1)
    assert (report.indexed, report.merged) == (1, 1)
    engine = Engine(empty_index)
    assert engine.count() == 1
    article = engine.article("portal")  # the merged id still leads to the article
    assert article.id == "paper"
    assert {article.url, *article.urls} == {
        "https://baodienbienphu.info.vn/tin/muong-cha",
        "https://muongcha.dienbien.gov.vn/tin/123",
    }
    again = index_paths([d], empty_index, workers=1)
    assert (again.indexed, again.merged, again.unchanged) == (0, 0, 2)
    engine.close()


# Whoosh pickles the schema, field formats and analyzers included, into each
# table of contents. The classes live behind the storage seam but are named where
# they were first defined, so that vnsearch of every release with this schema
# version, older ones included, reads the same files.
@pytest.mark.whoosh_only  # the pickled schema is Whoosh's
def test_the_table_of_contents_names_classes_where_every_version_finds_them(seed_dir, empty_index):
    index_paths([seed_dir], empty_index, workers=1)
    toc = b"".join(p.read_bytes() for p in empty_index.glob("*.toc"))
    for old, names in {
        "search.analysis": ("VietnameseTokenizer", "ToneFilter", "FoldFilter", "CompoundFilter"),
        "search.fields": ("CompactPositions", "RelativePositions", "PreparedText"),
    }.items():
        assert old.encode() in toc
        for name in names:
            assert name.encode() in toc
    assert b"search.backends.whoosh_" not in toc.replace(b"whoosh_codec", b"")

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "search",
            "search",
            "hoà giải",
            "--index",
            str(empty_index),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["total"] == 1
    assert check_index(empty_index).healthy
