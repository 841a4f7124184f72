"""Two names typed one after the other ("Tân Hiệp Bình Dương": the commune and its
province) are two words, not one chained from overlapping pairs ("Tân Hiệp" +
"Hiệp Bình" of "Hiệp Bình Chánh" + "Bình Dương") that no article holds; and a query
whose only word found is a unit's type or a title finds nothing rather than every
article with that type.

A real index of hand-made articles, through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest
from helpers import pair_counts, word_test

from search import plan as plan_mod
from search.analysis import fold
from search.article import Article
from search.cli import cli
from search.extract import places
from search.query import parse

CHAINS = [
    # pyvi joins "Tân_Hiệp", "Hiệp_Bình_Chánh" and "Bình_Dương": each pair is a word.
    *(
        Article(id=f"ward-{i}", title=f"Đường {i}", body=f"Phường Hiệp Bình Chánh sửa đường {i}.")
        for i in range(3)
    ),
    *(
        Article(id=f"commune-{i}", title=f"Lúa {i}", body=f"Xã Tân Hiệp trồng lúa, vụ {i}.")
        for i in range(3)
    ),
    *(
        Article(
            id=f"province-{i}",
            title=f"Đầu tư {i}",
            body=f"Tỉnh Bình Dương thu hút đầu tư, quý {i}.",
        )
        for i in range(3)
    ),
    # The commune of the province: the two names, never side by side as one.
    *(
        Article(
            id=f"both-{i}",
            title=f"Thu hoạch {i}",
            body=f"Nông dân xã Tân Hiệp, tỉnh Bình Dương thu hoạch lúa, vụ {i}.",
        )
        for i in range(2)
    ),
    # The commune Tân Phú of Đồng Nai (2) and of Bình Phước; the district Tân Phú of
    # Đồng Nai, with communes elsewhere in its articles (4).
    *(
        Article(
            id=f"tan-phu-dn-{i}",
            title=f"Giao thông {i}",
            body=f"Xã Tân Phú, tỉnh Đồng Nai làm đường giao thông nông thôn {i}.",
        )
        for i in range(2)
    ),
    Article(id="tan-phu-bp", title="Điều", body="Xã Tân Phú, tỉnh Bình Phước trồng điều."),
    *(
        Article(
            id=f"district-dn-{i}",
            title=f"Giảm nghèo {i}",
            body=f"Huyện Tân Phú, tỉnh Đồng Nai hỗ trợ các xã giảm nghèo, đợt {i}.",
        )
        for i in range(4)
    ),
    # The commune Điềm Mặc of the district Định Hóa; "mặc định" (default) is a word.
    *(
        Article(
            id=f"diem-mac-{i}",
            title=f"Chè {i}",
            body=f"Xã Điềm Mặc, huyện Định Hóa trồng chè, vụ {i}.",
        )
        for i in range(2)
    ),
    *(
        Article(
            id=f"default-{i}", title=f"Phần mềm {i}", body=f"Phần mềm dùng cài đặt mặc định {i}."
        )
        for i in range(3)
    ),
    Article(id="district", title="Huyện", body="Ông Tư ở huyện Phú Giáo họp bàn giảm nghèo."),
    Article(id="chair", title="Tiếp dân", body="Chủ tịch xã Tân Hiệp tiếp dân."),
]

BOTH = {"both-0", "both-1"}


@pytest.fixture(scope="module")
def chains(articles_index, engine_for):
    return engine_for(articles_index(CHAINS, "chains"))


@pytest.mark.parametrize(
    "q, words",
    [
        ("Tân Hiệp Bình Dương", [["tân", "hiệp"], ["bình", "dương"]]),
        ("tan hiep binh duong", [["tan", "hiep"], ["binh", "duong"]]),
        ("lúa Tân Hiệp Bình Dương", [["lúa"], ["tân", "hiệp"], ["bình", "dương"]]),
    ],
)
def test_two_names_typed_together_are_two_words(chains, q, words):
    result = chains.search(q)
    assert set(chains.match_ids(q)) == BOTH
    assert result.words == words and not result.missing


@pytest.mark.parametrize(
    "q, expected, words",
    [
        # A province's name after a place's says where it is: the type still binds.
        (
            "xã Tân Phú Đồng Nai",
            {"tan-phu-dn-0", "tan-phu-dn-1"},
            [["xã", "tân", "phú"], ["đồng", "nai"]],
        ),
        (
            "xa Tan Phu Dong Nai",
            {"tan-phu-dn-0", "tan-phu-dn-1"},
            [["xa", "tan", "phu"], ["dong", "nai"]],
        ),
        # The name is mostly the district's: apart, as without the province.
        (
            "huyện Tân Phú Đồng Nai",
            {f"district-dn-{i}" for i in range(4)},
            [["huyện"], ["tân", "phú"], ["đồng", "nai"]],
        ),
    ],
)
def test_a_province_after_a_place(chains, q, expected, words):
    assert set(chains.match_ids(q)) == expected
    assert chains.search(q).words == words


@pytest.mark.parametrize(
    "q, words",
    [
        ("xã Tân Phú Đồng Nai", [["xã", "tân", "phú"], ["đồng", "nai"]]),
        ("xã Tân Phú Bà Rịa Vũng Tàu", [["xã", "tân", "phú"], ["bà", "rịa"], ["vũng", "tàu"]]),
        ("xa Tan Phu Dong Nai", [["xa", "tan", "phu"], ["dong", "nai"]]),
        # A district that has a unit of the name (An Giang's Châu Phú has a Bình Mỹ;
        # Bình Phước's Hớn Quản has none).
        ("xã Bình Mỹ Châu Phú", [["xã", "bình", "mỹ"], ["châu", "phú"]]),
        ("xa Binh My Chau Phu", [["xa", "binh", "my"], ["chau", "phu"]]),
        ("xã Bình Mỹ Hớn Quản", [["xã"], ["bình", "mỹ"], ["hớn", "quản"]]),
        # Not a province (the name goes on), nor one as typed with accents.
        ("xã Tân Phú Đông", [["xã"], ["tân", "phú"], ["đông"]]),
        ("xã Tân Phú Đông Nai", [["xã"], ["tân", "phú"], ["đông", "nai"]]),
    ],
)
def test_where_a_name_ends_before_the_place_it_is_in(q, words):
    is_word = word_test(
        ("tan", "phu"),
        ("dong", "nai"),
        ("ba", "ria"),
        ("vung", "tau"),
        ("binh", "my"),
        ("chau", "phu"),
        ("hon", "quan"),
    )
    plan = plan_mod.build(parse(q), is_word, "exact", None, is_place=lambda unit, name: True)
    assert plan.describe() == words


@pytest.mark.parametrize(
    "name, parent, inside",
    [
        ("bình mỹ", "châu phú", True),  # a commune in its district
        ("tân hiệp", "hớn quản", True),
        ("châu phú", "an giang", True),  # a district in its province
        ("tân phú", "tân phú", True),  # the district's town of its name
        ("bình mỹ", "hớn quản", False),
        ("xyzzy", "an giang", False),
    ],
)
def test_the_units_within_a_district_or_a_province(name, parent, inside):
    assert places.within(tuple(name.split()), tuple(parent.split())) is inside
    assert places.within(tuple(fold(name).split()), tuple(fold(parent).split()), False) is inside
    # Typed with accents, as written: "Bình Mỵ" is in no Châu Phú.
    assert not places.within(("bình", "mỵ"), ("châu", "phú"))


@pytest.mark.parametrize(
    "q",
    ["Điềm Mặc Định Hóa", "xã Điềm Mặc Định Hóa", "diem mac dinh hoa"],
)
def test_a_unit_then_the_district_that_holds_it(chains, q):
    # Not *mặc định*: "Điềm Mặc" is a commune of the district Định Hóa.
    assert set(chains.match_ids(q)) == {"diem-mac-0", "diem-mac-1"}
    assert chains.search(q).words[-2:] == [
        list(fold(w).split()) if q[0] == "d" else w.split() for w in ("điềm mặc", "định hóa")
    ]


@pytest.mark.parametrize(
    "q, pairs, words",
    [
        (
            "Điềm Mặc Định Hóa",
            [("diem", "mac"), ("mac", "dinh"), ("dinh", "hoa")],
            [["điềm", "mặc"], ["định", "hóa"]],
        ),
        (
            "thị trấn La Hà Tư Nghĩa",
            [("thi", "tran"), ("la", "ha"), ("ha", "tu"), ("tu", "nghia")],
            [["thị", "trấn"], ["la", "hà"], ["tư", "nghĩa"]],
        ),
        # After a type typed with a capital (a sentence's first word).
        (
            "Xã Điềm Mặc Định Hóa",
            [("diem", "mac"), ("mac", "dinh"), ("dinh", "hoa")],
            [["xã"], ["điềm", "mặc"], ["định", "hóa"]],
        ),
        (
            "Thị Trấn La Hà Tư Nghĩa",
            [("thi", "tran"), ("la", "ha"), ("ha", "tu"), ("tu", "nghia")],
            [["thị", "trấn"], ["la", "hà"], ["tư", "nghĩa"]],
        ),
        # Typed without any capital: anywhere.
        (
            "xa la ha tu nghia",
            [("la", "ha"), ("ha", "tu"), ("tu", "nghia")],
            [["xa"], ["la", "ha"], ["tu", "nghia"]],
        ),
        # The first word's capital, or capitals throughout, say nothing of names.
        (
            "Xã la hà tư nghĩa",
            [("la", "ha"), ("ha", "tu"), ("tu", "nghia")],
            [["xã"], ["la", "hà"], ["tư", "nghĩa"]],
        ),
        (
            "XÃ LA HÀ TƯ NGHĨA",
            [("la", "ha"), ("ha", "tu"), ("tu", "nghia")],
            [["xã"], ["la", "hà"], ["tư", "nghĩa"]],
        ),
        (
            "UBND xã la hà tư nghĩa",
            [("la", "ha"), ("ha", "tu"), ("tu", "nghia")],
            [["ubnd"], ["xã"], ["la", "hà"], ["tư", "nghĩa"]],
        ),
        # With a capital elsewhere, a name in small letters is no name.
        (
            "xã la hà tư nghĩa Quảng Ngãi",
            [("la", "ha"), ("ha", "tu"), ("tu", "nghia"), ("quang", "ngai")],
            [["xã"], ["la", "hà", "tư", "nghĩa"], ["quảng", "ngãi"]],
        ),
        # Several, and the province after the district.
        (
            "vĩnh bình hòa bình và điềm mặc định hóa",
            [("vinh", "binh"), ("binh", "hoa"), ("hoa", "binh"), ("diem", "mac"), ("mac", "dinh")],
            [["vĩnh", "bình"], ["hòa", "bình"], ["và"], ["điềm", "mặc"], ["định", "hóa"]],
        ),
        (
            "chè Điềm Mặc Định Hóa Thái Nguyên",
            [("diem", "mac"), ("mac", "dinh"), ("dinh", "hoa"), ("thai", "nguyen")],
            [["chè"], ["điềm", "mặc"], ["định", "hóa"], ["thái", "nguyên"]],
        ),
        # A unit of another district: the word test decides, as before.
        (
            "Điềm Mặc Phú Lương",
            [("diem", "mac"), ("mac", "phu"), ("phu", "luong")],
            [["điềm", "mặc", "phú", "lương"]],
        ),
    ],
)
def test_no_word_joins_a_unit_to_the_district_that_holds_it(q, pairs, words):
    plan = plan_mod.build(parse(q), word_test(*pairs), "exact")
    assert plan.describe() == words


@pytest.mark.parametrize(
    "q, words",
    [
        # Vĩnh Bình is a commune of Bạc Liêu's district Hòa Bình: each name one word,
        # though "xã vĩnh" stands side by side more often than "vĩnh bình".
        ("xã vĩnh bình hòa bình", [["xã"], ["vĩnh", "bình"], ["hòa", "bình"]]),
        ("xa vinh binh hoa binh", [["xa"], ["vinh", "binh"], ["hoa", "binh"]]),
        # No unit of that name there: the pair test decides, as before.
        ("xã vĩnh bình hòa xuân", [["xã", "vĩnh"], ["bình", "hòa"], ["xuân"]]),
    ],
)
def test_a_units_name_and_its_districts_are_words(q, words):
    is_pair = pair_counts(xa_vinh=50, vinh_binh=3, binh_hoa=40, hoa_binh=30, hoa_xuan=2)
    plan = plan_mod.build(parse(q), word_test(), "exact", None, is_pair)
    assert plan.describe() == words


def test_a_longer_word_the_index_holds_stays_one(chains):
    assert chains.search("Hiệp Bình Chánh").words == [["hiệp", "bình", "chánh"]]
    assert set(chains.match_ids("Hiệp Bình Chánh")) == {f"ward-{i}" for i in range(3)}


CHAINED = word_test(
    ("tan", "hiep"),
    ("hiep", "binh"),
    ("binh", "xoan"),
    ("binh", "chanh"),
    ("thai", "binh"),
    ("binh", "trung"),
)


def holds(*runs: tuple[str, ...]):
    """A plan run test (search.plan.RunTest) that holds exactly these folded runs."""

    def test(folded: tuple[str, ...]) -> bool:
        return folded in runs

    return test


@pytest.mark.parametrize(
    "q, runs, words",
    [
        # Not held whole: the word ends where the chain begins, the next word follows.
        # (In small letters and made-up: no administrative unit decides.)
        ("tân hiệp bình xoan", (), [["tân", "hiệp"], ["bình", "xoan"]]),
        ("tân hiệp bình chánh", (), [["tân", "hiệp"], ["bình", "chánh"]]),
        # Held whole (each longer run the chain passes through): one word.
        (
            "tân hiệp bình xoan",
            (("tan", "hiep", "binh"), ("tan", "hiep", "binh", "xoan")),
            [["tân", "hiệp", "bình", "xoan"]],
        ),
        # Held up to three syllables only: the chain is judged whole, so it ends
        # where the next word begins ("định nghĩa hộ" + "hộ nghèo", test_questions).
        ("tân hiệp bình xoan", (("tan", "hiep", "binh"),), [["tân", "hiệp"], ["bình", "xoan"]]),
        # The syllable after begins no word of its own: the chain goes on.
        ("thái bình trung", (), [["thái", "bình", "trung"]]),
    ],
)
def test_a_chained_word_needs_the_index_to_hold_it(q, runs, words):
    plan = plan_mod.build(parse(q), CHAINED, "exact", holds=holds(*runs))
    assert plan.describe() == words


def test_without_the_run_test_a_chain_is_one_word():
    plan = plan_mod.build(parse("tân hiệp bình xoan"), CHAINED, "exact")
    assert plan.describe() == [["tân", "hiệp", "bình", "xoan"]]


@pytest.mark.parametrize(
    "q",
    [
        "huyện Xyzzyqq",
        "xã Xyzzyqq Quux",
        "chủ tịch xã Xyzzyqq",
        "ông Xyzzyqq",
        "huyen Xyzzyqq",
        "Chủ tịch UBND xã Xyzzyqq",
    ],
)
def test_a_type_or_a_title_alone_is_no_rescue(chains, q):
    # What is left would be every article with the type or the title: nothing instead.
    result = chains.search(q)
    assert result.total == 0 and result.missing == []


@pytest.mark.parametrize(
    "q, left",
    [
        ("lúa Xyzzyqq", "lúa"),
        ("lua Xyzzyqq", "lua"),
        ("xã Tân Hiệp Xyzzyqq", "xã tân hiệp"),
    ],
)
def test_a_word_that_names_something_is_still_a_rescue(chains, q, left):
    result = chains.search(q)
    assert result.total > 0 and result.missing == ["xyzzyqq"]
    assert " ".join(" ".join(w) for w in result.words) == left


@pytest.mark.parametrize(
    "words, accented, nothing",
    [
        (["huyện"], True, True),
        (["chủ tịch xã"], True, True),
        (["chủ", "tịch", "xã"], True, True),  # typed apart, read as one
        (["thị xã", "tp"], True, True),
        (["của"], True, True),
        (["huyen"], False, True),
        (["chủ tịch", "ubnd", "xã"], True, True),
        (["ủy ban nhân dân", "huyện"], True, True),
        (["chua"], False, False),  # typed without accents: also *chùa*
        (["chưa"], True, True),
        (["xa"], True, False),  # typed with accents: "far"
        (["tịch"], True, False),
        (["tân hiệp"], True, False),
        (["xã tân hiệp"], True, False),
        (["cán bộ"], True, False),
    ],
)
def test_what_names_nothing(words, accented, nothing):
    clauses = [
        [plan_mod.Word(tuple(plan_mod.Syllable(s, False) for s in w.split()))] for w in words
    ]
    assert plan_mod.names_nothing(clauses, accented) is nothing


def test_chains_through_the_cli_the_api_and_the_page(chains, runner, client_for):
    q = "Tân Hiệp Bình Dương"
    result = runner.invoke(cli, ["search", q, "--index", str(chains.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == BOTH and d["words"] == [
        ["tân", "hiệp"],
        ["bình", "dương"],
    ]
    client = client_for(chains.path)
    api = client.get("/api/search", query_string={"q": "huyện Xyzzyqq"}).get_json()
    assert api["total"] == 0 and not api.get("missing")
    page = client.get("/search", query_string={"q": q}).get_data(as_text=True)
    assert "both-0" in page and "ward-0" not in page
