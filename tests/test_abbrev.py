"""Abbreviations and what they stand for, as one word: the table, definitions learned at
indexing, and searching, ranking, marking and saying so through the CLI, API and page."""

from __future__ import annotations

import json
import re

import pytest

from search import abbrev
from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.query import parse

ARTICLES = [
    Article(
        id="abbr",
        title="Họp thường kỳ tháng ba",
        body="UBND tỉnh Lai Châu họp bàn việc; UBND huyện Mường Tè dự.",
    ),
    Article(
        id="full",
        title="Họp thường kỳ tháng tư",
        body="Ủy ban nhân dân tỉnh họp; Ủy ban nhân dân xã dự.",
    ),
    Article(
        id="old-style", title="Thông báo", body="Uỷ ban Nhân dân phường thông báo lịch tiếp dân."
    ),
    Article(id="scattered", title="Ban chỉ đạo", body="Ủy viên ban thường vụ gặp gỡ nhân dân."),
    Article(
        id="defines",
        title="Tập huấn cán bộ",
        body="Đội ngũ cán bộ, công chức (CBCC) cấp xã được tập huấn. CBCC cần rèn luyện. "
        "Ban quản lý dự án đầu tư (BQLDAĐT) huyện báo cáo.",
    ),
    Article(
        id="cbcc-full", title="Cán bộ công chức cấp xã", body="Cán bộ công chức cấp xã học tập."
    ),
    Article(
        id="project-board",
        title="Ban quản lý dự án đầu tư huyện",
        body="Ban quản lý dự án đầu tư huyện khởi công trường học.",
    ),
    Article(id="hcm", title="TP.HCM đón khách", body="TPHCM và Thành phố Hồ Chí Minh là một."),
    Article(id="ref", title="Quyết định", body="Theo Quyết định 70/2009/QĐ-TTg của Thủ tướng."),
    Article(
        id="project-defined",
        title="Khởi công đường",
        body="Dự án (DA) nâng cấp đường được khởi công. DA xong trong năm.",
    ),
    Article(id="da-words", title="Tin ngắn", body="Đoàn đã đến Đà Nẵng; đá lở trên đèo."),
    Article(
        id="hue",
        title="Thành phố Huế chỉnh trang đô thị",
        body="Chính quyền thành phố Huế ra mắt bộ máy mới sau sắp xếp.",
    ),
]


@pytest.fixture(scope="module")
def ab_index(articles_index):
    return articles_index(ARTICLES, "abbrev")


@pytest.fixture(scope="module")
def ab(ab_index, engine_for):
    return engine_for(ab_index)


def match(engine, q, **kw) -> set[str]:
    return set(engine.match_ids(q, **kw))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Đội ngũ cán bộ, công chức (CBCC) cấp xã", [(("cbcc",), ("can", "bo", "cong", "chuc"))]),
        (
            "Sở Giáo dục và Đào tạo (GD&ĐT) tỉnh",
            [(("gd", "dt"), ("giao", "duc", "va", "dao", "tao"))],
        ),
        ("Hội đồng nhân dân (HĐND) huyện", [(("hdnd",), ("hoi", "dong", "nhan", "dan"))]),
        ("dịch bệnh (COVID-19) lan rộng", []),
        ("(Ảnh: TTXVN)", []),
        ("không khớp chữ đầu (XYZ)", []),
    ],
)
def test_definitions(text, expected):
    assert abbrev.definitions(text) == expected


@pytest.mark.parametrize(
    "form, other",
    [
        ("UBND", ("uy", "ban", "nhan", "dan")),
        ("HĐND", ("hoi", "dong", "nhan", "dan")),
        ("CBCC", ("can", "bo", "cong", "chuc")),
        ("NTM", ("nong", "thon", "moi")),
        ("TP.HCM", ("thanh", "pho", "ho", "chi", "minh")),
        ("TPHCM", ("tp", "hcm")),
        ("Thừa Thiên Huế", ("thanh", "pho", "hue")),
        ("TP Huế", ("thua", "thien", "hue")),
    ],
)
def test_curated_table(form, other):
    assert other in dict(abbrev.curated()[abbrev.key(form)])


@pytest.mark.parametrize("ambiguous", ["CP", "TT", "QĐ", "BCH"])
def test_ambiguous_abbreviations_are_left_out(ambiguous):
    assert abbrev.key(ambiguous) not in abbrev.curated()


