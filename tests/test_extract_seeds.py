"""Every field of the five seed pages, as extracted from the files themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from search.parse import parse_record
from search.readers import Record, read_records

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(prefix: str):
    path = next(SEEDS.glob(f"{prefix}_*.txt"))
    (record,) = list(read_records(path))
    assert isinstance(record, Record), record
    return parse_record(record)


@pytest.fixture(scope="module")
def seeds():
    return {p: seed(p) for p in ("000", "001", "002", "003", "004")}


EXPECTED = {
    "000": {
        "title": "Điện Biên Đông xây dựng đội ngũ cán bộ cấp xã đáp ứng yêu cầu nhiệm vụ",
        "date": dt.date(2021, 7, 27),
        "author": "Đức Linh",
        "outlet": "Báo Điện Biên Phủ",
        "url": "http://www.baodienbienphu.info.vn/",
        "province": "Điện Biên",
        "province_2025": "Điện Biên",
        "district": "Điện Biên Đông",
        "commune": None,
        "captions": [
            "Cán bộ bộ phận “Một cửa” xã Háng Lìa giải quyết thủ tục hành chính cho người dân."
        ],
    },
    "001": {
        "title": "Thành phố chú trọng xây dựng đội ngũ cán bộ, công chức cơ sở",
        "date": dt.date(2023, 12, 1),
        "author": "Phùng Khiêm",
        "outlet": "Báo Lạng Sơn",
        "url": None,
        "province": "Lạng Sơn",
        "province_2025": "Lạng Sơn",
        "district": "Lạng Sơn",
        "captions": [
            (
                "Ông Trần Lệnh Trưởng, Bí thư Đảng ủy, Chủ tịch UBND phường Chi Lăng trao "
                "đổi công việc với cán bộ."
            )
        ],
    },
    "002": {
        "title": "Đại Từ đào tạo cán bộ đáp ứng yêu cầu thực tiễn",
        "date": dt.date(2023, 6, 8),
        "author": "Hải Hằng",
        "outlet": None,
        "url": None,
        "province": "Thái Nguyên",
        "province_2025": "Thái Nguyên",
        "district": "Đại Từ",
        "commune": None,
        "captions": [
            (
                "Đội ngũ cán bộ, công chức của thị trấn Hùng Sơn đều đạt chuẩn, đáp ứng tốt "
                "yêu cầu nhiệm vụ."
            )
        ],
    },
    "003": {
        "title": "Thành phố Điện Biên Phủ chú trọng bồi dưỡng cán bộ",
        "date": dt.date(2018, 8, 22),
        "author": "Thu Hằng",
        "outlet": "Báo Điện Biên Phủ",
        "province": "Điện Biên",
        "province_2025": "Điện Biên",
        "district": "Điện Biên Phủ",
        "captions": [
            (
                "Cán bộ bộ phận “Một cửa” UBND xã Thanh Minh giải quyết thủ tục hành chính "
                "cho người dân."
            )
        ],
    },
    "004": {
        "title": "Hiệu quả từ công tác luân chuyển, tăng cường cán bộ tại các xã thuộc huyện nghèo",
        "date": dt.date(2022, 5, 11),
        "author": "Thu Cúc",
        "outlet": None,
        "province": "Bắc Kạn",
        "province_2025": "Thái Nguyên",
        "district": None,
        "commune": None,
        "captions": [
            (
                "Đồng chí Ma Thế Huấn trao đổi về công tác lãnh đạo, chỉ đạo tại cơ sở với "
                "học viên Trường Chính trị tỉnh"
            )
        ],
    },
}


@pytest.mark.parametrize(
    "prefix,field,expected",
    [(p, f, v) for p, fields in EXPECTED.items() for f, v in fields.items()],
)
def test_seed_field(seeds, prefix, field, expected):
    assert getattr(seeds[prefix], field) == expected


@pytest.mark.parametrize(
    "prefix,lead_start",
    [
        ("000", "ĐBP - Cán bộ, công chức (CBCC) cấp xã"),
        ("001", "(LSO) – Xác định xây dựng đội ngũ"),
        ("002", "Cán bộ, công chức cấp xã là những người trực tiếp"),
        ("003", "ĐBP - Hướng đến mục tiêu xây dựng nền hành chính"),
        ("004", "Những năm qua, với những cách làm phù hợp"),
    ],
)
def test_seed_lead(seeds, prefix, lead_start):
    assert seeds[prefix].lead.startswith(lead_start)


@pytest.mark.parametrize(
    "prefix,refs",
    [
        (
            "000",
            [
                ("1184/KL-UBND", "Kết luận"),
                ("47/UBND-UBND-TTr", "Kết luận"),
                ("553/BC-UBND", "Báo cáo"),
            ],
        ),
        (
            "001",
            [
                ("Nghị quyết 37", "Nghị quyết"),
                ("Kế hoạch 51", "Kế hoạch"),
                ("Kế hoạch 97", "Kế hoạch"),
            ],
        ),
        ("002", []),
        ("003", [("774/KH-UBND", "Kế hoạch")]),
        ("004", [("70/2009/QĐ-TTg", "Quyết định")]),
    ],
)
def test_seed_policy_refs(seeds, prefix, refs):
    assert [(r.ref, r.kind) for r in seeds[prefix].policy_refs] == refs


@pytest.mark.parametrize(
    "prefix,topics",
    [
        ("000", {"Đào tạo – bồi dưỡng", "Tổ chức cán bộ"}),
        ("001", {"Tổ chức cán bộ", "Đào tạo – bồi dưỡng"}),
        ("002", {"Đào tạo – bồi dưỡng", "Tổ chức cán bộ"}),
        ("003", {"Đào tạo – bồi dưỡng", "Tổ chức cán bộ"}),
        ("004", {"Tổ chức cán bộ", "Giảm nghèo"}),
    ],
)
def test_seed_topics(seeds, prefix, topics):
    assert set(seeds[prefix].topics) == topics


# Text that must be gone from the body (chrome, captions, bylines, side panels).
@pytest.mark.parametrize(
    "prefix,gone",
    [
        ("000", "Số/Ký hiệu"),
        ("000", "LIÊN KẾT WEBSITE"),
        ("000", "THỐNG KÊ TRUY CẬP"),
        ("000", "Tổng truy cập"),
        ("000", "Nguồn tin"),
        ("000", "Bài, ảnh"),
        ("000", "Háng Lìa"),
        ("000", "Kết luận Thanh tra"),
        ("001", "PHÙNG KHIÊM"),
        ("001", "Thứ sáu"),
        ("001", "trao đổi công việc với cán bộ."),
        ("002", "Hải Hằng"),
        ("002", "thị trấn Hùng Sơn đều đạt chuẩn"),
        ("003", "Lượt xem"),
        ("003", "In bài viết"),
        ("003", "Bình luận"),
        ("003", "Tin khác"),
        ("003", "Back To Top"),
        ("003", "Thu Hằng"),
        ("003", "xã Thanh Minh"),
        ("004", "PublishingPortal"),
        ("004", "Block_BanTin"),
        ("004", "Tăng cỡ chữ"),
        ("004", "Giảm cỡ chữ"),
        ("004", "Thu Cúc"),
        ("004", "11/05/2022"),
    ],
)
def test_seed_body_has_no_chrome(seeds, prefix, gone):
    article = seeds[prefix]
    assert gone not in article.body
    assert gone not in article.title


@pytest.mark.parametrize(
    "prefix,kept",
    [
        ("000", "Huyện Điện Biên Đông hiện có 276 cán bộ chuyên trách"),
        ("000", "xây dựng nông thôn mới đều được xã thực hiện hiệu quả"),
        ("001", "Thực hiện đồng bộ các giải pháp"),
        ("001", "Nhiều chỉ tiêu đạt và vượt"),
        ("002", "có 90% cán bộ, công chức hoàn thành tốt nhiệm vụ trở lên."),
        ("003", "Kế hoạch số 774/KH - UBND"),
        ("004", "sát thực tế hơn./."),
    ],
)
def test_seed_body_keeps_text(seeds, prefix, kept):
    assert kept in seeds[prefix].body


def test_seed_003_lookalike_letters_are_repaired(seeds):
    assert "Ð" not in seeds["003"].title + seeds["003"].body
    assert seeds["003"].title.startswith("Thành phố Điện Biên Phủ")


def test_seed_002_caption_kept_once(seeds):
    assert len(seeds["002"].captions) == 1


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_source_path_and_hash(seeds, prefix):
    article = seeds[prefix]
    assert Path(article.source_path).name.startswith(prefix)
    assert len(article.content_hash) == 32
