"""A number typed after a word labels it ("Quận 1", "bão số 3"): the two stand side by side.

A number after a word in a Vietnamese query names which one ("phường 3", "Điều
5", "Quốc lộ 1A"); before a word it counts ("3 người"). A real index of
hand-made articles where the label's parts also occur apart, through the
library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest

from search import plan as plan_mod
from search.article import Article
from search.cli import cli
from search.query import parse

LABELS = [
    # "phường 3" side by side in 3 articles; "phường" and "3" apart in 12.
    *(
        Article(id=f"ward-{i}", title=f"Phường {i}", body=f"UBND phường 3 tổ chức hội nghị {i}.")
        for i in range(3)
    ),
    *(
        Article(
            id=f"ward-apart-{i}",
            title=f"Dân phố {i}",
            body=f"Phường Bến Thành có 3 tổ dân phố mới {i}.",
        )
        for i in range(12)
    ),
    # Storm No. 3, beside storm No. 9 that killed 3 people.
    *(
        Article(id=f"storm-3-{i}", title=f"Mưa lớn {i}", body=f"Bão số 3 gây mưa lớn ở xã {i}.")
        for i in range(2)
    ),
    *(
        Article(
            id=f"storm-9-{i}",
            title=f"Thiệt hại {i}",
            body=f"Bão số 9 làm 3 người bị thương ở xã {i}.",
        )
        for i in range(6)
    ),
    # Bus route No. 2, and a route beside the number 2 elsewhere.
    *(
        Article(id=f"route-2-{i}", title=f"Xe buýt {i}", body=f"Xe buýt tuyến số 2 chạy lại {i}.")
        for i in range(2)
    ),
    *(
        Article(
            id=f"route-apart-{i}",
            title=f"Giao thông {i}",
            body=f"Tuyến đường qua xã {i} có số 2 trạm dừng.",
        )
        for i in range(4)
    ),
    # A number that counts what follows it, and a year.
    Article(id="crash", title="Tai nạn", body="Vụ tai nạn khiến 3 người chết tại chỗ."),
    Article(id="flood-2020", title="Lũ lụt", body="Lũ lụt năm 2020 tàn phá miền Trung."),
    # District 1 and District 3.
    *(
        Article(id=f"d1-{i}", title=f"Trung tâm {i}", body=f"Quận 1 chỉnh trang vỉa hè {i}.")
        for i in range(2)
    ),
    Article(id="d3", title="Vỉa hè", body="Quận 3 chỉnh trang vỉa hè."),
    Article(id="d-apart", title="Quận mới", body="Quận Bình Thạnh có 1 vỉa hè mới chỉnh trang."),
    # The poor of wards, beside a number that labels nothing; and Ward 3's poor
    # households, "hộ" and "nghèo" apart.
    Article(id="poor-ward", title="Gạo", body="Hộ nghèo ở phường Bến Thành nhận 3 tấn gạo."),
    Article(id="poor-ward-2", title="Gạo mới", body="Hộ nghèo ở phường Tân Định nhận 3 tấn gạo."),
    Article(id="ward-poor", title="Hỗ trợ", body="Phường 3 hỗ trợ hộ gia đình nghèo."),
    # National Day, in words and in figures.
    Article(id="national-words", title="Quốc khánh", body="Mít tinh ngày 2 tháng 9 tại xã."),
    Article(id="national-figures", title="Lễ Quốc khánh", body="Dịp lễ 2/9 du khách đông."),
    Article(id="national-apart", title="Ngày hội", body="Ngày 9 tháng 2 có 2 đoàn khách."),
]

WARD = {f"ward-{i}" for i in range(3)} | {"ward-poor"}
STORM_3 = {"storm-3-0", "storm-3-1"}


@pytest.fixture(scope="module")
def labels(articles_index, engine_for):
    return engine_for(articles_index(LABELS, "labels"))


@pytest.mark.parametrize(
    "q, expected, words",
    [
        ("phường 3", WARD, [["phường", "3"]]),
        ("phuong 3", WARD, [["phuong", "3"]]),
        ("UBND phường 3", WARD - {"ward-poor"}, None),
        ("bão số 3", STORM_3, [["bão", "số", "3"]]),
        ("bao so 3", STORM_3, [["bao", "so", "3"]]),
        # After "số" the number is a label, whatever follows.
        ("bão số 3 gây mưa", STORM_3, [["bão", "số", "3"], ["gây", "mưa"]]),
        ("tuyến số 2", {"route-2-0", "route-2-1"}, [["tuyến", "số", "2"]]),
        # A number before a word counts it: apart ("3 người" is no label of "nạn").
        ("tai nạn 3 người chết", {"crash"}, None),
        # A year is no label ("lũ lụt 2020": the floods of 2020).
        ("lũ lụt 2020", {"flood-2020"}, None),
        # Only where the index holds the number beside the word at all.
        (
            "Bến Thành 3",
            {f"ward-apart-{i}" for i in range(12)} | {"poor-ward"},
            [["bến", "thành"], ["3"]],
        ),
        # Held, but with none of the other words: the number apart, as before.
        (
            "phường 3 Bến Thành",
            {f"ward-apart-{i}" for i in range(12)} | {"poor-ward"},
            [["phường"], ["3"], ["bến", "thành"]],
        ),
        ("Quận 1", {"d1-0", "d1-1"}, [["quận", "1"]]),
        # Either label, each with its word.
        ("Quận 1 OR Quận 3", {"d1-0", "d1-1", "d3"}, [["quận", "1"], ["quận", "3"]]),
        # Readings are judged without labels, then labelled when that finds anything:
        # a label found nowhere with the term leaves the term whole (not "hộ", "nghèo"
        # and "phường 3").
        ("hộ nghèo phường 3", {"poor-ward", "poor-ward-2"}, [["hộ", "nghèo"], ["phường"], ["3"]]),
        # A date in words is also the date in figures.
        ("ngày 2 tháng 9", {"national-words", "national-figures"}, [["ngày", "2", "tháng", "9"]]),
        ("vỉa hè -Quận 1", {"d3", "d-apart"}, None),
        ("Quận 1 -Quận 3", {"d1-0", "d1-1"}, [["quận", "1"]]),
        # Telex typed without an input method, corrected: labelled too.
        ("quaanj 1", {"d1-0", "d1-1"}, [["quận", "1"]]),
    ],
)
def test_a_number_after_a_word_is_its_label(labels, q, expected, words):
    result = labels.search(q, per_page=50)
    assert {h.id for h in result.hits} == expected
    assert words is None or result.words == words


def never(*_, **__) -> bool:
    return False


def no_pair(a: str, b: str) -> int:
    return 0


def numbering(a: str, b: str) -> int:
    # Whatever stands before "số" is held beside it.
    return 5 if b == "so" else 0


@pytest.mark.parametrize(
    "q, words",
    [
        ("Quận 1", [["quận", "1"]]),
        ("tổ 12A", [["tổ", "12a"]]),
        ("Quốc lộ 1A", [["quốc"], ["lộ", "1a"]]),
        # After "số", whatever follows; and "số" joins the thing it numbers.
        ("bão số 3 gây thiệt hại", [["bão", "số", "3"], ["gây"], ["thiệt"], ["hại"]]),
        ("bao so 3", [["bao", "so", "3"]]),
        # At the end of its run: before punctuation, a function word, a name, or
        # another label.
        ("phường 3, quận 5", [["phường", "3"], ["quận", "5"]]),
        ("phường 3 quận 5", [["phường", "3"], ["quận", "5"]]),
        ("phường 3 ở đâu", [["phường", "3"]]),  # question words are not shown
        ("Điều 5 Luật Đất đai", [["điều", "5"], ["luật"], ["đất"], ["đai"]]),
        # An address goes on: a unit's type and a name or another label after it.
        ("ấp 3 xã Tân Phú", [["ấp", "3"], ["xã"], ["tân"], ["phú"]]),
        ("khoản 2 điều 5", [["khoản", "2"], ["điều", "5"]]),
        # After a unit that is numbered, whatever follows.
        ("phường 3 quận 5 ngập", [["phường", "3"], ["quận", "5"], ["ngập"]]),
        # Before a content word it counts: apart.
        ("tai nạn 3 người", [["tai"], ["nạn"], ["3"], ["người"]]),
        ("điều 5 luật", [["điều"], ["5"], ["luật"]]),
        ("cháy 3 nhà 2 xe", [["cháy"], ["3"], ["nhà"], ["2"], ["xe"]]),
        ("hỗ trợ 3 xã nghèo", [["hỗ"], ["trợ"], ["3"], ["xã"], ["nghèo"]]),
        # No label: a year, an amount, a time, a count after a function word, or a
        # number first.
        ("lũ lụt 2020", [["lũ"], ["lụt"], ["2020"]]),
        ("giá 3.000 đồng", [["giá"], ["3.000"], ["đồng"]]),
        ("tăng trưởng 7%", [["tăng"], ["trưởng"], ["7"]]),
        ("lúc 9h30", [["lúc"], ["9h30"]]),
        ("khoảng 5h", [["khoảng"], ["5h"]]),
        ("hư hỏng 150m", [["hư"], ["hỏng"], ["150m"]]),
        ("có 3", [["có"], ["3"]]),
        ("3 xã", [["3"], ["xã"]]),
    ],
)
def test_which_numbers_label_the_word_before_them(q, words):
    plan = plan_mod.build(parse(q), never, "exact", None, numbering)
    assert plan.describe() == words


@pytest.mark.parametrize(
    "q, clauses",
    [
        # After a label, the other alternative's number is one too, whatever follows.
        ("Quận 1 OR Quận 3 chỉnh trang", [["quận 1", "quận 3"], ["chỉnh"], ["trang"]]),
        ("bão số 3 OR bão số 9", [["bão số 3", "bão số 9"]]),
        ("quận 1 OR quận 3 OR quận 5", [["quận 1", "quận 3", "quận 5"]]),
        # Numbers as the alternatives: the word, and either ("quận", 1 or 3).
        ("Quận 1 OR 3", [["quận"], ["1", "3"]]),
        ("tai nạn 3 OR 4 người", [["tai"], ["nạn"], ["3", "4"], ["người"]]),
        # A number with nothing to label stands alone.
        ("3 OR Quận 5", [["3", "quận 5"]]),
        ("có 3 OR Quận 5", [["có"], ["3", "quận 5"]]),
    ],
)
def test_or_takes_a_label_with_its_word(q, clauses):
    def storm(before, a, b, after, **_) -> bool:
        return (a, b) == ("bao", "so")  # "bão số", a word of the index

    plan = plan_mod.build(parse(q), storm, "exact", None, no_pair)
    assert [[w.text for w in c] for c in plan.clauses] == clauses


def test_minus_takes_a_label_with_its_word():
    # After a numbered unit, whatever follows ("-quận 3 vỉa hè").
    for q in ("vỉa hè -Quận 1", "-quận 1, vỉa hè", "-quận 1 vỉa hè"):
        plan = plan_mod.build(parse(q), never, "exact", None, no_pair)
        assert [w.text for w in plan.excluded] == ["quận 1"]
        assert plan.describe() == [["vỉa"], ["hè"]]


def test_so_joins_only_what_the_pair_test_holds_beside_it():
    # Not held beside "số", or read apart (no pair test): the label alone.
    assert plan_mod.build(parse("phường số 3"), never, "exact", None, no_pair).describe() == [
        ["phường"],
        ["số", "3"],
    ]
    assert plan_mod.build(parse("phường số 3"), never, "exact", None, None).describe() == [
        ["phường"],
        ["số", "3"],
    ]


def test_an_abbreviation_keeps_its_expansion_beside_a_label():
    def aliases(key, typed):
        return [(("trung", "hoc", "co", "so"), "trung học cơ sở")] if key == ("thcs",) else []

    plan = plan_mod.build(parse("trường THCS số 2"), never, "exact", aliases, numbering)
    assert [[w.text for w in c] for c in plan.clauses] == [
        ["trường"],
        ["thcs", "trung hoc co so"],
        ["số 2"],
    ]


def test_a_date_in_words_is_also_the_date_in_figures():
    def aliases(key, typed):
        return []

    plan = plan_mod.build(parse("lễ ngày 2 tháng 9"), never, "exact", aliases, no_pair)
    assert [[w.text for w in c] for c in plan.clauses] == [["lễ"], ["ngày 2 tháng 9", "2 9"]]
    assert plan.aliases == {1: ("ngày 2 tháng 9", ["2/9"])}
    # Not without other forms asked for, nor for what is no date.
    plan = plan_mod.build(parse("ngày 2 tháng 9"), never, "exact", None, no_pair)
    assert plan.describe() == [["ngày", "2"], ["tháng", "9"]] and not plan.aliases
    plan = plan_mod.build(parse("ngày 2 tháng 13"), never, "exact", aliases, no_pair)
    assert plan.describe() == [["ngày", "2"], ["tháng", "13"]] and not plan.aliases
    plan = plan_mod.build(parse("ngày 31 tháng 2"), never, "exact", aliases, no_pair)
    assert not plan.aliases
    # With its year, the date goes on.
    plan = plan_mod.build(parse("ngày 2 tháng 9 năm 2019"), never, "exact", aliases, no_pair)
    assert plan.describe() == [["ngày", "2", "tháng", "9"], ["năm"], ["2019"]]


def test_numbers_stay_apart_without_the_index_or_when_asked():
    # Without the index's tests every syllable stands alone, as before; the engine's
    # reading when the labels find nothing.
    assert plan_mod.build(parse("Quận 1")).describe() == [["quận"], ["1"]]
    plan = plan_mod.build(parse("Quận 1 OR Quận 3"), never, "exact", None, no_pair, labels=False)
    assert [[w.text for w in c] for c in plan.clauses] == [["quận"], ["1", "quận"], ["3"]]


def test_labels_through_the_cli_the_api_and_the_page(labels, runner, client_for):
    result = runner.invoke(cli, ["search", "phường 3", "--index", str(labels.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert {h["id"] for h in d["hits"]} == WARD and d["words"] == [["phường", "3"]]
    client = client_for(labels.path)
    api = client.get("/api/search", query_string={"q": "bão số 3"}).get_json()
    assert api["total"] == 2 and api["words"] == [["bão", "số", "3"]]
    page = client.get("/search", query_string={"q": "Quận 1"}).get_data(as_text=True)
    assert "d1-0" in page and "d-apart" not in page
