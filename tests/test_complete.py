"""Suggestions as you type: search.complete.Completer and GET /api/suggest."""

from __future__ import annotations

import re
import threading

import pytest

from search import complete
from search.analysis import fold
from search.complete import MAX_COMPLETIONS, Completer
from search.query import MAX_QUERY_CHARS
from search.vocab import Vocabulary
from web import CSP

# Counts chosen so that bigram and unigram rankings differ: "bán" is the most
# frequent b-syllable overall, "bộ" the most frequent one after "can".
TEXTS = (
    ["Cán bộ cấp xã được tập huấn.", "Cán bộ công chức.", "Cán bộ trẻ.", "Đội ngũ cán bộ."]
    + ["Bán hàng online."] * 6
    + ["Cần bán đất.", "Căn bản là vậy.", "Cả xã cùng làm.", "Cao su, cà phê.", "Các xã."]
    + ["Cách làm hay.", "Bốn xã.", "Hòa đồng, hòa giải.", "Hoàn thành.", "Mã xkcdq bộ."]
)


def _vocab(path, texts):
    with Vocabulary(path) as vocab:
        for text in texts:
            vocab.add(text)
    return path


@pytest.fixture
def vocab_dir(tmp_path):
    return _vocab(tmp_path / "index", TEXTS)


@pytest.fixture
def completer(vocab_dir):
    c = Completer(vocab_dir, lm=None)
    yield c
    c.close_all()


def texts(suggestions) -> list[str]:
    return [c.text for c in suggestions.completions]


# --- the library ----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, first",
    [
        ("can b", "cán bộ"),  # folded prefix, ranked by the pair with "can"
        ("Can b", "Cán bộ"),  # capitalisation kept
        ("CAN B", "CÁN BỘ"),
        ("cần b", "cần bán"),  # a previous syllable typed with accents is kept
        ("b", "bán"),  # no previous syllable: the unigram count ranks
        ("hoa d", "hòa đồng"),
        ("can bo c", "cán bộ cấp"),  # "cấp" and "công" once each after "bộ": a tie, alphabetical
    ],
)
def test_first_completion(completer, typed, first):
    got = texts(completer.complete(typed))
    assert got[0] == first, got


def test_ranked_by_bigram_count_after_a_syllable(completer):
    result = completer.complete("can b")
    pairs = [(c.text, c.count) for c in result.completions]
    assert pairs[:2] == [("cán bộ", 4), ("cần bán", 1)]
    # Without the previous syllable, the same prefix ranks "bán" (7 times) over "bộ" (4).
    alone = [(c.text, c.count) for c in completer.complete("b").completions]
    assert alone[:2] == [("bán", 7), ("bộ", 5)]
    assert [n for _, n in alone] == sorted((n for _, n in alone), reverse=True)


def test_after_a_finished_word(completer):
    # A trailing space: the word after "cán bộ", among the syllables seen after "bộ".
    got = texts(completer.complete("can bo "))
    assert set(got) == {"cán bộ cấp", "cán bộ công", "cán bộ trẻ"}
    # After punctuation a new clause starts: no word is "seen after" it.
    assert completer.complete("can bo, ").completions == []
    assert completer.complete("can bo. ").completions == []


@pytest.mark.parametrize(
    "prefix, allowed",
    [
        ("ca", {"cán", "cần", "căn", "cả", "cao", "cà", "các", "cách", "cấp"}),
        ("cá", {"cán", "các", "cách"}),  # the tone typed is required
        ("că", {"căn"}),  # the breve typed is required
        ("câ", {"cần", "cấp"}),  # the circumflex, any tone
        ("hoà", {"hòa", "hoàn"}),  # old/new tone placement alike
        ("bô", {"bộ", "bốn"}),
    ],
)
def test_accented_prefixes_keep_their_accents(completer, prefix, allowed):
    got = {c.text for c in completer.complete(prefix, limit=50).completions}
    assert got and got <= allowed, got
    assert all(fold(t).startswith(fold(prefix)) for t in got)


@pytest.mark.parametrize("q", ["can b", "cán b", "can bo c", "b", "hoa d", "ca", "xkcdq b"])
def test_narrow_and_ranked_reads_agree(vocab_dir, monkeypatch, q):
    # A prefix matching few folded syllables reads their pairs one by one, a broad one
    # the most frequent pairs of the previous syllable: both must rank alike.
    answers = []
    for narrow in (0, 10**6):
        monkeypatch.setattr(complete, "NARROW", narrow)
        c = Completer(vocab_dir, lm=None)
        answers.append(c.complete(q, limit=50).to_dict())
        c.close_all()
    assert answers[0] == answers[1]
    assert answers[0]["completions"]


def test_limit_and_the_typed_word_itself(completer):
    assert len(completer.complete("c").completions) == MAX_COMPLETIONS
    assert len(completer.complete("c", limit=3).completions) == 3
    assert completer.complete("c", limit=0).completions == []
    # A syllable typed whole is not offered back as is.
    assert "cán" not in texts(completer.complete("cán", limit=50))


def test_restored_query(completer):
    assert completer.complete("can bo cap xa").restored == "cán bộ cấp xã"
    assert completer.complete("cán bộ").restored is None  # nothing to restore


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "\n\t",
        "2023",
        "năm 2023",
        "xyzzyq",
        "(",
        '"',
        "-",
        "::::",
        "a" * 30,
        "\x00",
        "\ud800",
        "<script>alert(1)</script>",
        "c" * 10_000,
        "cán bộ " * 500,
        "70/2009/QĐ-TTg",
        "😀 c",
    ],
)
def test_hostile_input(completer, typed):
    result = completer.complete(typed)
    assert len(result.query) <= MAX_QUERY_CHARS
    assert len(result.completions) <= MAX_COMPLETIONS
    for c in result.completions:
        assert c.count > 0 and c.text.strip()
    data = result.to_dict()
    assert list(data) == ["query", "completions", "restored"]


