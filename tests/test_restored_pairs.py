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
