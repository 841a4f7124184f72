"""Field extractors on synthetic inputs: dates, bylines, captions, outlets, places, topics."""

from __future__ import annotations

import datetime as dt

import pytest

from search.analysis import fold
from search.article import Article
from search.extract import fingerprint
from search.extract.bylines import credit_author, name_line_author, source_of, title_case
from search.extract.chrome import is_chrome
from search.extract.dates import is_dateline, parse_date
from search.extract.outlets import Outlet, by_code, by_name, by_url, lead_code
from search.extract.places import find_places, province_2025
from search.extract.topics import find_topics
from search.parse import parse_article


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Thời gian đăng: 7/27/2021 9:41:40 AM", dt.date(2021, 7, 27)),
        ("Thời gian đăng: 3/4/2021 9:41:40 AM", dt.date(2021, 3, 4)),  # AM/PM: month first
        ("Thứ sáu, 01/12/2023", dt.date(2023, 12, 1)),
        ("Thứ Hai, 04/03/2024", dt.date(2024, 3, 4)),  # weekday agrees
        ("Thứ Hai, 03/04/2023", dt.date(2023, 4, 3)),  # weekday agrees
        ("Thứ Bảy, 03/04/2023", dt.date(2023, 3, 4)),  # weekday overrides
        ("08:17, 08/06/2023", dt.date(2023, 6, 8)),
        ("10:06 - Thứ Tư, 22/08/2018", dt.date(2018, 8, 22)),
        ("11/05/2022", dt.date(2022, 5, 11)),
        ("Cập nhật: 05-09-2019 14:20", dt.date(2019, 9, 5)),
        ("2023-06-08T08:17:00+07:00", dt.date(2023, 6, 8)),
        ("Ngày 8 tháng 6 năm 2023", dt.date(2023, 6, 8)),
        ("ngay 8 thang 6 nam 2023", dt.date(2023, 6, 8)),
        ("31/02/2023", None),
        ("Lượt xem: 7476", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "line,expected",
    [
        ("Hải Hằng 08:17, 08/06/2023", True),
        ("Thứ sáu, 01/12/2023", True),
        (
            (
                "Khi Nghị quyết 37, ngày 13/2/2012 của Ban Thường vụ Tỉnh ủy về xây dựng đội ngũ cán bộ, "
                "công chức xã, phường được ban hành, Thành ủy đã triển khai thực hiện."
            ),
            False,
        ),
        ("Điện Biên Đông xây dựng đội ngũ cán bộ cấp xã", False),
    ],
)
def test_is_dateline(line, expected):
    assert is_dateline(line) == expected


def test_date_in_text_is_not_the_publication_date():
    text = (
        "Hội nghị tổng kết Nghị quyết 37\n\n"
        "Ngày 13/2/2012, Ban Thường vụ Tỉnh ủy ban hành Nghị quyết 37 về xây dựng đội ngũ "
        "cán bộ, công chức xã, phường, thị trấn đến năm 2015 và những năm tiếp theo.\n\n"
        "Sau hơn 5 năm triển khai thực hiện nghị quyết, nhiều chỉ tiêu đạt và vượt kế hoạch "
        "đề ra, tỷ lệ cán bộ đạt chuẩn ngày càng cao."
    )
    assert parse_article(text, "x").date is None


@pytest.mark.parametrize(
    "line,expected",
    [
        ("Bài, ảnh: Đức Linh", "Đức Linh"),
        ("Bài và ảnh: THU HẰNG", "Thu Hằng"),
        ("Tin, ảnh: Minh Anh - Quốc Hùng", "Minh Anh, Quốc Hùng"),
        ("Bài: Lò Văn Pọm (CTV)", "Lò Văn Pọm"),
        ("Bài viết rất hay", None),
    ],
)
def test_credit_author(line, expected):
    assert credit_author(line) == expected


@pytest.mark.parametrize(
    "line,expected",
    [
        ("PHÙNG KHIÊM", "Phùng Khiêm"),
        ("Thu Cúc", "Thu Cúc"),
        ("Back To Top", None),
        ("Bình luận", None),
        ("Tin khác", None),
        ("Sau hơn 5 năm", None),
        ("LIÊN KẾT WEBSITE", None),
    ],
)
def test_name_line_author(line, expected):
    assert name_line_author(line) == expected


def test_title_case():
    assert title_case("NGUYỄN ĐỨC LINH") == "Nguyễn Đức Linh"


@pytest.mark.parametrize(
    "line,expected",
    [
        ("Nguồn tin: http://www.baodienbienphu.info.vn/", "http://www.baodienbienphu.info.vn/"),
        ("Nguồn: Báo Lạng Sơn", "Báo Lạng Sơn"),
        ("Theo đó, huyện đã cử 3 cán bộ đi học", None),
        # Folding that changes the length ("þ" -> "th"), with no space (found by hypothesis).
        ("Nguồn:þéïchu", "þéïchu"),
        ("Nguồn tin:  Þórr 2020", "Þórr 2020"),
    ],
)
def test_source_of(line, expected):
    assert source_of(line) == expected


