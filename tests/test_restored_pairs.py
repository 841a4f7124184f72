"""Two syllables typed side by side without accents are judged as the reading the index
restores for them ("gia lua" as *giá lúa*), not over every word they fold into: folded,
*gia* is also *gia đình* and *lua* also *lửa*, which meet far more often than the pair,
so the pair looked like a free combination and was read apart.

A real index of hand-made articles, through the library, the CLI, the JSON API and the page.
"""

from __future__ import annotations

import json

import pytest

from search.analysis import fold
from search.article import Article
from search.cli import cli

ARTICLES = [
    *(
        Article(
            id=f"rice-{i}",
            title=f"Nông sản {i}",
            body=f"Giá lúa tăng mạnh sau vụ gặt, đợt {i}. Nông dân phấn khởi vì giá lúa cao.",
        )
        for i in range(4)
    ),
    # Both folded syllables in other words, never side by side: gia đình, lửa.
    *(
        Article(
            id=f"fire-{i}",
            title=f"Hỏa hoạn {i}",
            body=f"Một gia đình ở xóm {i} may mắn thoát khỏi ngọn lửa bốc cao đêm qua.",
        )
        for i in range(90)
    ),
    # A free combination stays one, whatever the accents: nhà ... cháy.
    *(
        Article(
            id=f"house-{i}",
            title=f"Nhà {i}",
            body=f"Ngôi nhà số {i} bị cháy rụi; nhà cháy làm hư hại đồ đạc."
            if i == 0
            else f"Ngôi nhà số {i} bị cháy rụi trong đêm.",
        )
        for i in range(40)
    ),
]
RICE = {f"rice-{i}" for i in range(4)}
# A word of the index (pyvi's *phú_quý*) whose folded pair stands far more often in
# other readings, not joined ("Chính phủ quy định"), and both folded syllables apart in
# many more articles: paired folded, judged a free combination, but the restored
# reading holds it as one word, which no reading splits.
WEALTH = [
    *(
        Article(id=f"rich-{i}", title=f"Đời thường {i}", body=f"Ông {i} sống một cuộc đời phú quý.")
        for i in range(3)
    ),
    *(
        Article(
            id=f"decree-{i}", title=f"Lương {i}", body=f"Chính phủ quy định mức lương vùng {i}."
        )
        for i in range(4)
    ),
    *(
        Article(id=f"women-{i}", title=f"Hội {i}", body=f"Hội phụ nữ thôn {i} trao quà quý.")
        for i in range(150)
    ),
]


@pytest.fixture(scope="module")
def restored(articles_index, engine_for):
    return engine_for(articles_index(ARTICLES, "restored-pairs"))


@pytest.mark.parametrize(
    "q", ["gia lua", "giá lúa", "gia lua cao", "gia lua tang", "vi sao gia lua tang"]
)
def test_a_pair_typed_without_accents_is_judged_as_restored(restored, q):
    assert set(restored.match_ids(q)) == RICE
    assert ["gia", "lua"] in [[fold(s) for s in w] for w in restored.search(q).words]


@pytest.mark.parametrize("q", ["nha chay", "nhà cháy"])
def test_a_free_combination_stays_apart(restored, q):
    # Side by side in one of the 40 articles holding both: apart, typed either way.
    assert len(restored.match_ids(q)) == 40
    assert [len(w) for w in restored.search(q).words] == [1, 1]


def test_a_word_of_the_restored_reading_stays_whole(articles_index, engine_for):
    wealth = engine_for(articles_index(WEALTH, "restored-word"))
    r = wealth.search("phu quy")
    assert r.suggestion == "phú quý" and r.words == [["phu", "quy"]]
    # Side by side folded: the word and "chính phủ quy định"; not every phụ nữ … quý.
    assert set(wealth.match_ids("phu quy")) == {f"rich-{i}" for i in range(3)} | {
        f"decree-{i}" for i in range(4)
    }


def test_restored_pairs_through_the_cli_the_api_and_the_page(restored, runner, client_for):
    result = runner.invoke(cli, ["search", "gia lua", "--index", str(restored.path), "--json"])
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    assert d["total"] == 4 and d["words"] == [["gia", "lua"]]
    client = client_for(restored.path)
    api = client.get("/api/search", query_string={"q": "gia lua tang"}).get_json()
    assert api["total"] == 4 and {h["id"] for h in api["hits"]} == RICE
    page = client.get("/search", query_string={"q": "gia lua"}).get_data(as_text=True)
    assert "rice-0" in page and "fire-0" not in page
