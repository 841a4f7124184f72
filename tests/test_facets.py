"""Filters, facet counts (under the other filters), sorting and pagination."""

import datetime as dt

import pytest

FACET_ARG = {
    "province": "province",
    "province_2025": "province_2025",
    "topic": "topic",
    "year": "year",
}


def facet(result, name) -> dict[str, int]:
    return {f.value: f.count for f in result.facets[name]}


@pytest.mark.parametrize("name", ["province", "province_2025", "topic", "year"])
@pytest.mark.parametrize("q", ["", "cán bộ", "dan"])
def test_each_facet_count_equals_the_filtered_total(engine, name, q):
    result = engine.search(q)
    assert result.facets[name], f"no {name} values for {q!r}"
    for value, count in facet(result, name).items():
        assert engine.search(q, **{FACET_ARG[name]: value}).total == count


def test_synthetic_province_counts(engine):
    result = engine.search("", province_2025="Thái Nguyên")
    got = {h.id for h in result.hits}
    assert {"syn/old-style", "syn/eth", "syn/whole-word", "syn/across-words"} <= got
    assert all(h.province_2025 == "Thái Nguyên" for h in result.hits)


def test_facets_are_counted_under_the_other_filters(engine):
    everything = engine.search("")
    chosen = engine.search("", province="Điện Biên")
    # The province facet ignores the province filter, so other provinces stay listed...
    assert facet(chosen, "province") == facet(everything, "province")
    # ...and shows the chosen value as selected.
    assert [f.value for f in chosen.facets["province"] if f.selected] == ["Điện Biên"]
    # The topic facet is restricted to Điện Biên.
    assert sum(facet(chosen, "topic").values()) < sum(facet(everything, "topic").values())
    for topic, count in facet(chosen, "topic").items():
        assert engine.search("", province="Điện Biên", topic=topic).total == count


def test_two_filters_combine(engine):
    result = engine.search("", province="Bắc Kạn", topic="Xây dựng Đảng")
    assert {h.id for h in result.hits} >= {"syn/old-style", "syn/eth"}
    assert all(h.province == "Bắc Kạn" and "Xây dựng Đảng" in h.topics for h in result.hits)


def test_several_values_of_one_filter_are_alternatives(engine):
    a = engine.search("", province="Lạng Sơn").total
    b = engine.search("", province="Bắc Kạn").total
    assert engine.search("", province=["Lạng Sơn", "Bắc Kạn"]).total == a + b


def test_selected_value_without_matches_stays_removable(engine):
    result = engine.search("thủy lợi", province="Lạng Sơn")
    assert result.total == 0
    assert [(f.value, f.count, f.selected) for f in result.facets["province"] if f.selected] == [
        ("Lạng Sơn", 0, True)
    ]


@pytest.mark.parametrize(
    "year, expected", [(2024, {"syn/hiểu một lần", "syn/caption-only"}), (2020, {"syn/eth"})]
)
def test_year_filter(engine, year, expected):
    got = {h.id for h in engine.search("", year=year).hits}
    assert expected <= got
    assert all(h.date.startswith(str(year)) for h in engine.search("", year=year).hits)


def test_date_range(engine):
    result = engine.search("", date_from="2023-01-01", date_to=dt.date(2023, 12, 31), per_page=100)
    assert result.total >= 3
    assert all("2023-01-01" <= h.date <= "2023-12-31" for h in result.hits)


def test_year_facet_is_newest_first(engine):
    years = [f.value for f in engine.search("").facets["year"]]
    assert years == sorted(years, reverse=True)


def test_sort_by_date(engine):
    result = engine.search("dân", sort="date", per_page=100)
    dated = [h.date for h in result.hits if h.date]
    assert dated == sorted(dated, reverse=True)
    assert all(h.score is None for h in result.hits)


def test_sort_by_relevance_has_descending_scores(engine):
    scores = [h.score for h in engine.search("cán bộ", per_page=100).hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("sort", ["relevance", "date"])
def test_pagination_covers_every_hit_once(engine, sort):
    total = engine.search("dân", sort=sort).total
    seen = []
    for page in range(1, total // 3 + 2):
        seen += [h.id for h in engine.search("dân", sort=sort, page=page, per_page=3).hits]
    assert len(seen) == total
    assert len(set(seen)) == total


def test_page_past_the_end_is_empty(engine):
    result = engine.search("cán bộ", page=50)
    assert result.hits == []
    assert result.total > 0


def test_every_declared_facet_is_counted_filtered_and_shown(engine):
    """search/facets.py is the one list: the engine counts, the site titles and chips each."""
    from search.backends.xapian import FACET_SLOTS
    from search.facets import FACETS, STORED
    from web.facets import CHIP_LABELS, TITLES
    from web.params import FILTERS

    names = [f.name for f in FACETS]
    assert list(engine.search("").facets) == names == list(FILTERS)
    assert set(TITLES) == set(CHIP_LABELS) == set(names)
    slots = [f.slot for f in STORED]
    assert None not in slots and len(set(slots)) == len(slots) == len(FACET_SLOTS)
    for f in FACETS:
        value = next(v.value for v in engine.search("").facets[f.name] if v.count)
        assert engine.search("", **{f.name: value}).total > 0