@pytest.mark.parametrize(
    "line,expected",
    [
        ("PublishingPortal - Block_BanTin_Toolbar", True),
        ("Tăng cỡ chữ Giảm cỡ chữ", True),
        ("Back To Top", True),
        ("Bình luận", True),
        ("Tin khác", True),
        ("Lượt xem: 7476", True),
        ("In bài viết", True),
        ("• LIÊN KẾT WEBSITE", True),
        ("• Số/Ký hiệu: 553/BC-UBND", True),
        ("Tổng truy cập: Tổng lượt truy cập Trang", True),
        ("Chia sẻ | Facebook | Zalo", True),
        ("Thực hiện đồng bộ các giải pháp", False),
        ("Nhiều chỉ tiêu đạt và vượt", False),
        ("Huyện Điện Biên Đông hiện có 276 cán bộ chuyên trách, công chức cấp xã.", False),
    ],
)
def test_is_chrome(line, expected):
    assert is_chrome(line) == expected


@pytest.mark.parametrize(
    "lead,code",
    [
        ("ĐBP - Cán bộ, công chức cấp xã", "ĐBP"),
        ("(LSO) – Xác định xây dựng", "LSO"),
        ("(Chinhphu.vn) - Thủ tướng", "Chinhphu.vn"),
        ("Huyện - xã phối hợp", None),
        ("Những năm qua, với những cách làm", None),
    ],
)
def test_lead_code(lead, code):
    found = lead_code(lead)
    assert (found[0] if found else None) == code


def _outlet(outlet: Outlet | None) -> Outlet:
    assert outlet is not None
    return outlet


def test_outlet_lookups():
    assert _outlet(by_code("ĐBP")).name == "Báo Điện Biên Phủ"
    assert _outlet(by_code("LSO")).province == "Lạng Sơn"
    assert _outlet(by_url("https://baolangson.vn/chinh-tri/abc.html")).name == "Báo Lạng Sơn"
    assert _outlet(by_url("http://www.baodienbienphu.info.vn/")).name == "Báo Điện Biên Phủ"
    assert _outlet(by_name("bao dien bien phu")).name == "Báo Điện Biên Phủ"
    assert _outlet(by_name("Lạng Sơn")).name == "Báo Lạng Sơn"
    assert by_code("XYZ") is None


@pytest.mark.parametrize(
    "title,text,expected",
    [
        (
            "Đại Từ đào tạo cán bộ",
            "Huyện ủy Đại Từ chỉ đạo các xã. Huyện Đại Từ có 29 đơn vị.",
            ("Thái Nguyên", "Thái Nguyên", "Đại Từ"),
        ),
        (
            "Dai Tu dao tao can bo",
            "Huyen uy Dai Tu chi dao cac xa. Huyen Dai Tu co 29 don vi.",
            ("Thái Nguyên", "Thái Nguyên", "Đại Từ"),
        ),
        (
            "Tăng cường cán bộ",
            "Trên địa bàn tỉnh Bắc Kạn, tỉnh Bắc Kạn đã triển khai.",
            ("Bắc Kạn", "Thái Nguyên", None),
        ),
        (
            "Hội nghị",
            "Tỉnh Hà Giang tổ chức hội nghị tại huyện Vị Xuyên. Huyện Vị Xuyên có 24 xã.",
            ("Hà Giang", "Tuyên Quang", "Vị Xuyên"),
        ),
        # One passing mention of a district is not enough to name it.
        (
            "Hội nghị",
            "Tỉnh Hà Giang tổ chức hội nghị tại huyện Vị Xuyên.",
            ("Hà Giang", "Tuyên Quang", None),
        ),
        # Nothing supports a province: leave it empty.
        (
            "Cán bộ cấp xã",
            "Đội ngũ cán bộ, công chức cấp xã được đào tạo, bồi dưỡng.",
            (None, None, None),
        ),
        # Two provinces with equal evidence: no guess.
        ("Hợp tác", "Tỉnh Lạng Sơn và tỉnh Cao Bằng ký kết hợp tác.", (None, None, None)),
        # A person's name, a street: no province. A sentence's first word: one.
        (
            "Phó Thủ tướng Trương Hoà Bình làm việc",
            (
                "Phó Thủ tướng Trương Hoà Bình chủ trì. Chánh án Nguyễn Hòa Bình dự. "
                "Đường Hòa Bình được mở rộng."
            ),
            (None, None, None),
        ),
        (
            "Du lịch",
            "Tại Hòa Bình, du khách đông. Tại Hòa Bình có hồ.",
            ("Hòa Bình", "Phú Thọ", None),
        ),
    ],
)
def test_find_places(title, text, expected):
    p = find_places(title, text)
    assert (p.province, p.province_2025, p.district) == expected