@pytest.mark.parametrize(
    "q", ["UBND", "ubnd", "Ủy ban nhân dân", "uy ban nhan dan", "Uỷ ban Nhân dân"]
)
def test_either_form_finds_both(ab, q):
    assert match(ab, q) == {"abbr", "full", "old-style"}


def test_expansion_must_be_the_whole_phrase(ab):
    assert "scattered" not in match(ab, "Ủy ban nhân dân")


def test_expand_off_finds_only_what_was_typed(ab):
    assert match(ab, "UBND", expand=False) == {"abbr"}
    assert match(ab, "Ủy ban nhân dân", expand=False) == {"full", "old-style"}


def test_both_forms_rank_alike(ab):
    # "abbr" and "full": the same number of occurrences, texts of equal length.
    scores = {h.id: h.score for h in ab.search("UBND").hits}
    assert scores["abbr"] == pytest.approx(scores["full"], rel=0.05)


@pytest.mark.parametrize("q", ["CBCC", "cán bộ công chức"])
def test_learned_and_curated_definitions(ab, q):
    assert {"defines", "cbcc-full"} <= match(ab, q)


def test_definition_learned_from_an_article(ab):
    # BQLDAĐT is in no table: the "defines" article taught it.
    result = ab.search("BQLDAĐT")
    assert {h.id for h in result.hits} == {"defines", "project-board"}
    assert result.expanded == [{"typed": "BQLDAĐT", "also": ["ban quan ly du an dau tu"]}]


@pytest.mark.parametrize("q", ["TP.HCM", "TPHCM", "Thành phố Hồ Chí Minh", "TP. Hồ Chí Minh"])
def test_one_city_however_written(ab, q):
    assert match(ab, q) == {"hcm"}


@pytest.mark.parametrize("q", ["Thừa Thiên Huế", "thành phố Huế", "TP Huế"])
def test_a_province_under_its_name_before_and_after_2025(ab, q):
    assert "hue" in match(ab, q)


def test_a_learned_form_that_is_a_syllable_does_not_stand_in_for_its_words(ab):
    # One article's "Dự án (DA)": "da" is also đã, Đà and đá, so searching "dự án"
    # must not find them; typed as an abbreviation, "DA" still finds "dự án".
    assert match(ab, "dự án") == {"defines", "project-board", "project-defined"}
    assert ab.search("dự án").expanded == []
    assert {"project-defined", "project-board"} <= match(ab, "DA")
    # Typed in capitals it is the abbreviation: its letters, not đã, Đà, đá; no
    # accents offered for it, none ranked by.
    assert "da-words" not in match(ab, "DA")
    assert ab.search("DA").suggestion is None
    # Typed in lower case, a syllable: any accents, as ever.
    assert "da-words" in match(ab, "da")


def test_a_form_never_goes_on_over_the_end_of_a_clause(ab):
    # "Ủy ban; nhân dân" is two clauses: no "Ủy ban nhân dân", so no UBND either.
    assert ab.search("Ủy ban; nhân dân").expanded == []
    assert ab.search("Ủy ban nhân dân").expanded != []


def test_a_plain_syllable_is_no_abbreviation(ab):
    assert ab.search("tan").expanded == []


def test_policy_references_stay_identifiers(ab):
    result = ab.search("70/2009/QĐ-TTg")
    assert result.expanded == [] and [h.id for h in result.hits] == ["ref"]


def test_both_forms_are_marked(ab):
    hits = {h.id: h.snippet for h in ab.search("UBND", per_page=10).hits}
    assert re.findall(r">([^<]+)</mark>", hits["abbr"]) == ["UBND", "UBND"]
    assert re.findall(r">([^<]+)</mark>", hits["full"]) == ["Ủy ban nhân dân"] * 2


def test_cli_says_what_was_included(ab_index, runner):
    r = runner.invoke(cli, ["search", "UBND", "--index", str(ab_index)])
    assert r.exit_code == 0 and "Tìm cả: Ủy ban Nhân dân" in r.output
    r = runner.invoke(cli, ["search", "UBND", "--index", str(ab_index), "--no-expand", "--json"])
    data = json.loads(r.output)
    assert data["total"] == 1 and data["expanded"] == []


@pytest.fixture(scope="module")
def ab_client(ab_index, client_for):
    return client_for(ab_index)


