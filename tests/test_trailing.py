"""A word and the lone syllable typed after it ("công an" + "xã") pair as two lone syllables do.

A real index of hand-made articles where the syllable also stands apart from the
word, through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest
from helpers import pair_counts, word_test

from search import engine as engine_mod
from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.query import parse

TRAILING = [
    # "công an xã" side by side in 4 of the 24 articles holding both: a term.
    *(
        Article(id=f"police-{i}", title=f"Tuần tra {i}", body=f"Công an xã {i} tuần tra ban đêm.")
        for i in range(4)
    ),
    *(
        Article(
            id=f"district-{i}",
            title=f"Phối hợp {i}",
            body=f"Công an huyện phối hợp với UBND xã {i} giải tỏa hành lang.",
        )
        for i in range(20)
    ),
    # "chuyển đổi số" side by side in 2 of the 52 articles holding both: a free combination.
    *(
        Article(id=f"digital-{i}", title=f"Số hóa {i}", body=f"Tỉnh đẩy mạnh chuyển đổi số {i}.")
        for i in range(2)
    ),
    *(
        Article(
            id=f"land-{i}",
            title=f"Đất lúa {i}",
            body=f"Huyện chuyển đổi đất lúa kém hiệu quả; số hộ tham gia tăng {i}.",
        )
        for i in range(50)
    ),
    # "đường" beside "sửa chữa" in 3 articles, before "giao thông" in 8: it goes with
    # "giao thông".
    *(
        Article(
            id=f"repair-{i}",
            title=f"Sửa chữa {i}",
            body=f"Huyện sửa chữa đường giao thông nông thôn {i}.",
        )
        for i in range(3)
    ),
    *(
        Article(id=f"road-{i}", title=f"Xuống cấp {i}", body=f"Đường giao thông xã {i} xuống cấp.")
        for i in range(5)
    ),
]

POLICE = {f"police-{i}" for i in range(4)}
DIGITAL_AND_LAND = {f"digital-{i}" for i in range(2)} | {f"land-{i}" for i in range(50)}


@pytest.fixture(scope="module")
def trailing(articles_index, engine_for):
    return engine_for(articles_index(TRAILING, "trailing"))


@pytest.mark.parametrize(
    "q, expected, words",
    [
        ("công an xã", POLICE, [["công", "an", "xã"]]),
        ("cong an xa", POLICE, [["cong", "an", "xa"]]),
        ("công an xã tuần tra", POLICE, [["công", "an", "xã"], ["tuần", "tra"]]),
        # A free combination: apart, as before.
        ("chuyển đổi số", DIGITAL_AND_LAND, [["chuyển", "đổi"], ["số"]]),
        # The syllable goes with the word after it, held so more often.
        (
            "sửa chữa đường giao thông",
            {f"repair-{i}" for i in range(3)},
            [["sửa", "chữa"], ["đường", "giao", "thông"]],
        ),
    ],
)
def test_a_word_and_the_syllable_after_it(trailing, q, expected, words):
    assert set(trailing.match_ids(q)) == expected
    assert trailing.search(q).words == words


@pytest.mark.parametrize(
    "q, counts, words",
    [
        ("công an xã", {"an_xa": 10}, [["công", "an", "xã"]]),
        # Never held side by side, a function word, or a name after a small letter.
        ("công an xã", {}, [["công", "an"], ["xã"]]),
        ("công an của xã", {"an_cua": 10}, [["công", "an"], ["của"], ["xã"]]),
        ("công an Hà Nội", {"an_ha": 10}, [["công", "an"], ["hà", "nội"]]),
        # A lone syllable after it that it pairs with takes it ("chi trả lương hưu").
        ("công an xã bắt", {"an_xa": 10, "xa_bat": 3}, [["công", "an"], ["xã", "bắt"]]),
        # The stronger tie takes it, of a word after it.
        (
            "công an xã chính quy",
            {"an_xa": 10, "xa_chinh": 3},
            [["công", "an", "xã"], ["chính", "quy"]],
        ),
        (
            "công an xã chính quy",
            {"an_xa": 3, "xa_chinh": 10},
            [["công", "an"], ["xã"], ["chính", "quy"]],
        ),
    ],
)
def test_what_a_word_takes_after_it(q, counts, words):
    is_word = word_test(("cong", "an"), ("chinh", "quy"), ("ha", "noi"))
    plan = plan_mod.build(parse(q), is_word, "exact", None, pair_counts(**counts))
    assert plan.describe() == words
    assert all(w.tail == (len(w.syllables) == 3) for w in plan.words)


IS_WORD = word_test(
    ("hoi", "dong"),
    ("nhan", "dan"),
    ("nha", "van"),
    ("van", "hoa"),
    ("tuyen", "sinh"),
    ("hoc", "sinh"),
    ("cong", "an"),
    ("le", "van"),
)


@pytest.mark.parametrize("q", ["hội đồng nhân dân tỉnh", "nhà văn hóa xã"])
def test_a_known_form_ending_with_the_word_keeps_it_whole(q):
    def aliases(key, typed):
        forms = {("hoi", "dong", "nhan", "dan"): "HĐND", ("nha", "van", "hoa"): "NVH"}
        return [] if key not in forms else [(tuple(forms[key].lower()), forms[key])]

    # Without its forms, the word takes the syllable ("nhân dân tỉnh"); with them, never.
    plain = plan_mod.build(parse(q), IS_WORD, "exact", None, lambda a, b: 10)
    assert any(w.tail for w in plain.words)
    plan = plan_mod.build(parse(q), IS_WORD, "exact", aliases, lambda a, b: 10)
    assert plan.aliases and not any(w.tail for w in plan.words)
    assert plan.describe()[-1] == [q.split()[-1]]


@pytest.mark.parametrize(
    "q, words",
    [
        # A time or a class goes with what follows it, as any syllable before a number.
        ("tuyển sinh năm nay", [["tuyển", "sinh"], ["năm"], ["nay"]]),
        ("học sinh lớp 12", [["học", "sinh"], ["lớp", "12"]]),
        ("công an xã 5", [["công", "an"], ["xã", "5"]]),
        # What may begin a person's name is left to the name rules.
        ("le van sang", [["le", "van"], ["sang"]]),
        # Held side by side, else: one term.
        ("công an xã", [["công", "an", "xã"]]),
    ],
)
def test_what_a_word_never_takes(q, words):
    assert plan_mod.build(parse(q), IS_WORD, "exact", None, lambda a, b: 10).describe() == words


def test_a_pair_formed_anew_is_no_partial_reading():
    def word(*syllables: str, paired: bool = False) -> plan_mod.Word:
        return plan_mod.Word(tuple(plan_mod.Syllable(x, False) for x in syllables), paired=paired)

    plan = plan_mod.Plan([[word("công", "an")], [word("huyện", "bắt", paired=True)]])
    reread = plan_mod.Plan([[word("công", "an", "huyện", paired=True)], [word("bắt")]])
    kept = plan_mod.Plan([[word("công", "an")], [word("huyện")], [word("bắt")]])
    assert engine_mod._new_pairs(plan, reread) and not engine_mod._new_pairs(plan, kept)


def test_trailing_through_the_cli_the_api_and_the_page(trailing, runner, client_for):
    result = runner.invoke(cli, ["search", "công an xã", "--index", str(trailing.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == POLICE and d["words"] == [["công", "an", "xã"]]
    client = client_for(trailing.path)
    api = client.get("/api/search", query_string={"q": "cong an xa"}).get_json()
    assert api["total"] == 4 and api["words"] == [["cong", "an", "xa"]]
    page = client.get("/search", query_string={"q": "công an xã"}).get_data(as_text=True)
    assert "police-0" in page and "district-0" not in page