def test_outlet_province_is_evidence():
    text = "Thành phố luôn quan tâm công tác đào tạo, bồi dưỡng cán bộ."
    assert find_places("Thành phố chú trọng", text).province is None
    assert find_places("Thành phố chú trọng", text, "Lạng Sơn").province == "Lạng Sơn"


@pytest.mark.parametrize(
    "old,new",
    [
        ("Bắc Kạn", "Thái Nguyên"),
        ("Điện Biên", "Điện Biên"),
        ("Lạng Sơn", "Lạng Sơn"),
        ("Thái Nguyên", "Thái Nguyên"),
        ("Hà Giang", "Tuyên Quang"),
        ("Bình Dương", "Hồ Chí Minh"),
        ("tỉnh Bắc Kạn", "Thái Nguyên"),
        ("Bac Kan", "Thái Nguyên"),
        ("Atlantis", None),
    ],
)
def test_province_2025(old, new):
    assert province_2025(old) == new


def test_admin_units_do_not_import_geopy():
    import subprocess
    import sys

    code = (
        "import sys; from search.extract.places import units; units(); "
        "print(sorted(m for m in ('geopy', 'shapely', 'vietnamadminunits') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


TOPIC_TEXT = (
    "Huyện đẩy mạnh cải cách hành chính, giải quyết thủ tục hành chính tại bộ phận một "
    "cửa, triển khai dịch vụ công trực tuyến mức độ 4 cho người dân."
)


@pytest.mark.parametrize("text", [TOPIC_TEXT, fold(TOPIC_TEXT)])
def test_topics_match_accented_and_unaccented(text):
    assert find_topics("Cải cách hành chính ở cơ sở", text)[0] == "Cải cách hành chính"
    assert find_topics(fold("Cải cách hành chính ở cơ sở"), text)[0] == "Cải cách hành chính"


@pytest.mark.parametrize(
    "title,text,topic",
    [
        (
            "Xây dựng nông thôn mới",
            "Xã đạt chuẩn nông thôn mới, có 3 sản phẩm OCOP.",
            "Nông thôn mới",
        ),
        ("Giảm nghèo bền vững", "Tỷ lệ hộ nghèo giảm còn 5%, hộ cận nghèo giảm 2%.", "Giảm nghèo"),
        (
            "Công an huyện ra quân",
            "Đảm bảo an ninh trật tự, phòng chống tội phạm ma túy.",
            "Quốc phòng – an ninh",
        ),
        (
            "Kỳ họp thứ 5 HĐND huyện",
            "Đại biểu HĐND chất vấn tại kỳ họp; UBND huyện báo cáo.",
            "Chính quyền địa phương",
        ),
    ],
)
def test_topics(title, text, topic):
    assert topic in find_topics(title, text)


def test_local_government_article_gets_a_topic():
    assert find_topics("Thông báo", "UBND xã thông báo lịch làm việc tuần tới.") != []


def test_non_local_text_may_have_no_topic():
    assert find_topics("Bóng đá", "Trận đấu kết thúc với tỉ số 2-1.") == []


BODY = (
    "Huyện Điện Biên Đông hiện có 276 cán bộ chuyên trách, công chức cấp xã. Trong đó, cán "
    "bộ chuyên trách 136 người, công chức 140 người. Số lượng cán bộ cấp xã tuy đã được "
    "củng cố, đủ về số lượng song trình độ chuyên môn còn hạn chế."
)


def test_fingerprint_ignores_agency_code_case_and_lead_split():
    paper = Article(
        id="a", title="T", lead="ĐBP - " + BODY.split(". ", 1)[0] + ".", body=BODY.split(". ", 1)[1]
    )
    portal = Article(id="b", title="Khác", body=BODY.upper() + "\n\nBình luận")
    assert fingerprint(paper) == fingerprint(portal)


def test_fingerprint_differs_for_other_text():
    a = Article(id="a", title="T", body=BODY)
    b = Article(id="b", title="T", body=BODY.replace("276", "300"))
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(a).startswith("fp1:")


@pytest.mark.parametrize(
    "text,province",
    [
        (
            "Phó chủ tịch UBND TP. HCM Trần Vĩnh Tuyến phát biểu. UBND TP.HCM chỉ đạo.",
            "Hồ Chí Minh",
        ),
        ("HĐND Tỉnh Bắc Kạn họp. UBND Tỉnh Bắc Kạn báo cáo.", "Bắc Kạn"),
    ],
)
def test_acronyms_do_not_hide_places(text, province):
    assert find_places("", text).province == province