def test_api_expand_switch(ab_client):
    on = ab_client.get("/api/search", query_string={"q": "UBND"}).get_json()
    off = ab_client.get("/api/search", query_string={"q": "UBND", "expand": "0"}).get_json()
    assert on["total"] == 3 and on["expanded"][0]["also"] == ["Ủy ban Nhân dân"]
    assert off["total"] == 1 and off["expanded"] == []
    assert (
        ab_client.get("/api/search", query_string={"q": "UBND", "expand": "x"}).status_code == 400
    )


def test_page_says_tim_ca_with_a_way_out(ab_client):
    r = ab_client.get("/search", query_string={"q": "UBND"})
    assert "Tìm cả: <q>Ủy ban Nhân dân</q>" in r.text
    assert 'href="/search?q=UBND&amp;expand=0"' in r.text
    off = ab_client.get("/search", query_string={"q": "UBND", "expand": "0"})
    assert "Tìm cả các dạng này" in off.text and "1 kết quả" in off.text


def test_an_abbreviation_in_capitals_through_the_api_and_the_cli(ab_index, client_for, runner):
    api = client_for(ab_index).get("/api/search", query_string={"q": "DA", "per_page": 50})
    got = {h["id"] for h in api.get_json()["hits"]}
    assert "project-defined" in got and "da-words" not in got
    result = runner.invoke(cli, ["search", "DA", "--index", str(ab_index), "--json"])
    assert result.exit_code == 0, result.output
    ids = {h["id"] for h in json.loads(result.output)["hits"]}
    assert "project-defined" in ids and "da-words" not in ids


LEARNED = [
    Article(id="gd-defined", title="Họp giao ban", body="Giám đốc (GD) công ty họp. GD yêu cầu."),
    Article(id="gd-other", title="Ngành GD huyện", body="Ngành GD huyện khai giảng năm học."),
    Article(id="director", title="Giám đốc mới", body="Giám đốc sở nhận nhiệm vụ."),
    *(
        Article(id=f"pv-{i}", title=f"Tin {i}", body=f"Phóng viên (PV) ghi nhận số {i}. PV hỏi.")
        for i in range(3)
    ),
    Article(id="pv-only", title="Trả lời PV", body="Ông trả lời PV về dự án."),
    Article(
        id="cqdt-defined", title="Điều tra", body="Cơ quan điều tra (CQĐT) vào cuộc; CQĐT làm rõ."
    ),
    Article(id="cqdt-only", title="CQĐT khởi tố", body="CQĐT khởi tố vụ án."),
    Article(id="city", title="TP Vinh đón khách", body="TP Vinh đón nhiều khách du lịch."),
]


@pytest.fixture(scope="module")
def learned(articles_index, engine_for):
    return engine_for(articles_index(LEARNED, "learned"))


@pytest.mark.parametrize(
    "q, found, not_found",
    [
        # One article's "Giám đốc (GD)": the words do not find every GD ...
        ("giám đốc", {"gd-defined", "director"}, {"gd-other"}),
        # ... typed, GD finds its letters and the words.
        ("GD", {"gd-defined", "gd-other", "director"}, set()),
        # Two letters defined by 3 articles, or more letters defined once: both ways.
        ("phóng viên", {"pv-0", "pv-only"}, set()),
        ("cơ quan điều tra", {"cqdt-defined", "cqdt-only"}, set()),
        # TP, from the curated table.
        ("thành phố", {"city"}, set()),
    ],
)
def test_a_learned_form_of_two_letters_needs_three_definitions(learned, q, found, not_found):
    got = match(learned, q)
    assert found <= got and not (not_found & got), got


def _da_aliases(key, typed):
    return [(("du", "an"), "dự án")] if key == ("da",) and typed else []


@pytest.mark.parametrize(
    "q, read",
    [
        ("DA", [("da", "letters", True)]),
        ("da", [("da", "any", False)]),
        # Caps lock: capitals throughout say nothing of abbreviations.
        ("DA BONG", [("da", "any", True), ("bong", "any", False)]),
        # Each word as typed where two have the same letters.
        ("DA đã", [("da", "letters", True), ("đã", "accents", False)]),
        ("đã DA", [("đã", "accents", False), ("da", "letters", True)]),
        ("da DA", [("da", "any", False), ("da", "letters", True)]),
    ],
)
def test_which_typed_word_is_the_abbreviation(q, read):
    plan = plan_mod.build(parse(q), None, "exact", _da_aliases, None)

    def how(s):
        return "accents" if s.accented else ("letters" if s.exact else "any")

    got = [(c[0].text, how(c[0].syllables[0]), len(c) > 1) for c in plan.clauses]
    assert got == read