def test_after_a_token_that_is_no_syllable(completer):
    # "xkcdq" is kept as typed, never offered itself ("odd" tokens seen once are left out).
    assert texts(completer.complete("xkcdq b")) == ["xkcdq bộ"]
    assert texts(completer.complete("xkc")) == []


def test_numbers_and_unknown_words_complete_nothing(completer):
    assert completer.complete("2023").completions == []
    assert completer.complete("xyzzyq").completions == []
    assert completer.complete("").to_dict() == {"query": "", "completions": [], "restored": None}


def test_api_without_an_index(tmp_path, client_for):
    r = client_for(tmp_path / "none").get("/api/suggest?q=can+b")
    assert r.status_code == 200  # suggestions are a convenience: no 503 for them
    assert r.get_json() == {"query": "can b", "completions": [], "restored": None}
    assert not (tmp_path / "none").exists()


def test_without_a_vocabulary(tmp_path):
    c = Completer(tmp_path / "nothing", lm=None)
    result = c.complete("can b")
    assert result.completions == [] and result.restored is None
    assert not (tmp_path / "nothing").exists()  # reading never creates anything


def test_new_generation_is_seen(vocab_dir, completer):
    assert "cán bộ lãnh" not in texts(completer.complete("can bo l"))
    _vocab(vocab_dir, ["Cán bộ lãnh đạo."] * 3)
    assert texts(completer.complete("can bo l"))[0] == "cán bộ lãnh"


def test_threads_share_one_completer(completer):
    expected = {q: completer.complete(q).to_dict() for q in ("can b", "b", "hoa d", "can bo ")}
    errors, seen = [], []

    def work():
        try:
            for _ in range(30):
                for q, want in expected.items():
                    seen.append(completer.complete(q).to_dict() == want)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and all(seen) and len(seen) == 6 * 30 * 4


# --- the API and the page ----------------------------------------------------------


@pytest.fixture(scope="module")
def client(index_dir, client_for):
    return client_for(index_dir)


def test_api_suggest(client):
    r = client.get("/api/suggest?q=can+b")
    assert r.status_code == 200
    assert r.content_type == "application/json"
    assert r.headers["Cache-Control"] == "public, max-age=60"
    assert r.headers["Content-Security-Policy"] == CSP
    data = r.get_json()
    assert list(data) == ["query", "completions", "restored"]
    assert data["query"] == "can b"
    assert data["completions"][0]["text"] == "cán bộ"
    assert 1 <= len(data["completions"]) <= MAX_COMPLETIONS
    for c in data["completions"]:
        assert list(c) == ["text", "count"] and isinstance(c["count"], int) and c["count"] > 0
        assert fold(c["text"]).lower().startswith("can b")
    assert data["restored"] is None or fold(data["restored"]) == "can b"


def test_api_suggest_restores(client):
    data = client.get("/api/suggest", query_string={"q": "can bo cap xa"}).get_json()
    assert data["restored"] == "cán bộ cấp xã"


@pytest.mark.parametrize(
    "query_string",
    [
        "",
        "q=",
        "q=%20%20",
        "q=%00",
        "q=%ED%A0%80",
        "q=%FF%FE",
        "q=%C3",
        "q=" + "x" * 5000,
        "q=" + "c%C3%A1n+b%E1%BB%99+" * 400,
        "q=a&q=b",
        "q=%3Cscript%3E",
        "q=%E2%80%AE%E2%80%8Bc",
        "q=" + "%28" * 2000,
        "q=2023",
        "x=1",
    ],
)
def test_api_suggest_bad_input(client, query_string):
    r = client.get("/api/suggest?" + query_string)
    assert r.status_code == 200
    data = r.get_json()
    assert len(data["query"]) <= MAX_QUERY_CHARS
    assert len(data["completions"]) <= MAX_COMPLETIONS
    if not data["query"].strip():
        assert data["completions"] == [] and data["restored"] is None


def test_api_suggest_only_get(client):
    assert client.post("/api/suggest?q=can").status_code == 405


@pytest.mark.parametrize("path", ["/", "/search?q=xa"])
def test_page_loads_the_script_and_the_listbox(client, path):
    html = client.get(path).text
    assert len(re.findall(r"<script\b", html)) == 1
    assert re.search(r'<script src="/static/suggest\.js" defer></script>', html)
    found = re.search(r"<input type=\"search\"[^>]*>", html)
    assert found
    box = found.group(0)
    listbox = re.search(r'data-listbox="([^"]+)"', box)
    assert listbox
    listbox_id = listbox.group(1)
    assert 'data-suggest="/api/suggest"' in box
    # Without scripts the box is a plain search input: no combobox role to promise a popup.
    assert "role=" not in box
    assert re.search(rf'<ul class="suggestions" id="{listbox_id}" role="listbox"[^>]*hidden>', html)
    assert 'method="get"' in html and 'name="q"' in html


def test_script_and_csp(client):
    r = client.get("/static/suggest.js")
    assert r.status_code == 200
    assert r.content_type.startswith(("text/javascript", "application/javascript"))
    assert "innerHTML" not in r.text and "eval(" not in r.text
    r.close()
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in CSP
