"""Input files to records and records to articles: formats, encodings, bad input."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from helpers import to_cp1258

from search.errors import BadArticle
from search.parse import decode, parse_record
from search.readers import MAX_BYTES, MAX_EMPTY_RUN, Record, Skipped, iter_files, read_records

PAGE = """Huyện Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn

Thứ Năm, 08/06/2023

Cán bộ, công chức cấp xã là những người trực tiếp tổ chức triển khai thực hiện việc đưa chủ
trương, đường lối của Đảng đến nhân dân, vì vậy huyện Đại Từ luôn chú trọng đào tạo, bồi dưỡng.

Kết quả từ năm 2021 đến nay, huyện Đại Từ đã tổ chức 142 lớp đào tạo, bồi dưỡng cho trên 9.500
học viên là cán bộ, công chức, viên chức tham gia học tập nâng cao trình độ chuyên môn.

Thu Cúc
"""


def records(path):
    return list(read_records(path))


def article_of(path):
    (rec,) = records(path)
    assert isinstance(rec, Record)
    return parse_record(rec)


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: s.encode("utf-8-sig"),
        lambda s: s.encode("utf-16"),  # with BOM
        lambda s: unicodedata.normalize("NFD", s).encode("utf-8"),
        to_cp1258,
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf8-nfd", "cp1258"],
)
def test_encodings_decode_to_the_same_article(tmp_path, encode):
    path = tmp_path / "bai.txt"
    path.write_bytes(encode(PAGE))
    article = article_of(path)
    assert article.title == "Huyện Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn"
    assert article.date == dt.date(2023, 6, 8)
    assert article.author == "Thu Cúc"
    assert article.province == "Thái Nguyên"
    assert unicodedata.is_normalized("NFC", article.body)


def test_cp1258_bytes_are_not_utf8():
    with pytest.raises(UnicodeDecodeError):
        to_cp1258(PAGE).decode("utf-8")


@pytest.mark.parametrize(
    "raw, code, reason",
    [
        (b"", "empty", "tệp rỗng"),
        (b"  \n\t\n", "empty", "tệp rỗng"),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
            "binary",
            "tệp nhị phân (có byte NUL)",
        ),
        (bytes(range(0x80, 0x100)) * 8, "undecodable", "không giải mã được"),
        (
            "Cán bộ cấp xã".encode() + b"\xff\xfe\xfa",
            "undecodable",
            "không giải mã được: không phải UTF-8 hợp lệ (lỗi ở byte 19)",
        ),
    ],
)
def test_bad_bytes_raise_bad_article(raw, code, reason):
    with pytest.raises(BadArticle) as e:
        decode(raw, "x.txt")
    assert e.value.reason.startswith(reason)
    assert e.value.code == code
    assert e.value.source == "x.txt"


def test_oversized_page_is_skipped(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (MAX_BYTES + 1))
    (item,) = records(path)
    assert isinstance(item, Skipped)
    assert item.reason == f"lớn hơn 10 MB ({MAX_BYTES + 1} byte)" and item.code == "too_large"


def test_iter_files_finds_every_kind_and_reports_the_rest(tmp_path):
    for name in ("a.txt", "b.html", "c.htm", "d.jsonl", "e.jsonl.gz", "sub/f.TXT", "g.pdf"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x")
    # Files by name; a Skipped (none is expected in a folder) stays in, to fail the test.
    found = [p if isinstance(p, Skipped) else p.name for p in iter_files([tmp_path])]
    assert found == ["a.txt", "b.html", "c.htm", "d.jsonl", "e.jsonl.gz", "f.TXT"]
    (pdf, missing) = list(iter_files([tmp_path / "g.pdf", tmp_path / "nope"]))
    assert isinstance(pdf, Skipped) and isinstance(missing, Skipped)
    assert (pdf.reason, missing.reason) == (
        "loại tệp không được hỗ trợ: .pdf",
        "không có tệp hay thư mục này",
    )
    assert (pdf.code, missing.code) == ("unsupported_type", "not_found")


HTML = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn - Báo Thái Nguyên</title>
<link rel="canonical" href="https://baothainguyen.vn/chinh-tri/dai-tu-dao-tao-can-bo-123.html">
<meta property="og:title" content="Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn">
<meta name="author" content="HẢI HẰNG">
<meta property="article:published_time" content="2023-06-08T08:17:00+07:00">
</head><body>
<nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự</a></li>
<li><a href="/kinh-te">Kinh tế</a></li></ul></nav>
<div class="toolbar">Tăng cỡ chữ Giảm cỡ chữ | In bài viết</div>
<article><h1>Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn</h1>
<p class="sapo">Cán bộ, công chức cấp xã là những người trực tiếp tổ chức triển khai thực hiện
việc đưa chủ trương của Đảng đến nhân dân. Vì vậy, huyện Đại Từ luôn chú trọng nâng cao trình
độ.</p>
<figure><img src="a.jpg" alt="Đội ngũ cán bộ, công chức của thị trấn Hùng Sơn đều đạt chuẩn.">
<figcaption>Đội ngũ cán bộ, công chức của thị trấn Hùng Sơn đều đạt chuẩn.</figcaption></figure>
<p>Đồng chí Nguyễn Mạnh Hoạt, Phó Bí thư Thường trực Huyện ủy Đại Từ, cho biết: thời đại 4.0
đòi hỏi đội ngũ cán bộ ngày càng hoàn thiện, giỏi chuyên môn, nghiệp vụ, quản lý nhà nước.</p>
<p>Kết quả từ năm 2021 đến nay, huyện Đại Từ đã tổ chức 142 lớp đào tạo, bồi dưỡng cho trên
9.500 học viên là cán bộ, công chức, viên chức tham gia học tập nâng cao trình độ.</p>
</article>
<aside><h3>Tin khác</h3><ul><li><a href="/x">Thái Nguyên tăng cường công tác cán bộ</a></li>
</ul></aside>
<footer>Bản quyền thuộc Báo Thái Nguyên. Lượt xem: 1234</footer></body></html>
"""


