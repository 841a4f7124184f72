"""Capitals in the middle of a query: a title or a holiday ("lễ Quốc khánh", "đồng chí
Bí thư") is one term, and a region before a small letter too ("miền Trung mưa lớn"),
where pyvi's mistaken joins in running text ("miền Trung_mưa to") make no word; a name
of common syllables that the articles write with capitals ("Kỳ Anh") stays one term.

A real index of hand-made articles where each term's syllables also stand apart,
through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest
from helpers import pair_counts, word_test

from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.query import parse

CAPITALS = [
    # "Quốc khánh" side by side in 4 articles; "quốc" and "khánh" apart in 6 more.
    *(
        Article(
            id=f"national-day-{i}",
            title=f"Mít tinh {i}",
            body=f"Xã {i} tổ chức lễ Quốc khánh trang trọng.",
        )
        for i in range(4)
    ),
    *(
        Article(
            id=f"apart-{i}",
            title=f"Hội nghị {i}",
            body=f"Đoàn đại biểu Quốc hội dự lễ khánh thành cầu ở xã {i}.",
        )
        for i in range(6)
    ),
    # "miền Trung" side by side in 40 articles; pyvi joins "Trung_mưa" in the two that
    # write "miền Trung mưa to".
    *(
        Article(
            id=f"central-{i}",
            title=f"Bão số {i}",
            body=f"Bão gây mưa lớn ở miền Trung; {i} nhà tốc mái.",
        )
        for i in range(40)
    ),
    *(
        Article(
            id=f"heavy-rain-{i}",
            title=f"Dự báo {i}",
            body=f"Sáng {i} tháng 9, nhiều khu vực ở miền Trung mưa to.",
        )
        for i in range(1, 3)
    ),
    # "Kỳ Anh" side by side in 2 of the 52 articles holding both syllables, written as
    # a name: kept, where a free combination would go apart.
    *(
        Article(
            id=f"ky-anh-{i}",
            title=f"Thị xã Kỳ Anh {i}",
            body=f"Thị xã Kỳ Anh hỗ trợ ngư dân, đợt {i}. Ngư dân Kỳ Anh ra khơi.",
        )
        for i in range(2)
    ),
    *(
        Article(
            id=f"term-{i}",
            title=f"Học kỳ {i}",
            body=f"Học kỳ {i} này, anh em giáo viên dạy thêm toán.",
        )
        for i in range(50)
    ),
    # A man named Trung and heavy rain in the mountains: neither term.
    Article(
        id="highland",
        title="Mưa lớn ở miền núi",
        body="Mưa lớn làm sạt lở ở miền núi; ông Lê Văn Trung chỉ đạo khắc phục.",
    ),
]

NATIONAL_DAY = {f"national-day-{i}" for i in range(4)}
CENTRAL = {f"central-{i}" for i in range(40)}


@pytest.fixture(scope="module")
def capitals(articles_index, engine_for):
    return engine_for(articles_index(CAPITALS, "capitals"))


@pytest.mark.parametrize(
    "q, expected, words",
    [
        ("lễ Quốc khánh", NATIONAL_DAY, [["lễ"], ["quốc", "khánh"]]),
        ("le Quoc khanh", NATIONAL_DAY, [["le"], ["quoc", "khanh"]]),
        ("lễ quốc khánh", NATIONAL_DAY, None),  # as pyvi joins it in these articles
        # A region before a small letter: one term, as at the end of the query.
        ("miền Trung mưa lớn", CENTRAL, [["miền", "trung"], ["mưa", "lớn"]]),
        ("mien trung mua lon", CENTRAL, [["mien", "trung"], ["mua", "lon"]]),
        ("mưa lớn miền Trung", CENTRAL, [["mưa", "lớn"], ["miền", "trung"]]),
        # A name of common syllables, written with capitals: side by side.
        ("Kỳ Anh", {"ky-anh-0", "ky-anh-1"}, [["kỳ", "anh"]]),
        ("ky anh", {"ky-anh-0", "ky-anh-1"}, [["ky", "anh"]]),
    ],
)
def test_a_capital_between_small_letters_is_a_terms_own(capitals, q, expected, words):
    assert set(capitals.match_ids(q)) == expected
    assert words is None or capitals.search(q).words == words


@pytest.mark.parametrize(
    "q, counts, words",
    [
        # A lone capital after a small letter pairs with the small letter after it.
        ("lễ Quốc khánh", {"quoc_khanh": 266}, [["lễ"], ["quốc", "khánh"]]),
        ("đồng chí Bí thư", {"dong_chi": 800, "bi_thu": 900}, [["đồng", "chí"], ["bí", "thư"]]),
        # The end of a name is no title's start: a capital before it.
        ("huyện Tân Phú xã", {"tan_phu": 494, "phu_xa": 50}, [["huyện"], ["tân", "phú"], ["xã"]]),
        # A capital after a comma or first in the query: the sentence's, as before.
        ("lễ, Quốc khánh", {"quoc_khanh": 266}, [["lễ"], ["quốc", "khánh"]]),
        ("Quốc khánh", {"quoc_khanh": 266}, [["quốc", "khánh"]]),
        # Held side by side nowhere: apart.
        ("lễ Quốc khánh", {}, [["lễ"], ["quốc"], ["khánh"]]),
        # A region of one syllable before a small letter: the stronger tie takes it.
        (
            "miền Trung mưa",
            {"mien_trung": 765, "trung_mua": 14},
            [["miền", "trung"], ["mưa"]],
        ),
        (
            "đồng chí Thủ tướng",
            {"dong_chi": 800, "chi_thu": 3, "thu_tuong": 900},
            [["đồng", "chí"], ["thủ", "tướng"]],
        ),
        # After a person's title, a capital is a given name and what follows it what
        # the person does: no pair ("tư trồng" folds alike with "từ trong", 677).
        (
            "ông Tư trồng lúa",
            {"tu_trong": 677, "trong_lua": 50},
            [["ông"], ["tư"], ["trồng", "lúa"]],
        ),
        (
            "bà Hoa bán rau",
            {"ba_hoa": 50, "hoa_ban": 3, "ban_rau": 20},
            [["bà"], ["hoa"], ["bán", "rau"]],
        ),
        # Before a function word the title and the name pair, as a region does.
        (
            "anh Nam và chị Hoa",
            {"anh_nam": 40, "chi_hoa": 30},
            [["anh", "nam"], ["và"], ["chị", "hoa"]],
        ),
        # A name goes on after it: a word beside a name, apart.
        ("xã Tà Tổng", {"xa_ta": 30, "ta_tong": 20}, [["xã"], ["tà", "tổng"]]),
    ],
)
def test_which_capitals_pair(q, counts, words):
    assert plan_mod.build(parse(q), None, "exact", None, pair_counts(**counts)).describe() == words


@pytest.mark.parametrize(
    "counts, words",
    [
        # pyvi's "trung_mưa" against 55 times as many "miền trung": no word there.
        ({"mien_trung": 765, "trung_mua": 14, "mua_to": 300}, [["miền", "trung"], ["mưa", "to"]]),
        # Not outweighed 20 times: pyvi's word stands.
        ({"mien_trung": 100, "trung_mua": 14, "mua_to": 300}, [["miền"], ["trung", "mưa", "to"]]),
    ],
)
def test_a_word_outweighed_by_the_pair_before_it(counts, words):
    is_word = word_test(("trung", "mua"), ("mua", "to"))
    plan = plan_mod.build(parse("miền trung mưa to"), is_word, "exact", None, pair_counts(**counts))
    assert plan.describe() == words


@pytest.mark.parametrize(
    "q, clauses, excluded",
    [
        # "-" and "OR" take a region by the stronger tie too: "lễ Quốc" is no term.
        ("hội -lễ Quốc khánh", [["hội"], ["quốc khánh"]], ["lễ"]),
        ("bão OR lễ Quốc khánh", [["bão", "lễ"], ["quốc khánh"]], []),
    ],
)
def test_operators_take_a_region_by_the_stronger_tie(q, clauses, excluded):
    counts = pair_counts(le_quoc=192, quoc_khanh=266)
    plan = plan_mod.build(parse(q), word_test(), "exact", None, counts)
    assert [[w.text for w in c] for c in plan.clauses] == clauses
    assert [w.text for w in plan.excluded] == excluded


def test_a_dictionary_word_is_never_outweighed():
    # "canh kho khat": "cảnh khó" (258) folds alike, yet "khô khát" is a word.
    is_word = word_test(("kho", "khat"))
    counts = pair_counts(canh_kho=258, kho_khat=5)
    q = parse("canh kho khat")
    assert plan_mod.build(q, is_word, "exact", None, counts).describe() == [
        ["canh", "kho"],
        ["khat"],
    ]
    plan = plan_mod.build(q, is_word, "exact", None, counts, lexical=lambda w: True)
    assert plan.describe() == [["canh"], ["kho", "khat"]]


def test_a_word_after_a_word_is_never_outweighed():
    # "hợp tác" is a word: "tác xã" goes on from it, however often "hợp tác" stands.
    is_word = word_test(("hop", "tac"), ("tac", "xa"))
    counts = pair_counts(hop_tac=2512, tac_xa=20)
    assert plan_mod.build(parse("hợp tác xã"), is_word, "exact", None, counts).describe() == [
        ["hợp", "tác", "xã"]
    ]


def test_capitals_through_the_cli_the_api_and_the_page(capitals, runner, client_for):
    result = runner.invoke(
        cli, ["search", "lễ Quốc khánh", "--index", str(capitals.path), "--json"]
    )
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == NATIONAL_DAY
    assert d["words"] == [["lễ"], ["quốc", "khánh"]]
    client = client_for(capitals.path)
    api = client.get("/api/search", query_string={"q": "miền Trung mưa lớn"}).get_json()
    assert api["total"] == 40 and api["words"] == [["miền", "trung"], ["mưa", "lớn"]]
    page = client.get("/search", query_string={"q": "lễ Quốc khánh"}).get_data(as_text=True)
    assert "national-day-0" in page and "apart-0" not in page
