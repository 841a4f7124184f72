"""Policy references: extraction, normalisation, kinds, query mode."""

from __future__ import annotations

import pytest

from search.policy import PolicyRef, extract_refs, find_refs, leading_kind, ref_key


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "Kế hoạch số 774/KH - UBND của UBND thành phố",
            [("774/KH-UBND", "Kế hoạch", "774/KH-UBND")],
        ),
        (
            "Thực hiện Quyết định số 70/2009/QĐ-TTg ngày 27/4/2009",
            [("70/2009/QĐ-TTg", "Quyết định", "70/2009/QD-TTG")],
        ),
        (
            "Nghị quyết 37, ngày 13/2/2012 và Kế hoạch số 51, ngày 9/5/2012",
            [
                ("Nghị quyết 37", "Nghị quyết", "NGHIQUYET37"),
                ("Kế hoạch 51", "Kế hoạch", "KEHOACH51"),
            ],
        ),
        ("Số/Ký hiệu: 1184/KL-UBND", [("1184/KL-UBND", "Kết luận", "1184/KL-UBND")]),
        ("Số/Ký hiệu: 47UBND -UBND-TTr", [("47/UBND-UBND-TTr", None, "47/UBND-UBND-TTR")]),
        ("Nghị quyết số 37-NQ/TU của Tỉnh ủy", [("37-NQ/TU", "Nghị quyết", "37-NQ/TU")]),
        ("Luật số 73/2021/QH14", [("73/2021/QH14", "Luật", "73/2021/QH14")]),
        ("Nghị định số 100/2019/NĐ-CP", [("100/2019/NĐ-CP", "Nghị định", "100/2019/ND-CP")]),
        ("Công văn 123/UBND-VX", [("123/UBND-VX", "Công văn", "123/UBND-VX")]),
        ("Chỉ thị 05-CT/TW", [("05-CT/TW", "Chỉ thị", "05-CT/TW")]),
        ("Thông tư 01/2015/TT-BNV", [("01/2015/TT-BNV", "Thông tư", "01/2015/TT-BNV")]),
        ("ngày 27/4/2009, năm 2019-2020, COVID-19, xe 29A-12345, mạng 4G-LTE", []),
    ],
)
def test_extract_refs(text, expected):
    assert [(r.ref, r.kind, r.key) for r in extract_refs(text)] == expected


def test_refs_are_distinct_in_order():
    text = "Quyết định 70/2009/QĐ-TTg ... theo Quyết định số 70/2009/QĐ-TTg; Kế hoạch 51."
    assert [r.key for r in extract_refs(text)] == ["70/2009/QD-TTG", "KEHOACH51"]


def test_find_refs_spans():
    text = "Theo Kế hoạch số 774/KH - UBND, thành phố"
    ((ref, start, end),) = find_refs(text)
    assert text[start:end] == "774/KH - UBND"
    assert ref == PolicyRef("774/KH-UBND", "Kế hoạch", "774/KH-UBND")


@pytest.mark.parametrize(
    "query,key",
    [
        ("70/2009/qd-ttg", "70/2009/QD-TTG"),
        ("774/kh - ubnd", "774/KH-UBND"),
        ("47ubnd-ubnd-ttr", "47/UBND-UBND-TTR"),
    ],
)
def test_query_mode_accepts_any_case(query, key):
    assert [r.key for r, _, _ in find_refs(query, query=True)] == [key]
    assert find_refs(query) == []  # documents need capitals


def test_lower_case_symbol_is_no_reference_in_documents():
    assert extract_refs("tỷ lệ 5/kg và 3/ha") == []


@pytest.mark.parametrize(
    "ref,key",
    [
        ("774/KH - UBND", "774/KH-UBND"),
        ("70/2009/QĐ-TTg", "70/2009/QD-TTG"),
        ("70/2009/QÐ-TTg", "70/2009/QD-TTG"),
    ],
)
def test_ref_key(ref, key):
    assert ref_key(ref) == key


@pytest.mark.parametrize(
    "title,kind",
    [
        ("Kết luận Thanh tra: Công tác quản lý", "Kết luận"),
        ("Báo cáo kết quả", "Báo cáo"),
        ("kế hoạch năm 2021", "Kế hoạch"),
        ("Kết quả thực hiện công tác", None),
    ],
)
def test_leading_kind(title, kind):
    assert leading_kind(title) == kind
