"""Date filters as people type them: the parser, the engine, the page (inputs, chips), the API, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from server_helpers import HOST, Server
from web_helpers import EXTRA, Page

from search.article import Article
from search.cli import cli
from search.dates import parse_bound, vn_date
from search.errors import BadQuery

D = dt.date
UNDATED = [
    Article(
        id="dates/undated-1",
        title="Trạm bơm điện xã Mường Luân hoàn thành",
        body="Trạm bơm phục vụ tưới tiêu cho ba thôn.",
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Kinh tế"],
    ),
    Article(
        id="dates/undated-2",
        title="Nâng cấp trạm bơm nội đồng",
        body="Xã nâng cấp trạm bơm trước mùa khô.",
        province="Lạng Sơn",
        province_2025="Lạng Sơn",
        topics=["Kinh tế"],
    ),
]


@pytest.mark.parametrize(
    "text, end, day",
    [
        ("05/03/2024", False, D(2024, 3, 5)),
        ("5/3/2024", True, D(2024, 3, 5)),
        ("05-03-2024", False, D(2024, 3, 5)),
        ("05.03.2024", False, D(2024, 3, 5)),
        ("2024-03-05", False, D(2024, 3, 5)),
        ("2024-3-5", True, D(2024, 3, 5)),
        ("2024-02", False, D(2024, 2, 1)),
        ("2024-02", True, D(2024, 2, 29)),
        ("2023-02", True, D(2023, 2, 28)),
        ("2/2024", True, D(2024, 2, 29)),
        ("12/2024", False, D(2024, 12, 1)),
        ("2022", False, D(2022, 1, 1)),
        ("2022", True, D(2022, 12, 31)),
        ("  2022 ", False, D(2022, 1, 1)),
        ("", False, None),
        (None, True, None),
        (D(2021, 6, 1), True, D(2021, 6, 1)),
    ],
)
def test_parse_bound(text, end, day):
    assert parse_bound(text, "date_to" if end else "date_from", end=end) == day


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "yesterday",
        "2024-13-01",
        "31/02/2024",
        "2024-99-01",
        "13/2024",
        "2024-00",
        "05/03-2024",
        "0/3/2024",
        "20222",
        "22",
        "1" * 5000,
        "2024-03-05T10:00",
        "০৫/০৩/২০২৪",
    ],
)
def test_bad_dates_name_the_forms_in_vietnamese(text):
    with pytest.raises(BadQuery) as e:
        parse_bound(text, "date_from")
    assert e.value.code == "bad_date"
    message = str(e.value)
    assert message.startswith("date_from: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy")
    assert len(message) < 200  # a huge input is cut in the message


def test_vn_date():
    assert vn_date(D(2024, 3, 5)) == "05/03/2024"


@pytest.mark.parametrize(
    "date_from, date_to, iso_from, iso_to",
    [
        ("2023", "2023", "2023-01-01", "2023-12-31"),
        ("01/06/2022", "2024-01", "2022-06-01", "2024-01-31"),
        ("11/2023", "30/11/2023", "2023-11-01", "2023-11-30"),
    ],
)
def test_engine_reads_every_form_like_iso(engine, date_from, date_to, iso_from, iso_to):
    typed = engine.search("", date_from=date_from, date_to=date_to, per_page=100)
    iso = engine.search("", date_from=iso_from, date_to=iso_to, per_page=100)
    assert typed.total == iso.total > 0
    assert [h.id for h in typed.hits] == [h.id for h in iso.hits]
    assert all(iso_from <= h.date <= iso_to for h in typed.hits)


# --- the site ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def dates_index(index_with):
    """The session index plus the web articles and two undated ones."""
    return index_with(EXTRA + UNDATED, "dates")


@pytest.fixture(scope="module")
def client(dates_index, client_for):
    """The app over the dates index."""
    return client_for(dates_index)


def test_api_takes_the_forms(client):
    def ids(**args):
        r = client.get("/api/search", query_string={"per_page": "100", **args})
        assert r.status_code == 200
        return [h["id"] for h in r.get_json()["hits"]]

    assert ids(date_from="2023", date_to="2023") == ids(
        date_from="2023-01-01", date_to="2023-12-31"
    )
    assert ids(date_from="01/01/2025") == ids(date_from="2025-01-01") != []


def test_page_has_date_inputs_inside_the_filters(client):
    r = client.get(
        "/search", query_string={"q": "cán bộ", "province": "Điện Biên", "date_from": "2022"}
    )
    facets = r.text[r.text.index('<aside class="facets"') :]
    box = facets[facets.index('<section class="facet dates"') :]
    box = box[: box.index("</section>")]
    assert '<label for="date-from">Từ ngày</label>' in box
    assert '<label for="date-to">Đến ngày</label>' in box
    assert 'name="date_from" form="q-form" type="text"' in box
    assert 'name="date_to" form="q-form" type="text"' in box
    assert 'placeholder="dd/mm/yyyy"' in box
    assert 'value="2022"' in box  # what was typed stays in the box
    assert '<button type="submit" form="q-form">Lọc theo ngày</button>' in box
    # They submit with the search form, which carries the query and the other
    # filters, and not the dates a second time.
    form = r.text[r.text.index('id="q-form"') :]
    form = form[: form.index("</form>")]
    assert 'name="q" value="cán bộ"' in form
    assert '<input type="hidden" name="province" value="Điện Biên">' in form
    assert 'name="date_from"' not in form
    assert r.text.count('name="q"') == 1


def test_date_filter_is_a_removable_chip(client):
    r = client.get(
        "/search", query_string={"q": "cán bộ", "date_from": "2022", "date_to": "6/2024"}
    )
    assert r.status_code == 200
    chips = [a for a in Page(r.text).links if "chip" in a["class"].split()]
    texts = [c["text"] for c in chips]
    assert "Từ ngày: 01/01/2022 × (bỏ lọc)" in texts
    assert "Đến ngày: 30/06/2024 × (bỏ lọc)" in texts
    remove_from = next(c["href"] for c in chips if c["text"].startswith("Từ ngày"))
    assert "date_from" not in remove_from and "date_to=6%2F2024" in remove_from
    assert "Xoá tất cả bộ lọc" in r.text
    after = client.get(remove_from)
    assert "Từ ngày:" not in after.text and "Đến ngày: 30/06/2024" in after.text


def test_undated_hits_are_labelled(client):
    r = client.get("/search", query_string={"q": "trạm bơm"})
    assert r.text.count('<span class="undated">không rõ ngày</span>') == 2
    dated = client.get("/search", query_string={"q": "kiện toàn đội ngũ cán bộ"})
    assert "<time datetime=" in dated.text


def test_newest_first_only_when_results_have_dates(client):
    undated = Page(client.get("/search", query_string={"q": "trạm bơm"}).text)
    assert undated.find(text="Mới nhất") == []
    assert undated.find(text="Liên quan nhất")
    dated = Page(client.get("/search", query_string={"q": "cán bộ"}).text)
    assert dated.find(text="Mới nhất")


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["abc", "31/02/2024", "2024-13"])
def test_bad_date_is_400_in_vietnamese(client, name, value):
    api = client.get("/api/search", query_string={"q": "xã", name: value})
    assert api.status_code == 400
    body = api.get_json()
    assert body["code"] == "bad_date"
    assert (
        body["message"]
        == body["error"]
        == (f"{name}: ngày phải có dạng dd/mm/yyyy, yyyy-mm hoặc yyyy, không phải {value!r}")
    )
    page = client.get("/search", query_string={"q": "xã", name: value})
    assert page.status_code == 400
    assert "ngày phải có dạng dd/mm/yyyy" in page.text


# --- the command line ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, iso",
    [
        (["--from", "2022"], ["--from", "2022-01-01"]),
        (["--to", "2023"], ["--to", "2023-12-31"]),
        (["--from", "1/6/2022", "--to", "2023-11"], ["--from", "2022-06-01", "--to", "2023-11-30"]),
    ],
)
def test_cli_takes_the_forms(runner, index_dir, typed, iso):
    def ids(args):
        result = runner.invoke(
            cli, ["search", "", "--index", str(index_dir), "--limit", "100", "--json", *args]
        )
        assert result.exit_code == 0, result.output
        return [h["id"] for h in json.loads(result.output)["hits"]]

    assert ids(typed) == ids(iso) != []


# --- in a real browser -----------------------------------------------------------------


@pytest.fixture(scope="module")
def site(dates_index, tmp_path_factory):
    """`vnsearch serve` (waitress, a subprocess) over the dates index; yields its base URL."""
    with Server(dates_index, tmp_path_factory.mktemp("serve") / "serve.log", threads=2) as s:
        yield f"http://{HOST}:{s.port}"


@pytest.mark.browser
@pytest.mark.slow
def test_date_inputs_chips_and_csv_in_a_browser(page, site, tmp_path):
    page.goto(site + "/search?q=c%C3%A1n+b%E1%BB%99&province=%C4%90i%E1%BB%87n+Bi%C3%AAn")
    page.get_by_label("Từ ngày").fill("2023")
    page.get_by_label("Đến ngày").fill("07/2025")
    page.get_by_role("button", name="Lọc theo ngày").click()
    page.wait_for_url(re.compile(r"date_to="))
    args = dict(parse_qsl(urlsplit(page.url).query))
    assert args["q"] == "cán bộ" and args["province"] == "Điện Biên"
    assert args["date_from"] == "2023" and args["date_to"] == "07/2025"
    chips = [" ".join(t.split()) for t in page.locator("a.chip").all_inner_texts()]
    assert chips[-2:] == ["Từ ngày: 01/01/2023 × (bỏ lọc)", "Đến ngày: 31/07/2025 × (bỏ lọc)"]
    page.screenshot(path=str(tmp_path / "dates.png"), full_page=True)  # to look at
    dates = page.locator("li.hit time").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert dates and all("2023-01-01" <= d <= "2025-07-31" for d in dates)
    with page.expect_download() as info:
        page.get_by_role("link", name="Tải CSV").click()
    download = info.value
    assert download.suggested_filename == "vnsearch-can-bo.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8").splitlines()
    assert len(lines) - 1 == int(page.locator(".total").inner_text().split()[0])
    page.locator("a.chip", has_text="Từ ngày").click()
    page.wait_for_url(lambda url: "date_from" not in url)
    assert page.get_by_label("Từ ngày").input_value() == ""
    assert page.get_by_label("Đến ngày").input_value() == "07/2025"
