"""Fuzzing every extractor and reader with adversarial text: never an exception, never slow.

Inputs are runs of the pieces that once made patterns backtrack or rescan
(alternation words of the navigation pattern, brackets, credits, references,
digits and dashes, e-mail characters), mixed with Vietnamese syllables, odd
spaces, combining marks and arbitrary text. Each call must return (or raise
BadArticle, the one way a parser says no) well within the per-example
deadline; a runaway call is stopped by a CPU budget so that a regression fails
instead of hanging.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from search.analysis import ensure_normalized
from search.article import Article, content_hash
from search.budget import OverBudget, within_budget
from search.errors import BadArticle
from search.extract import bylines, captions, chrome, dates, fingerprint, outlets, places
from search.extract.html import parse_html
from search.extract.jsonline import parse_json_line
from search.extract.page import parse_page
from search.extract.topics import find_topics
from search.ingest import Prepared, prepare
from search.parse import decode, load_tables
from search.policy import extract_refs, find_refs, leading_kind, ref_key
from search.readers import Record, Skipped, read_records
from search.segment import load_model, segment

DEADLINE_MS = 2000
# CPU seconds after which one call counts as runaway (below the deadline).
RUNAWAY = 1.5

FUZZ = settings(
    deadline=DEADLINE_MS,
    max_examples=200,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # a runaway example is not shrunk
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

ATOMS = [
    # the navigation pattern's alternation words, glued or spaced
    "a",
    "a+",
    "A+",
    "a-",
    "gui",
    "email",
    "gui email",
    "trang",
    "chu",
    "tin khac",
    "in",
    # brackets, credits, bylines, sources
    "(",
    ")",
    "[",
    "]",
    "(Ảnh:",
    "Ảnh:",
    "anh:",
    "ảnh minh họa",
    "Bài:",
    "Bài, ảnh:",
    "Nguồn:",
    "Theo",
    "Photo:",
    " - ",
    ", ",
    " và ",
    "Đức Linh",
    "PHÙNG KHIÊM",
    # references
    "51/KH-UBND",
    "70/2009/QĐ-TTg",
    "Kế hoạch",
    "Quyết định",
    "số",
    "47UBND -UBND-TTr",
    "QĐ",
    "-UBND",
    "/",
    "1/",
    # digits, dates, times
    "1",
    "12",
    "2023",
    "1-",
    "12/",
    "08/06/2023",
    "7/27/2021 9:41:40 AM",
    "tháng",
    "năm",
    "Thứ",
    "Thứ sáu,",
    "AM",
    ":",
    "08:17",
    # e-mail, web and pyvi's special pieces
    "@",
    ".",
    "a.",
    "_",
    "+",
    "http://",
    "www.",
    "==>",
    "->",
    "...",
    ">>",
    "Mr.",
    "TP.",
    # places, topics, chrome labels and counters
    "UBND",
    "Tỉnh",
    "tỉnh Điện Biên",
    "huyện",
    "Điện Biên Đông",
    "xã Mường Luân",
    "TP. HCM",
    "cán bộ",
    "hoà giải",
    "Lượt xem: 7476",
    "Tăng cỡ chữ",
    "•",
    "»",
    "|",
    "Block_BanTin",
    "PublishingPortal",
    # Vietnamese syllables and odd characters
    "Ủy",
    "ban",
    "nhân",
    "dân",
    "thuỷ",
    "hòa",
    "Đảng",
    "ð",
    "Ð",
    "\u0301",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\t",
    " ",
    "\n",
    "\r\n",
    "\x0b",
    "\u2028",
    "é",
    "ß",
    "ŉ",
    "ﬁ",
]

runs = st.lists(
    st.tuples(st.sampled_from(ATOMS), st.integers(1, 300), st.sampled_from(["", " ", "\n"])),
    max_size=12,
)
texts = st.one_of(
    runs.map(lambda rs: "".join((atom + sep) * n for atom, n, sep in rs)),
    st.text(max_size=2000),
    st.lists(st.one_of(st.sampled_from(ATOMS), st.text(max_size=5)), max_size=400).map("".join),
)
# JSON values of every type, for fields that expect strings
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=8,
)
FIELDS = [
    "id",
    "title",
    "body",
    "lead",
    "date",
    "url",
    "urls",
    "author",
    "outlet",
    "source",
    "province",
    "district",
    "commune",
    "topics",
    "captions",
]


@pytest.fixture(scope="module", autouse=True)
def loaded():
    """Models, tables and trafilatura loaded once, so no example pays for an import."""
    load_tables("html")
    load_model()
    call(
        parse_html,
        "<html><body><article><p>Nội dung bài viết về cán bộ xã ở thôn bản.</p>"
        "</article></body></html>",
        "warm",
    )


def call(fn, *args):
    """``fn(*args)``; BadArticle is an answer, anything else (or a runaway) fails."""
    try:
        return within_budget(RUNAWAY, fn, *args)
    except BadArticle:
        return None
    except OverBudget:
        raise AssertionError(f"{fn.__qualname__} took over {RUNAWAY} s of CPU") from None


LINE_FUNCTIONS = [
    chrome.is_chrome,
    chrome.strip_widgets,
    chrome.is_panel,
    chrome.is_cms_identifier,
    bylines.credit_author,
    bylines.name_line_author,
    bylines.source_of,
    bylines.find_url,
    bylines.looks_like_name,
    bylines.strip_trailing_parenthesis,
    lambda s: bylines.source_of(s, tail=True),
    captions.has_photo_credit,
    captions.is_credit_line,
    captions.strip_credit,
    captions.looks_like_caption,
    lambda s: captions.dedupe([s, s.upper()]),
    dates.parse_date,
    dates.has_date,
    dates.is_dateline,
    dates.split_dateline,
    outlets.lead_code,
    outlets.by_name,
    outlets.by_url,
    outlets.by_code,
    places.province_key,
    places.province_2025,
    lambda s: places.find_places(s[:80], s),
    lambda s: find_topics(s[:80], s),
    find_refs,
    lambda s: find_refs(s, query=True),
    extract_refs,
    leading_kind,
    ref_key,
    lambda s: fingerprint(Article(id="x", title=s[:80], body=s)),
]


@FUZZ
@given(text=texts)
def test_line_extractors(text):
    for fn in LINE_FUNCTIONS:
        call(fn, text)


@FUZZ
@given(text=texts)
def test_reference_spans(text):
    # Spans are offsets in the normalised text, also when upper-casing a query
    # changes its length ("ß" -> "SS").
    normal = ensure_normalized(text)
    for query in (False, True):
        for ref, start, end in call(lambda t, query=query: find_refs(t, query=query), text):
            number = ref.ref.split("/")[0].split("-")[0]
            if number.isdigit():
                assert normal[start:end].startswith(number), (ref, normal[start:end])


@FUZZ
@given(text=texts, title=texts)
def test_page_and_segmentation(text, title):
    article = call(parse_page, title + "\n" + text, "x")
    assert article is None or isinstance(article, Article)
    words = call(segment, text)
    assert isinstance(words, str)


@settings(FUZZ, max_examples=60)
@given(text=texts)
def test_html(text):
    from html import escape

    for doc in (
        (
            f"<html><body><article><h1>{escape(text[:60])}</h1><p>{escape(text)}</p>"
            f"<p>Nội dung bài viết về cán bộ xã.</p></article></body></html>"
        ),
        text,
    ):
        article = call(parse_html, doc, "x")
        assert article is None or isinstance(article, Article)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8))
def test_json_lines(fields):
    raw = json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass")
    article = call(parse_json_line, raw, "x", "x")
    assert article is None or isinstance(article, Article)


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


@settings(FUZZ, max_examples=100)
@given(
    text=texts,
    fields=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6),
    junk=st.binary(max_size=300),
    depth=st.integers(0, 5000),
)
def test_readers_and_workers(folder, text, fields, junk, depth):
    line = json.dumps(fields, ensure_ascii=False).encode("utf-8", "surrogatepass")
    files = {
        "page.txt": text.encode("utf-8", "surrogatepass"),
        "page.html": text.encode("utf-16") if depth % 2 else junk + text.encode("utf-8", "replace"),
        "lines.jsonl": b"\n".join([line, b"[" * depth + b"]" * (depth % 3), junk, line]),
    }
    for name, raw in files.items():
        path = folder / name
        path.write_bytes(raw)
        for rec in call(lambda p: list(read_records(p)), path):
            assert isinstance(rec, (Record, Skipped))
            if isinstance(rec, Record):
                # What a worker does with a record never raises, whatever it holds.
                assert isinstance(prepare(rec, RUNAWAY), (Prepared, Skipped))
    for raw in files.values():
        text_out = call(decode, raw, "x")
        assert text_out is None or isinstance(text_out, str)
    record = Record(id="x", source="x", raw=junk, hash=content_hash(junk), kind="json")
    assert isinstance(prepare(record, RUNAWAY), (Prepared, Skipped))
