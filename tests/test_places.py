"""A unit's type typed before a place's name ("xã Tân Phú") stands beside it when other
units bear that name, so that the commune is not every article with a commune somewhere
and a district or ward named Tân Phú.

A real index of hand-made articles, through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest
from helpers import word_test

from search import names as names_mod
from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.query import parse

PLACES = [
    # The commune Tân Phú (3), the district Tân Phú with its communes (4), the urban
    # district Tân Phú with its wards (3): "Tân Phú" after other types 7 times as often.
    *(
        Article(
            id=f"commune-{i}",
            title=f"Nông thôn mới {i}",
            body=f"Xã Tân Phú đạt chuẩn nông thôn mới năm {2010 + i}.",
        )
        for i in range(3)
    ),
    *(
        Article(
            id=f"district-{i}",
            title=f"Giảm nghèo {i}",
            body=f"Huyện Tân Phú hỗ trợ các xã vùng sâu giảm nghèo, đợt {i}.",
        )
        for i in range(4)
    ),
    *(
        Article(
            id=f"urban-{i}",
            title=f"Chỉnh trang {i}",
            body=f"Quận Tân Phú chỉnh trang vỉa hè; phường Tây Thạnh dọn rác, đợt {i}.",
        )
        for i in range(3)
    ),
    # The ward Tân Phú once: too seldom to narrow to.
    Article(id="ward", title="Chợ", body="Phường Tân Phú mở rộng chợ."),
    # "Quảng Nam" is the province's own name: "tỉnh" stays apart ("Sở Y tế Quảng Nam").
    Article(id="province-0", title="Y tế", body="Sở Y tế Quảng Nam tập huấn cho cán bộ tỉnh."),
    Article(id="province-1", title="Du lịch", body="Tỉnh Quảng Nam đón khách du lịch."),
    # "Bình Tân" mostly after "quận" (4; one "xã Bình Tân"): the articles' lists stay found.
    *(
        Article(
            id=f"binh-tan-{i}",
            title=f"Ngập {i}",
            body=f"Quận Bình Tân ngập sau mưa lớn, lần {i}.",
        )
        for i in range(4)
    ),
    Article(
        id="binh-tan-list",
        title="Triều cường",
        body="Triều cường gây ngập ở các quận Tân Phú và Bình Tân.",
    ),
    Article(id="binh-tan-commune", title="Lúa", body="Nông dân xã Bình Tân thu hoạch lúa."),
    *(
        Article(id=f"quang-ngai-{i}", title=f"Bão {i}", body=f"Tỉnh Quảng Ngãi chống bão, đợt {i}.")
        for i in range(2)
    ),
    Article(id="sidewalk", title="Vỉa hè", body="Huyện Cần Giờ dẹp lấn chiếm vỉa hè."),
    # The city Thanh Hóa, written "thành phố" or "TP"; the province, with cities elsewhere.
    *(
        Article(id=f"city-{i}", title=f"Đô thị {i}", body=f"Thành phố Thanh Hóa chỉnh trang {i}.")
        for i in range(3)
    ),
    *(
        Article(
            id=f"city-tp-{i}", title=f"Chiếu sáng {i}", body=f"TP Thanh Hóa giúp nông dân, đợt {i}."
        )
        for i in range(2)
    ),
    *(
        Article(
            id=f"province-th-{i}",
            title=f"Nông nghiệp {i}",
            body=f"Tỉnh Thanh Hóa hỗ trợ nông dân; các thành phố lớn tiêu thụ nông sản {i}.",
        )
        for i in range(4)
    ),
]

COMMUNE = {f"commune-{i}" for i in range(3)}
URBAN = {f"urban-{i}" for i in range(3)}
CITY = {f"city-{i}" for i in range(3)} | {f"city-tp-{i}" for i in range(2)}
DISTRICT = {f"district-{i}" for i in range(4)}
BINH_TAN_DISTRICT = {f"binh-tan-{i}" for i in range(4)} | {"binh-tan-list"}


@pytest.fixture(scope="module")
def places(articles_index, engine_for):
    return engine_for(articles_index(PLACES, "places"))


@pytest.mark.parametrize(
    "q, expected, words",
    [
        ("xã Tân Phú", COMMUNE, [["xã", "tân", "phú"]]),
        ("xa Tan Phu", COMMUNE, [["xa", "tan", "phu"]]),
        # In small letters: the articles write the name with capitals.
        ("xã tân phú", COMMUNE, [["xã", "tân", "phú"]]),
        ("huyện Tân Phú", DISTRICT, [["huyện", "tân", "phú"]]),
        ("Xã Tân Phú", COMMUNE, [["xã", "tân", "phú"]]),  # a sentence's capital
        # The type's other forms go with the name ("TP Thanh Hóa").
        ("thành phố Thanh Hóa", CITY, [["thành", "phố", "thanh", "hóa"]]),
        # Found nowhere side by side with the rest: apart, as before.
        ("giảm nghèo xã Tân Phú", DISTRICT, [["giảm", "nghèo"], ["xã"], ["tân", "phú"]]),
        # A province's own name: "tỉnh" apart.
        ("tỉnh Quảng Nam", {"province-0", "province-1"}, [["tỉnh"], ["quảng", "nam"]]),
        # Another type before the name in few articles: apart, the list found too.
        ("quận Bình Tân", BINH_TAN_DISTRICT, [["quận"], ["bình", "tân"]]),
    ],
)
def test_a_units_type_before_a_name_it_tells_apart(places, q, expected, words):
    assert set(places.match_ids(q)) == expected
    assert places.search(q).words == words


@pytest.mark.parametrize(
    "q, expected",
    [
        # "-" leaves out the place, not the type while requiring the name.
        ("vỉa hè -quận Tân Phú", {"sidewalk"}),
        # Each alternative is its place, with its own type.
        # ("các quận Tân Phú và Bình Tân" holds "quận Tân Phú" too.)
        ("quận Tân Phú OR xã Tân Phú", URBAN | COMMUNE | {"binh-tan-list"}),
        ("tỉnh Quảng Nam OR tỉnh Quảng Ngãi", {"province-1", "quang-ngai-0", "quang-ngai-1"}),
        # With the type's other forms ("TP Thanh Hóa"); a quoted phrase as typed.
        ("thành phố Thanh Hóa OR xã Tân Phú", CITY | COMMUNE),
        (
            "nông dân -thành phố Thanh Hóa",
            {"binh-tan-commune", *(f"province-th-{i}" for i in range(4))},
        ),
        ('"thành phố Thanh Hóa"', {"city-0", "city-1", "city-2"}),
    ],
)
def test_or_and_minus_take_a_units_type_with_its_name(places, q, expected):
    assert set(places.match_ids(q)) == expected


def place(answer: bool):
    def is_place(unit: plan_mod.Word, name: plan_mod.Word) -> bool:
        return answer

    return is_place


NAMES = word_test(("tan", "phu"), ("tan", "hiep"), ("thanh", "pho"), ("thi", "xa"), ("ho", "ngheo"))


@pytest.mark.parametrize(
    "q, words",
    [
        ("xã Tân Phú", [["xã", "tân", "phú"]]),
        ("hộ nghèo xã Tân Phú", [["hộ", "nghèo"], ["xã", "tân", "phú"]]),
        ("thành phố Tân Phú", [["thành", "phố", "tân", "phú"]]),
        ("thị xã Tân Phú", [["thị", "xã", "tân", "phú"]]),
        # The name goes on: "xã Tân" of "xã Tân Phú Đông" is no place.
        ("xã Tân Phú Đông", [["xã"], ["tân", "phú"], ["đông"]]),
        # "tỉnh" never; nor a type after punctuation, nor a name in small letters that
        # no article writes as a name.
        ("tỉnh Tân Phú", [["tỉnh"], ["tân", "phú"]]),
        ("xã, Tân Phú", [["xã"], ["tân", "phú"]]),
        ("xã tân phú", [["xã"], ["tân", "phú"]]),
    ],
)
def test_which_types_bind_the_name_after_them(q, words):
    plan = plan_mod.build(parse(q), NAMES, "exact", None, is_place=place(True))
    assert plan.describe() == words


@pytest.mark.parametrize(
    "q, words, excluded",
    [
        ("vỉa hè -quận Tân Phú", [["vỉa"], ["hè"]], ["quận tân phú"]),
        ("xã Tân Phú OR xã Tân Hiệp", [["xã", "tân", "phú"], ["xã", "tân", "hiệp"]], []),
        ("xã Tân Phú OR thị xã Tân Hiệp", [["xã", "tân", "phú"], ["thị", "xã", "tân", "hiệp"]], []),
        # The other alternative without a type: the type stays for both.
        ("xã Tân Phú OR Tân Hiệp", [["xã"], ["tân", "phú"], ["tân", "hiệp"]], []),
    ],
)
def test_operators_over_a_units_type_and_its_name(q, words, excluded):
    plan = plan_mod.build(parse(q), NAMES, "exact", None, is_place=place(False))
    assert plan.describe() == words
    assert [w.text for w in plan.excluded] == excluded


@pytest.mark.parametrize(
    "q, words",
    [
        # In a query typed with accents a type is as written: "xa" is far, no commune.
        ("xa Hà Nội", [["xa"], ["hà", "nội"]]),
        ("phương Bắc", [["phương"], ["bắc"]]),
        ("xa Ha Noi", [["xa", "ha", "noi"]]),
    ],
)
def test_a_type_is_as_typed(q, words):
    is_word = word_test(("ha", "noi"))
    plan = plan_mod.build(parse(q), is_word, "exact", None, is_place=place(True))
    assert plan.describe() == words


def test_a_place_the_index_names_so_seldom_stays_apart(places):
    # "phường Tân Phú" in one article, fewer than PLACE_MIN: the broad reading stays
    # (the urban district's articles name a ward too).
    result = places.search("phường Tân Phú")
    assert result.words == [["phường"], ["tân", "phú"]]
    assert set(places.match_ids("phường Tân Phú")) == {"ward"} | URBAN


def test_a_name_no_other_unit_bears_stays_apart():
    plan = plan_mod.build(parse("xã Tân Phú"), NAMES, "exact", None, is_place=place(False))
    assert plan.describe() == [["xã"], ["tân", "phú"]]


@pytest.mark.parametrize(
    "texts, counts",
    [
        # Each article once, whatever it repeats; the longer type first.
        (["Xã Tân Phú và xã Tân Phú.", "Thị xã Tân Phú."], {"xã": 1, "thị xã": 1}),
        # Written in small letters, in capitals throughout, or over a line: no place.
        (["xã tân phú", "XÃ TÂN PHÚ", "xã\nTân Phú"], {}),
        (["Huyện Tân Phú, quận Tân Phú; xa Tan Phu"], {"huyện": 1, "quận": 1}),
    ],
)
def test_the_types_written_before_a_name(texts, counts):
    types = ("xã", "thị xã", "huyện", "quận")
    assert names_mod.preceding(texts, ("tan", "phu"), types) == counts


def test_a_bound_types_other_forms_are_shown(places):
    result = places.search("thành phố Thanh Hóa")
    assert result.expanded == [{"typed": "thành phố Thanh Hóa", "also": ["TP Thanh Hóa"]}]


@pytest.mark.parametrize(
    "texts, folded, written, counts",
    [
        # The whole name only: "xã An Nhơn Tây" is no "An Nhơn".
        (["Xã An Nhơn Tây và thị xã An Nhơn."], ("an", "nhon"), None, {"thị xã": 1}),
        # Typed with accents, as written: "Phù Mỹ" is no "Phú Mỹ".
        (["Huyện Phù Mỹ; xã Phú Mỹ."], ("phu", "my"), ("phú", "mỹ"), {"xã": 1}),
        (["Huyện Phù Mỹ; xã Phú Mỹ."], ("phu", "my"), None, {"huyện": 1, "xã": 1}),
    ],
)
def test_only_the_name_as_typed_counts(texts, folded, written, counts):
    assert names_mod.preceding(texts, folded, ("xã", "thị xã", "huyện"), written) == counts


def test_places_through_the_cli_the_api_and_the_page(places, runner, client_for):
    result = runner.invoke(cli, ["search", "xã Tân Phú", "--index", str(places.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == COMMUNE and d["words"] == [["xã", "tân", "phú"]]
    client = client_for(places.path)
    api = client.get("/api/search", query_string={"q": "huyện Tân Phú"}).get_json()
    assert api["total"] == 4 and api["words"] == [["huyện", "tân", "phú"]]
    page = client.get("/search", query_string={"q": "xã Tân Phú"}).get_data(as_text=True)
    assert "commune-0" in page and "district-0" not in page
