"""Suggestions as you type in a real headless Chromium against `vnsearch serve`.

The server, the browser and the page (which fails a test on any console error,
CSP violations included) are the fixtures of tests/conftest.py.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from search.analysis import fold

pytestmark = pytest.mark.browser


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def open_box(page, base_url, path="/"):
    """The search box of ``path`` once suggest.js has made it a combobox."""
    page.goto(base_url + path)
    box = page.get_by_role("combobox", name="Tìm bài viết")
    box.wait_for()
    return box


# True once the listbox shows the answer to all of ``typed``: each option bolds the part
# typed, as the answer's query had it. On a slow machine a pause between two keys lets
# the answer to an unfinished prefix show first; its options are replaced a moment later.
ANSWERED = """([id, typed]) => {
  const fold = (t) =>
    t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[đĐ]/g, "d").toLowerCase();
  const first = document.querySelector(`#${id} [role=option] .typed`);
  return first !== null && fold(first.textContent) === fold(typed);
}"""


def type_and_wait(page, box, text):
    """Type ``text`` key by key and wait for the listbox to show the options for all of it."""
    box.click()
    box.press_sequentially(text, delay=40)
    listbox_id = box.get_attribute("aria-controls")
    page.wait_for_function(ANSWERED, arg=[listbox_id, text])
    return page.locator("#" + listbox_id)


def test_combobox_attributes_and_listbox(page, base_url):
    box = open_box(page, base_url)
    assert box.get_attribute("aria-autocomplete") == "list"
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    listbox_id = box.get_attribute("aria-controls")
    listbox = page.locator("#" + listbox_id)
    assert listbox.get_attribute("role") == "listbox"
    assert listbox.is_hidden()

    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/api/suggest" in r.url else None)
    listbox = type_and_wait(page, box, "can b")
    assert listbox.is_visible()
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.get_by_role("option")
    texts = options.all_inner_texts()
    assert texts[0] == "cán bộ"
    assert 1 <= len(texts) <= 8
    assert all(fold(t).startswith("can b") for t in texts)
    ids = [options.nth(i).get_attribute("id") for i in range(options.count())]
    assert len(set(ids)) == len(ids) and all(i.startswith(listbox_id) for i in ids)
    assert {options.nth(i).get_attribute("aria-selected") for i in range(len(ids))} == {"false"}
    # Debounced: five keys typed quickly are not five requests.
    assert 1 <= len(requests) < 5
    assert query_of(requests[-1]) == {"q": "can b"}
    # The screen-reader announcement of the list.
    assert page.get_by_role("status").inner_text().startswith(f"{len(texts)} gợi ý")


def test_arrow_down_and_enter_search_the_completion(page, base_url):
    box = open_box(page, base_url)
    listbox = type_and_wait(page, box, "can b")
    options = listbox.get_by_role("option")
    box.press("ArrowDown")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    if options.count() > 1:
        box.press("ArrowDown")
        assert options.nth(1).get_attribute("aria-selected") == "true"
        assert options.nth(0).get_attribute("aria-selected") == "false"
        assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
        box.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    chosen = options.nth(0).inner_text()
    assert chosen == "cán bộ"
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    assert query_of(page.url) == {"q": chosen}
    assert page.locator("h1").inner_text() == f"Kết quả cho «{chosen}»"
    assert page.locator("li.hit").count() >= 1
    assert page.get_by_role("combobox", name="Tìm bài viết").input_value() == chosen


def test_escape_closes_and_enter_searches_what_was_typed(page, base_url):
    box = open_box(page, base_url)
    listbox = type_and_wait(page, box, "can b")
    box.press("ArrowDown")
    box.press("Escape")
    assert listbox.is_hidden()
    assert box.get_attribute("aria-expanded") == "false"
    assert box.get_attribute("aria-activedescendant") is None
    assert box.input_value() == "can b"
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    assert query_of(page.url) == {"q": "can b"}


def test_mouse_click_on_an_option_keeps_the_filters(page, base_url):
    # From a filtered results page: the header box, with its own listbox and hidden filters.
    box = open_box(page, base_url, "/search?q=x%C3%A3&province=%C4%90i%E1%BB%87n+Bi%C3%AAn")
    box.fill("")
    listbox = type_and_wait(page, box, "can bo c")
    option = listbox.get_by_role("option").first
    chosen = option.inner_text()
    assert fold(chosen).startswith("can bo c")
    option.hover()
    option.click()
    page.wait_for_url(re.compile(r"/search\?q="))
    assert query_of(page.url) == {"q": chosen, "province": "Điện Biên"}


def test_without_javascript_the_form_still_works(browser, base_url):
    context = browser.new_context(java_script_enabled=False, locale="vi-VN")
    try:
        pg = context.new_page()
        requests = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(base_url + "/")
        box = pg.get_by_label("Tìm bài viết")
        assert box.get_attribute("role") is None  # a plain search box without the script
        assert box.get_attribute("aria-expanded") is None
        assert pg.locator("ul.suggestions").is_hidden()
        box.fill("can bo cap xa")
        box.press("Enter")
        pg.wait_for_url(re.compile(r"/search\?q=can\+bo\+cap\+xa$"))
        assert pg.locator("h1").inner_text() == "Kết quả cho «can bo cap xa»"
        assert pg.locator("li.hit").count() >= 3
        assert not any("/api/suggest" in u for u in requests)
    finally:
        context.close()
