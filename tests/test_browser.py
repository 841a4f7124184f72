"""The site in a real headless Chromium, served by `vnsearch serve` (waitress) in a subprocess.

Needs Debian's chromium (`apt-get install chromium`); Playwright drives it, no
browser download. Screenshots of the pages are saved to a temporary folder, or to the folder
named by VNSEARCH_SCREENSHOTS (``VNSEARCH_SCREENSHOTS=docs`` refreshes the README's pictures).
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit
from urllib.request import urlopen

import pytest
from server_helpers import HOST, Server
from web_helpers import SOURCE_ID, SOURCE_URL

from search.analysis import fold
from search.ingest import index_paths
from search.vocab import vocab_path

pytestmark = pytest.mark.browser

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go: a temporary folder, or $VNSEARCH_SCREENSHOTS (e.g. docs)."""
    # VNSEARCH_SCREENSHOTS=docs (from the checkout) refreshes the README's pictures;
    # otherwise tests never write tracked files.
    named = os.environ.get("VNSEARCH_SCREENSHOTS")
    return Path(named) if named else tmp_path_factory.mktemp("shots")


@pytest.fixture(scope="module")
def seeds_url(tmp_path_factory):
    """The site over an index of the five seeds only, as the README's first command builds."""
    index = tmp_path_factory.mktemp("seeds-site") / "index"
    report = index_paths([SEEDS], index, workers=1)
    assert report.indexed == 5
    with Server(index, tmp_path_factory.mktemp("serve") / "serve.log", threads=4) as server:
        yield f"http://{HOST}:{server.port}"


def facet_counts(page, name: str) -> dict[str, int]:
    """Value -> count of one facet box as displayed."""
    out = {}
    for link in page.locator(f"section[data-facet='{name}'] li a").all():
        value = link.locator(".value").inner_text().split("\n")[0]
        value = value.split(" nay thuộc ")[0].strip()
        out[value] = int(re.sub(r"\D", "", link.locator(".count").inner_text()))
    return out


def test_search_facets_and_article(page, base_url, site_index, shots):
    page.goto(base_url + "/")
    box = page.get_by_label("Tìm bài viết")
    box.fill("can bo cap xa")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=can\+bo\+cap\+xa$"))
    assert page.locator("h1").inner_text() == "Kết quả cho «can bo cap xa»"
    hits = page.locator("li.hit")
    assert hits.count() >= 3
    marks = page.locator("li.hit .snippet mark.match")
    assert marks.count() >= 3
    # Marked as words ("cán bộ" in one mark), every syllable of the query among them.
    marked = {s for m in marks.all_inner_texts() for s in fold(m).lower().split()}
    assert marked == {"can", "bo", "cap", "xa"}
    if vocab_path(site_index).exists():  # the suggester needs the index's vocabulary
        suggestion = page.locator(".suggestion a")
        assert suggestion.inner_text() == "cán bộ cấp xã"
    page.screenshot(path=str(shots / "search.png"), full_page=True)

    total_before = int(page.locator(".total").inner_text().split()[0])
    provinces_before = facet_counts(page, "province")
    topics_before = facet_counts(page, "topic")
    assert provinces_before["Điện Biên"] < total_before
    page.locator("section[data-facet='province'] a", has_text="Điện Biên").first.click()
    page.wait_for_url(re.compile(r"province="))
    assert dict(parse_qsl(urlsplit(page.url).query))["province"] == "Điện Biên"
    total_after = int(page.locator(".total").inner_text().split()[0])
    assert total_after == provinces_before["Điện Biên"]
    assert page.locator("li.hit").count() == min(total_after, 10)
    assert facet_counts(page, "topic") != topics_before
    chip = page.locator(".chip")
    assert chip.count() == 1 and "Điện Biên" in chip.inner_text()
    for place in page.locator("li.hit .place").all_inner_texts():
        assert place.startswith("Điện Biên")

    page.locator("li.hit h3 a", has_text="kiện toàn").click()
    page.wait_for_url(re.compile(r"/articles/"))
    assert page.locator("h1").inner_text().startswith("Điện Biên kiện toàn")
    source = page.get_by_role("link", name="Xem bài gốc")
    assert source.get_attribute("href") == SOURCE_URL
    assert page.locator(".body mark.match").count() >= 2

    chip_url = page.go_back()
    assert chip_url is not None
    page.locator(".chip").click()
    page.wait_for_url(re.compile(r"/search\?q=can\+bo\+cap\+xa$"))
    assert int(page.locator(".total").inner_text().split()[0]) == total_before