@pytest.fixture(scope="module")
def html_article(tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "dai-tu.html"
    path.write_text(HTML, encoding="utf-8")
    (rec,) = records(path)
    assert rec.kind == "html"
    return parse_record(rec)


@pytest.mark.parametrize(
    "field,expected",
    [
        ("id", "dai-tu"),
        ("title", "Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn"),
        ("date", dt.date(2023, 6, 8)),
        ("author", "Hải Hằng"),
        ("url", "https://baothainguyen.vn/chinh-tri/dai-tu-dao-tao-can-bo-123.html"),
        ("outlet", "Báo Thái Nguyên"),
        ("province", "Thái Nguyên"),
        ("district", "Đại Từ"),
        ("captions", ["Đội ngũ cán bộ, công chức của thị trấn Hùng Sơn đều đạt chuẩn."]),
    ],
)
def test_html_fields(html_article, field, expected):
    assert getattr(html_article, field) == expected


@pytest.mark.parametrize(
    "gone",
    ["Trang chủ", "Tăng cỡ chữ", "Tin khác", "Lượt xem", "Bản quyền", "Hùng Sơn đều đạt chuẩn"],
)
def test_html_body_has_no_chrome(html_article, gone):
    assert gone not in html_article.body


@pytest.mark.parametrize(
    "dateline, expected",
    [
        ("Thứ Hai, 02/12/2026 14:30", dt.date(2026, 12, 2)),
        # htmldate's extensive search (dateparser) read this as 2026-01-01.
        ("14:30 ngày 2 tháng 12 năm 2026", dt.date(2026, 12, 2)),
        ("7/27/2021 9:41:40 AM", dt.date(2021, 7, 27)),  # month first, as the portals print it
    ],
)
def test_html_dates_in_the_text(tmp_path, dateline, expected):
    path = tmp_path / "dated.html"
    path.write_text(
        "<html><body><article><h1>Huyện hỗ trợ hộ nghèo xây nhà</h1>"
        f"<p class='date'>{dateline}</p><p>UBND huyện hỗ trợ hộ nghèo xây nhà trong năm "
        "nay; cán bộ xã ở thôn bản cùng giúp sức.</p><p>Huyện sẽ tiếp tục triển khai.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    (rec,) = records(path)
    assert parse_record(rec).date == expected


def test_html_lead_and_body(html_article):
    assert html_article.lead.startswith("Cán bộ, công chức cấp xã")
    assert "142 lớp đào tạo" in html_article.body


LINES = [
    {
        "id": "alqac/luật phòng, chống ma túy@1",
        "title": "Điều 1. Phạm vi điều chỉnh",
        "body": "Luật này quy định về phòng, chống ma túy.",
        "date": None,
        "url": None,
        "category": None,
        "source": None,
    },
    {
        "id": "local/2",
        "title": "Huyện Điện Biên Đông tăng cường công tác cán bộ",
        "body": "Huyện Điện Biên Đông, tỉnh Điện Biên đã luân chuyển 12 cán bộ về cơ sở.",
        "date": "2021-07-27",
        "url": "http://www.baodienbienphu.info.vn/tin/1",
        "author": "ĐỨC LINH",
        "province": "Lạng Sơn",
        "topics": ["Kinh tế"],
        "captions": ["Ảnh một", "Ảnh một"],
    },
]


def write_jsonl(path, lines, gz=False):
    data = b"".join(
        line if isinstance(line, bytes) else json.dumps(line, ensure_ascii=False).encode() + b"\n"
        for line in lines
    )
    if gz:
        with gzip.open(path, "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


@pytest.mark.parametrize("name,gz", [("a.jsonl", False), ("a.jsonl.gz", True)])
def test_jsonl_records_with_a_broken_line(tmp_path, name, gz):
    path = tmp_path / name
    write_jsonl(
        path,
        [
            LINES[0],
            b'{"id": "broken", "title": \n',
            b"\n",
            LINES[1],
            b'{"title": "no id", "body": "x"}\n',
        ],
        gz=gz,
    )
    items = records(path)
    assert [type(i).__name__ for i in items] == ["Record", "Skipped", "Record", "Skipped"]
    assert items[0].id == "alqac/luật phòng, chống ma túy@1"
    assert items[0].source == f"{path}:1"
    assert items[0].kind == "json"
    assert items[1].source == f"{path}:2"
    assert items[1].reason.startswith("dòng JSON không hợp lệ (") and items[1].code == "bad_json"
    assert items[2].source == f"{path}:4"
    assert items[3].reason == 'dòng JSON không có "id"' and items[3].code == "no_id"
    assert items[0].hash != items[2].hash


def test_jsonl_given_fields_win(tmp_path):
    path = tmp_path / "a.jsonl"
    write_jsonl(path, LINES)
    first, second = (parse_record(r) for r in records(path))
    assert first.id == "alqac/luật phòng, chống ma túy@1"
    assert first.source_path == f"{path}:1"
    assert second.date == dt.date(2021, 7, 27)
    assert second.author == "Đức Linh"
    assert second.url == "http://www.baodienbienphu.info.vn/tin/1"
    assert second.urls == ["http://www.baodienbienphu.info.vn/tin/1"]
    assert second.outlet == "Báo Điện Biên Phủ"  # inferred from the URL
    assert second.province == "Lạng Sơn"  # given, although the text says otherwise
    assert second.province_2025 == "Lạng Sơn"
    assert second.topics == ["Kinh tế"]
    assert second.captions == ["Ảnh một"]


def test_jsonl_infers_missing_fields(tmp_path):
    path = tmp_path / "a.jsonl"
    line = {
        "id": "x",
        "title": "Bắc Kạn luân chuyển cán bộ",
        "body": "Tỉnh Bắc Kạn đã luân chuyển, tăng cường cán bộ cho các xã thuộc huyện "
        "nghèo theo Quyết định số 70/2009/QĐ-TTg.\nThu Cúc",
        "source": "VnExpress",
    }
    write_jsonl(path, [line])
    article = article_of(path)
    assert (article.province, article.province_2025) == ("Bắc Kạn", "Thái Nguyên")
    assert article.outlet == "VnExpress"
    assert article.author == "Thu Cúc"
    assert [r.key for r in article.policy_refs] == ["70/2009/QD-TTG"]
    assert "Tổ chức cán bộ" in article.topics


def test_json_record_without_text_is_bad(tmp_path):
    path = tmp_path / "a.jsonl"
    write_jsonl(path, [{"id": "x", "title": "", "body": ""}])
    (rec,) = records(path)
    with pytest.raises(BadArticle) as e:
        parse_record(rec)
    assert (e.value.source, e.value.reason) == (f"{path}:1", "không có tiêu đề và nội dung")
    assert e.value.code == "no_text"


def test_truncated_gzip_keeps_the_lines_before(tmp_path):
    path = tmp_path / "a.jsonl.gz"
    write_jsonl(path, LINES * 50, gz=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    items = records(path)
    assert all(isinstance(i, Record) for i in items[:-1])
    assert isinstance(items[-1], Skipped)
    assert items[-1].reason == "không đọc được: tệp gzip bị cắt cụt"
    assert items[-1].code == "unreadable"


def test_what_is_not_a_regular_file_is_said(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes("Tiêu đề\n\nNội dung.".encode())
    os.mkfifo(folder / "pipe.txt")
    found = list(iter_files([folder, tmp_path / "in" / "pipe.txt", "/dev/null"]))
    assert found[0] == folder / "a.txt"
    skipped = [(s.source.rsplit("/", 1)[-1], s.code) for s in found[1:] if isinstance(s, Skipped)]
    assert skipped == [
        ("pipe.txt", "not_regular"),
        ("pipe.txt", "not_regular"),
        ("null", "not_regular"),
    ]
    assert all(isinstance(s, Skipped) and "không phải tệp thường" in s.reason for s in found[1:])


@pytest.mark.parametrize("filler", [b"\n", b"  \r\n", b"{}\n", b"5\n"])
def test_a_run_of_lines_without_articles_ends_the_file(tmp_path, filler):
    # 1 MB of gzip can hold a billion empty lines: the reader stops after a run
    # of MAX_EMPTY_RUN and says so, keeping what came before.
    first = json.dumps({"id": "first", "title": "Tin đầu", "body": "Nội dung."}).encode()
    last = json.dumps({"id": "last", "title": "Tin cuối", "body": "Nội dung."}).encode()
    f = tmp_path / "bomb.jsonl.gz"
    with gzip.open(f, "wb") as out:
        out.write(first + b"\n" + filler * (3 * MAX_EMPTY_RUN) + last + b"\n")
    records = list(read_records(f))
    head, tail = records[0], records[-1]
    assert isinstance(head, Record) and head.id == "first"
    assert isinstance(tail, Skipped) and tail.code == "no_records"
    assert "phần còn lại của tệp" in tail.reason
    assert len(records) <= MAX_EMPTY_RUN + 2
    assert "last" not in {r.id for r in records if isinstance(r, Record)}


def test_a_run_shorter_than_the_limit_is_read_through(tmp_path):
    f = tmp_path / "gaps.jsonl"
    line = json.dumps({"id": "x", "title": "Tin", "body": "Nội dung."}).encode()
    f.write_bytes(line + b"\n" * (MAX_EMPTY_RUN - 1) + line.replace(b'"x"', b'"y"') + b"\n")
    assert [r.id if isinstance(r, Record) else r for r in read_records(f)] == ["x", "y"]


def test_a_folder_that_cannot_be_listed_is_said(tmp_path):
    # As root, permissions bind only without the capabilities that override them.
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("setpriv (util-linux) is not installed")
    folder = tmp_path / "in"
    (folder / "closed").mkdir(parents=True)
    (folder / "a.txt").write_bytes("Tiêu đề\n\nNội dung bài.".encode())
    (folder / "closed" / "b.txt").write_bytes("Tiêu đề hai\n\nNội dung.".encode())
    (folder / "closed").chmod(0)
    caps = "-dac_override,-dac_read_search"
    vnsearch = Path(sys.executable).with_name("vnsearch")
    try:
        run = subprocess.run(
            [
                setpriv,
                f"--bounding-set={caps}",
                f"--inh-caps={caps}",
                str(vnsearch),
                "index",
                str(folder),
                "--index",
                str(tmp_path / "ix"),
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        (folder / "closed").chmod(0o755)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "lập chỉ mục 1" in run.stdout and "bỏ qua 1" in run.stdout
    assert "closed" in run.stderr and "không có quyền đọc" in run.stderr
