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
    Article(id="route-2", title="Xe buýt", body="Xe buýt tuyến số 2 chạy lại từ hôm nay."),
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
]

WARD = {f"ward-{i}" for i in range(3)}
STORM_3 = {"storm-3-0", "storm-3-1"}


@pytest.fixture(scope="module")
def labels(articles_index, engine_for):
    return engine_for(articles_index(LABELS, "labels"))


@pytest.mark.parametrize(
    "q, expected, words",
    [
        ("phường 3", WARD, [["phường", "3"]]),
        ("phuong 3", WARD, [["phuong", "3"]]),
        ("UBND phường 3", WARD, None),
        ("bão số 3", STORM_3, [["bão", "số", "3"]]),
        ("bao so 3", STORM_3, [["bao", "so", "3"]]),
        # After "số" the number is a label, whatever follows.
        ("bão số 3 gây mưa", STORM_3, [["bão", "số", "3"], ["gây", "mưa"]]),
        ("tuyến số 2", {"route-2"}, [["tuyến", "số", "2"]]),
        # A number before a word counts it: apart ("3 người" is no label of "nạn").
        ("tai nạn 3 người chết", {"crash"}, None),
        # A year is no label ("lũ lụt 2020": the floods of 2020).
        ("lũ lụt 2020", {"flood-2020"}, None),
        # Only where the index holds the number beside the word at all.
        ("Bến Thành 3", {f"ward-apart-{i}" for i in range(12)}, [["bến", "thành"], ["3"]]),
        # Held, but with none of the other words: the number apart, as before.
        (
            "phường 3 Bến Thành",
            {f"ward-apart-{i}" for i in range(12)},
            [["phường"], ["3"], ["bến", "thành"]],
        ),
        ("Quận 1", {"d1-0", "d1-1"}, [["quận", "1"]]),
        # Either label, each with its word.
        ("Quận 1 OR Quận 3", {"d1-0", "d1-1", "d3"}, [["quận", "1"], ["quận", "3"]]),
        ("vỉa hè -Quận 1", {"d3", "d-apart"}, None),
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
        # Before a content word it counts: apart.
        ("tai nạn 3 người", [["tai"], ["nạn"], ["3"], ["người"]]),
        ("điều 5 luật", [["điều"], ["5"], ["luật"]]),
        # No label: a year, an amount, a time, a count after a function word, or a
        # number first.
        ("lũ lụt 2020", [["lũ"], ["lụt"], ["2020"]]),
        ("giá 3.000 đồng", [["giá"], ["3.000"], ["đồng"]]),
        ("lúc 9h30", [["lúc"], ["9h30"]]),
        ("khoảng 5h", [["khoảng"], ["5h"]]),
        ("hư hỏng 150m", [["hư"], ["hỏng"], ["150m"]]),
        ("có 3", [["có"], ["3"]]),
        ("3 xã", [["3"], ["xã"]]),
    ],
)
def test_which_numbers_label_the_word_before_them(q, words):
    plan = plan_mod.build(parse(q), never, "exact", None, no_pair)
    assert plan.describe() == words


@pytest.mark.parametrize(
    "q, clauses",
    [
        # After a label, the other alternative's number is one too, whatever follows.
        ("Quận 1 OR Quận 3 chỉnh trang", [["quận 1", "quận 3"], ["chỉnh"], ["trang"]]),
        ("bão số 3 OR bão số 9", [["bão số 3", "bão số 9"]]),
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
    for q in ("vỉa hè -Quận 1", "-quận 1, vỉa hè"):
        plan = plan_mod.build(parse(q), never, "exact", None, no_pair)
        assert [w.text for w in plan.excluded] == ["quận 1"]
        assert plan.describe() == [["vỉa"], ["hè"]]


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