@pytest.mark.parametrize("width, height", [(390, 844)], ids=["phone"])
def test_phone_layout_puts_filters_on_top_behind_bo_loc(browser, base_url, width, height, shots):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", device_scale_factor=1
    )
    page = context.new_page()
    try:
        page.goto(base_url + "/search?q=c%C3%A1n+b%E1%BB%99")
        summary = page.locator("details.filters > summary")
        assert summary.inner_text().startswith("Bộ lọc")
        box = summary.bounding_box()
        # Within the first screen, above the first result; the facets folded until asked.
        assert box["y"] + box["height"] <= height
        assert box["y"] < page.locator("li.hit").first.bounding_box()["y"]
        assert not page.locator("aside.facets").is_visible()
        width_used = page.evaluate("document.documentElement.scrollWidth")
        assert width_used <= width
        page.screenshot(path=str(shots / "phone-search.png"))
        summary.click()
        province = page.locator("section[data-facet='province']")
        assert province.is_visible()
        # One province list at a time: "Tỉnh: khi đăng | hiện nay" as two links.
        switch = province.locator(".segmented a")
        assert switch.all_inner_texts() == ["khi đăng", "hiện nay"]
        assert page.locator("section[data-facet='province_2025']").count() == 0
        page.screenshot(path=str(shots / "phone-filters.png"))
        switch.nth(1).click()
        page.wait_for_url(re.compile(r"province_view=2025"))
        assert page.locator("section[data-facet='province_2025']").count() == 1
        assert page.locator("section[data-facet='province']").count() == 0
    finally:
        context.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, request):
    """A phone-sized page (390×844); ``java_script_enabled`` from the test's parameter."""
    scripts = getattr(request, "param", True)
    context = browser.new_context(
        viewport=PHONE, locale="vi-VN", device_scale_factor=1, java_script_enabled=scripts
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert errors == []


def _focused(page) -> dict:
    """What has the keyboard focus: its tag, id, text and where it is."""
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            return {
                tag: e.tagName.toLowerCase(),
                id: e.id,
                text: (e.textContent || "").trim().slice(0, 60),
                inHit: !!e.closest("li.hit"),
                inResults: !!e.closest("section.results"),
                summary: e.matches("details.filters > summary"),
            };
        }"""
    )


def test_phone_tab_from_the_search_box_reaches_bo_loc_before_any_result(phone, base_url, tmp_path):
    phone.goto(base_url + "/search?q=c%C3%A1n+b%E1%BB%99&province=%C4%90i%E1%BB%87n+Bi%C3%AAn")
    phone.focus("#q")
    path = []
    for _ in range(8):
        phone.keyboard.press("Tab")
        path.append(_focused(phone))
        if path[-1]["summary"]:
            break
    assert path[-1]["summary"], path
    assert path[-1]["text"].startswith("Bộ lọc (1 đang chọn)")
    assert not any(f["inResults"] for f in path), path  # nothing of the results before it
    # The filters are folded: the next stop is in the results, not inside them.
    phone.keyboard.press("Tab")
    assert _focused(phone)["inResults"]
    phone.keyboard.press("Shift+Tab")
    assert _focused(phone)["summary"]
    # Enter opens them (a <details>): the first stop inside passes them by.
    phone.keyboard.press("Enter")
    assert phone.locator("section[data-facet='province']").is_visible()
    phone.keyboard.press("Tab")
    skip = _focused(phone)
    assert skip["text"] == "Đến kết quả" and skip["tag"] == "a"
    box = phone.locator("a.skip-results").bounding_box()
    assert box["x"] >= 0 and box["y"] + box["height"] <= PHONE["height"]  # seen when focused
    phone.screenshot(path=str(tmp_path / "phone-filters-keyboard.png"))
    phone.keyboard.press("Enter")
    phone.wait_for_url(re.compile(r"#results-title$"))
    assert phone.locator("a.skip-results").bounding_box()["width"] <= 1  # hidden again
    phone.keyboard.press("Tab")
    assert _focused(phone)["inResults"]
    # The DOM order itself: the filters before the results' heading and first hit.
    order = phone.evaluate(
        """() => {
            const f = document.querySelector("details.filters");
            const h = document.querySelector("#results-title");
            const hit = document.querySelector("li.hit");
            const before = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
            return [before(f, h), before(f, hit)];
        }"""
    )
    assert order == [True, True]


@pytest.mark.parametrize("phone", [False], indirect=True, ids=["no-scripts"])
def test_phone_bo_loc_opens_without_scripts(phone, base_url, tmp_path):
    phone.goto(base_url + "/search?q=c%C3%A1n+b%E1%BB%99")
    assert phone.evaluate("() => typeof window.fetch") == "function"  # a page, but no suggest.js
    assert phone.locator("#q").get_attribute("aria-expanded") is None  # the script never ran
    summary = phone.locator("details.filters > summary")
    first_hit = phone.locator("li.hit").first.bounding_box()
    box = summary.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"] and box["y"] < first_hit["y"]
    assert not phone.locator("aside.facets").is_visible()
    phone.screenshot(path=str(tmp_path / "phone-closed.png"))
    summary.click()
    assert phone.locator("details.filters").get_attribute("open") == ""
    assert phone.locator("section[data-facet='province'] li a").first.is_visible()
    assert phone.locator("#date-from").is_visible()
    phone.screenshot(path=str(tmp_path / "phone-open.png"), full_page=True)
    # A filter chosen: the page comes back with it applied and the filters folded again.
    phone.locator("section[data-facet='province'] li a", has_text="Điện Biên").first.click()
    phone.wait_for_url(re.compile(r"province="))
    assert (
        phone.locator("details.filters > summary").inner_text().startswith("Bộ lọc (1 đang chọn)")
    )
    summary.click()
    phone.screenshot(path=str(tmp_path / "phone-chosen.png"), full_page=True)


def _marker(link) -> str:
    return link.evaluate("a => getComputedStyle(a, '::before').content")


def test_phone_province_switch_is_one_choice_of_two(phone, base_url, tmp_path):
    phone.goto(base_url + "/search?q=c%C3%A1n+b%E1%BB%99")
    phone.locator("details.filters > summary").click()
    for view, chosen in (("khi đăng", 0), ("hiện nay", 1)):
        group = phone.locator("section[data-facet^='province'] .segmented[role='group']")
        assert group.count() == 1
        assert group.get_attribute("aria-label") == "Tỉnh, thành theo địa giới"
        options = group.locator("a")
        assert options.all_inner_texts() == ["khi đăng", "hiện nay"]
        # Links (each loads the other list), exactly one of them the current one.
        current = [options.nth(i).get_attribute("aria-current") for i in range(2)]
        assert current == ["true" if i == chosen else None for i in range(2)]
        # Seen as one choice: the chosen one filled, with a filled dot; the other not.
        on, off = options.nth(chosen), options.nth(1 - chosen)
        assert _marker(on) == '"● "' and _marker(off) == '"○ "'
        background = "a => getComputedStyle(a).backgroundColor"
        assert on.evaluate(background) != off.evaluate(background)
        one = on.bounding_box()
        other = off.bounding_box()
        assert abs(one["y"] - other["y"]) < 1  # side by side, joined
        assert (
            min(
                abs(one["x"] + one["width"] - other["x"]),
                abs(other["x"] + other["width"] - one["x"]),
            )
            < 2
        )
        phone.screenshot(path=str(tmp_path / f"phone-switch-{chosen}.png"), full_page=True)
        if view == "khi đăng":
            off.click()
            phone.wait_for_url(re.compile(r"province_view=2025"))
            phone.locator("details.filters > summary").click()


def test_desktop_shows_filters_and_charts_open(page, base_url, shots):
    page.goto(base_url + "/search?q=c%C3%A1n+b%E1%BB%99")
    assert not page.locator("details.filters > summary").is_visible()
    assert page.locator("aside.facets").is_visible()
    # First in the page, but beside the results, on their right.
    facets = page.locator("aside.facets").bounding_box()
    results = page.locator("section.results").bounding_box()
    assert facets["x"] >= results["x"] + results["width"] and facets["y"] < results["y"] + 100
    skip = page.locator("a.skip-results")
    assert skip.bounding_box()["width"] <= 1  # "Đến kết quả" unseen until focused
    skip.focus()
    seen = skip.bounding_box()
    assert seen["width"] > 50 and seen["x"] >= facets["x"] - 1
    skip.evaluate("a => a.blur()")
    assert page.locator("section[data-facet='province'] li a").first.is_visible()
    timeline = page.locator("svg.timeline")
    assert timeline.is_visible()
    bars = timeline.locator("a")
    assert bars.count() >= 1
    assert page.locator("svg.map a").first.is_visible()
    page.screenshot(path=str(shots / "search-charts.png"), full_page=True)
    label = bars.first.get_attribute("aria-label")
    m = re.search(r": (\d+) bài", label or "")
    assert m is not None, label
    count = int(m.group(1))
    bars.first.click()
    page.wait_for_url(re.compile(r"date_to="))
    assert int(page.locator(".total").inner_text().split()[0]) == count


def test_seed_site_screenshots_for_the_readme(browser, seeds_url, shots):
    """The README's pictures: the real seed articles, an unaccented query, a source link."""
    for name, width, height, full in (
        ("search", 1280, 900, True),
        ("search-phone", 390, 844, False),
    ):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
        page = context.new_page()
        try:
            page.goto(seeds_url + "/search?q=can+bo+cap+xa")
            assert page.locator(".suggestion a").inner_text() == "cán bộ cấp xã"
            assert page.locator("li.hit").count() == 4  # the seeds with "cấp xã" side by side
            page.screenshot(path=str(shots / f"{name}.png"), full_page=full)
        finally:
            context.close()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(seeds_url + "/search?q=can+bo+cap+xa")
        page.locator("li.hit h3 a", has_text="Điện Biên Đông").click()
        page.wait_for_url(re.compile(r"/articles/000_5bb86f784192a000"))
        source = page.get_by_role("link", name="Xem bài gốc")
        assert source.get_attribute("href").startswith("http://www.baodienbienphu.info.vn")
        page.screenshot(path=str(shots / "article.png"), full_page=True)
    finally:
        context.close()


def test_keyboard_reaches_search_and_skip_link(page, base_url):
    page.goto(base_url + "/search?q=xa")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Bỏ qua, đến nội dung chính"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("End")  # tabbing into a field selects its text
    page.keyboard.type(" ho")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=xa\+ho"))
    assert page.locator("h1").inner_text() == "Kết quả cho «xa ho»"


def test_article_with_awkward_id_opens(page, base_url):
    page.goto(base_url + "/search?q=hi%E1%BB%83u+ch%C3%ADnh+s%C3%A1ch")
    page.locator("li.hit h3 a", has_text="Người dân hiểu rõ").click()
    page.wait_for_url(re.compile(r"/articles/syn/"))
    assert page.locator("h1").inner_text() == "Người dân hiểu rõ chính sách mới"
    assert "/articles/" + SOURCE_ID != page.url


def test_waitress_answers_concurrent_requests(base_url):
    urls = [
        f"{base_url}/api/search?q=c%C3%A1n+b%E1%BB%99&page={1 + i % 2}&per_page=3"
        for i in range(40)
    ]

    def fetch(url):
        with urlopen(url, timeout=30) as r:
            return r.status, [h["id"] for h in json.load(r)["hits"]]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(fetch, urls))
    assert {status for status, _ in answers} == {200}
    assert len({tuple(ids) for _, ids in answers}) == 2  # one answer per page, every time
