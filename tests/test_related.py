"""Related articles and near-duplicate stories: a real index, the engine, the site and the API."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search import related
from search.article import Article
from search.engine import Engine
from search.errors import ArticleNotFound
from search.extract.text import match_form

BRIDGE_BODY = (
    "Sáng nay, Ủy ban nhân dân huyện Mường Chà tổ chức khởi công cầu treo dân sinh bắc qua "
    "suối Nậm Pồ, nối bản Huổi Mí với trung tâm xã. Cây cầu dài 120 mét, rộng 1,5 mét, do "
    "Bộ Giao thông vận tải hỗ trợ vốn theo chương trình cầu treo dân sinh vùng cao. "
    "Nhiều năm qua, mỗi mùa lũ, hơn ba trăm hộ dân bản Huổi Mí phải lội suối hoặc đi bè "
    "mảng, học sinh nghỉ học hàng tuần liền. Đơn vị thi công cam kết hoàn thành cầu treo "
    "Nậm Pồ trước mùa mưa năm sau, bảo đảm chất lượng và an toàn lao động."
)

ARTICLES = [
    # The story, and the same story from a second outlet: another title and lead,
    # a few words changed in the body (not a byte-identical copy).
    Article(
        id="rel/bridge",
        title="Khởi công cầu treo Nậm Pồ cho bản Huổi Mí",
        lead="Cầu treo dân sinh giúp bà con bản Huổi Mí hết cảnh lội suối mùa lũ.",
        body=BRIDGE_BODY,
        outlet="Báo Điện Biên Phủ",
        url="https://baodienbienphu.vn/cau-treo-nam-po.html",
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Hạ tầng – đô thị"],
        date=dt.date(2024, 9, 3),
    ),
    Article(
        id="rel/bridge-copy",
        title="Điện Biên: xây cầu treo qua suối Nậm Pồ",
        lead="Huyện Mường Chà khởi công cây cầu mà người dân chờ đợi nhiều năm.",
        body=BRIDGE_BODY.replace("Sáng nay", "Ngày 3/9").replace("120 mét", "gần 120 mét"),
        outlet="Đài Phát thanh Điện Biên",
        url="https://dienbientv.vn/cau-treo.html",
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Hạ tầng – đô thị"],
        date=dt.date(2024, 9, 4),
    ),
    # A later story on the same bridge, in other words.
    Article(
        id="rel/bridge-done",
        title="Nghiệm thu cầu treo Nậm Pồ",
        lead="Sau mười tháng thi công, cầu treo dân sinh Nậm Pồ đã được nghiệm thu.",
        body="Hội đồng nghiệm thu đánh giá cầu treo Nậm Pồ đạt yêu cầu kỹ thuật. Từ nay, "
        "học sinh bản Huổi Mí không còn phải lội suối đến trường trong mùa lũ. "
        "Trưởng bản cho biết bà con rất phấn khởi khi cây cầu hoàn thành.",
        outlet="Báo Điện Biên Phủ",
        url="https://baodienbienphu.vn/nghiem-thu.html",
        province="Điện Biên",
        province_2025="Điện Biên",
        topics=["Hạ tầng – đô thị"],
        date=dt.date(2025, 7, 10),
    ),
    # Shares only everyday words with the bridge story.
    Article(
        id="rel/common",
        title="Huyện tổ chức hội nghị tổng kết năm",
        body="Ủy ban nhân dân huyện tổ chức hội nghị tổng kết công tác năm, các xã báo cáo "
        "kết quả thực hiện nhiệm vụ. Hội nghị cũng bàn kế hoạch năm sau và giao chỉ "
        "tiêu cho từng xã, từng đơn vị.",
        province="Lai Châu",
        province_2025="Lai Châu",
        topics=["Chính quyền địa phương"],
        date=dt.date(2024, 12, 20),
    ),
    *[
        Article(
            id=f"rel/filler-{i}",
            title=title,
            body=body,
            province=province,
            province_2025=province,
            topics=[topic],
            date=dt.date(2024, 1, 1 + i),
        )
        for i, (title, body, province, topic) in enumerate(
            [
                (
                    "Tiêm vắc xin sởi cho trẻ em",
                    (
                        "Trung tâm y tế huyện tổ chức tiêm vắc xin sởi cho "
                        "hơn hai nghìn trẻ em dưới năm tuổi, bảo đảm an toàn tiêm chủng."
                    ),
                    "Sơn La",
                    "Y tế",
                ),
                (
                    "Thu hoạch lúa mùa",
                    (
                        "Nông dân các xã thu hoạch lúa mùa, năng suất đạt sáu tấn "
                        "một héc ta, giá lúa ổn định."
                    ),
                    "Thái Bình",
                    "Nông nghiệp",
                ),
                (
                    "Khai giảng năm học mới",
                    (
                        "Các trường học trong tỉnh khai giảng năm học mới, "
                        "học sinh vui mừng gặp lại thầy cô giáo."
                    ),
                    "Nghệ An",
                    "Giáo dục",
                ),
                (
                    "Phòng chống cháy rừng mùa khô",
                    (
                        "Kiểm lâm phối hợp với người dân tuần tra, "
                        "phòng chống cháy rừng trong mùa khô hanh."
                    ),
                    "Hà Giang",
                    "Tài nguyên – môi trường",
                ),
                (
                    "Hội thi văn nghệ quần chúng",
                    (
                        "Hội thi văn nghệ quần chúng thu hút nhiều đội "
                        "tham gia với các tiết mục múa hát dân tộc."
                    ),
                    "Lào Cai",
                    "Văn hóa – xã hội",
                ),
                (
                    "Cải cách thủ tục hành chính",
                    (
                        "Bộ phận một cửa tiếp nhận hồ sơ trực tuyến, "
                        "rút ngắn thời gian giải quyết thủ tục cho người dân."
                    ),
                    "Hà Nam",
                    "Cải cách hành chính",
                ),
            ]
        )
    ],
]
BRIDGE_IDS = {"rel/bridge", "rel/bridge-copy"}


@pytest.fixture(scope="module")
def index_dir(articles_index):
    return articles_index(ARTICLES, "related-index")


@pytest.fixture(scope="module")
def engine(index_dir):
    e = Engine(index_dir)
    yield e
    e.close_all()


@pytest.fixture(scope="module")
def client(index_dir, client_for):
    return client_for(index_dir)


# --- related articles -------------------------------------------------------------------


@pytest.mark.parametrize("article_id", sorted(BRIDGE_IDS))
def test_related_finds_the_article_sharing_the_rare_words(engine, article_id):
    ids = [h.id for h in engine.related(article_id, 5)]
    assert ids and ids[0] == "rel/bridge-done"


@pytest.mark.parametrize("article_id", sorted(BRIDGE_IDS))
def test_related_leaves_out_the_article_and_its_near_duplicates(engine, article_id):
    ids = [h.id for h in engine.related(article_id, 5)]
    assert not BRIDGE_IDS & set(ids)


def test_related_of_the_later_story_lists_the_story_once(engine):
    ids = [h.id for h in engine.related("rel/bridge-done", 5)]
    assert len(BRIDGE_IDS & set(ids)) == 1
    assert "rel/bridge-done" not in ids


def test_related_skips_articles_sharing_only_everyday_words(engine):
    assert "rel/common" not in [h.id for h in engine.related("rel/bridge", 5)]


def test_related_respects_the_limit_and_returns_hits(engine):
    hits = engine.related("rel/bridge-done", 1)
    assert len(hits) == 1 and hits[0].title and hits[0].score > 0


def test_related_of_a_missing_article_is_named(engine):
    with pytest.raises(ArticleNotFound):
        engine.related("rel/none", 5)


def test_significant_terms_are_bounded_and_prefer_the_rare_words(engine):
    s = engine.searcher()
    article = engine.article("rel/bridge")
    terms = related.significant_terms(s, article, max_terms=5)
    assert len(terms) == 5
    texts = {t.text for t in terms}
    assert texts & {"nam_po", "huoi_mi", "cau_treo"}, texts
    assert "huyen" not in texts and "to_chuc" not in texts


# --- near-duplicates --------------------------------------------------------------------


def _article(body: str, lead: str = "") -> Article:
    return Article(id="x", title="t", lead=lead, body=body)


WORDS = " ".join(f"từ{i}" for i in range(60))


@pytest.mark.parametrize(
    "a, b, expected",
    [
        (WORDS, WORDS, True),  # identical
        (WORDS, WORDS + " thêm một đoạn kết khác hẳn", True),  # a longer copy
        (WORDS, " ".join(f"khác{i}" for i in range(60)), False),
        ("ngắn quá", "ngắn quá", False),  # too short to tell
    ],
)
def test_similar(a, b, expected):
    assert related.similar(related.shingles(_article(a)), related.shingles(_article(b))) is expected


# Text of every kind a word hash must tell apart: Vietnamese letters (composed,
# decomposed, old and new tone placement), digits, punctuation and spaces of
# every sort, "_", letters outside Vietnamese, and emoji beyond the BMP.
_TEXT = st.lists(
    st.sampled_from(
        list("aăâbdđeêioôơuưyAĐƠ") + ["hoà", "hòa", "a\u0300", "İ", "ß", "٣", "中", "😀"]
    )
    | st.sampled_from(list(" \n\t,.;:-_–“”…/()\u00a0\u3000"))
    | st.characters(),
    max_size=120,
).map("".join)


def _old_shingles(article):
    """The signature as first written: a tuple of strings hashed per run (the oracle)."""
    text = f"{article.lead}\n{article.body}"[: related.MAX_SHINGLE_WORDS * 8]
    words = match_form(text).split()[: related.MAX_SHINGLE_WORDS]
    if len(words) < related.SHINGLE:
        words = match_form(article.title).split() + words
    return frozenset(map(hash, zip(*(words[i:] for i in range(related.SHINGLE)))))


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_word_hashes_are_match_forms_words(text):
    words = match_form(text).split()
    hashes = related.word_hashes(text).tolist()
    assert len(hashes) == len(words)
    # Equal words hash equally, different words differently.
    assert len(set(zip(words, hashes))) == len(set(words)) == len(set(hashes))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["ủy", "ban", "nhân", "dân", "xã", "Xã", "hoà", "hòa", "x_y"]), max_size=70
    ),
    st.lists(st.sampled_from(["ban", "dân", "mới", "xa"]), max_size=70),
)
def test_signatures_compare_as_the_tuple_hashes_did(a, b):
    one, two = " ".join(a), " ".join(b + a[: len(a) // 2])
    sig = [related.shingles(_article(t)) for t in (one, two)]
    old = [_old_shingles(_article(t)) for t in (one, two)]
    assert [len(s) for s in sig] == [len(s) for s in old]
    assert related.resemblance(*sig) == related.resemblance(*old)


@pytest.mark.parametrize(
    "text, same",
    [
        # An emoji is no word, and a text holding one hashes its words as any other text.
        ("xã 😀 huyện", "xã huyện"),
        ("😀xã😀huyện😀", "xã huyện"),
        # Letters past the BMP are a word; the words beside them hash as anywhere.
        ("𝐀𝐁 xã", "ab xã"),
    ],
)
def test_words_hash_alike_beside_characters_past_the_bmp(text, same):
    got, want = related.word_hashes(text).tolist(), related.word_hashes(same).tolist()
    assert len(got) == len(want) == len(match_form(text).split())
    assert got[-1] == want[-1]
    assert (got == want) is ("𝐀" not in text)


def test_a_signature_reads_the_start_of_a_long_body():
    long = _article(" ".join(f"từ{i}" for i in range(5000)))
    assert len(related.signature(long)) == related.MAX_SHINGLE_WORDS - related.SHINGLE + 1
    assert related.signature(_article("")).tolist() == []


def test_group_keeps_rank_order_and_joins_the_first_leader():
    x = related.shingles(_article(WORDS))
    y = related.shingles(_article(" ".join(f"khác{i}" for i in range(60))))
    assert related.group([x, y, x, y, x]) == [[0, 2, 4], [1, 3]]


def _group_pairwise(signatures):
    """The grouping as first written: a set intersection per pair (the oracle)."""
    groups: list[list[int]] = []
    for i, sig in enumerate(signatures):
        for g in groups:
            if related.similar(signatures[g[0]], sig):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.frozensets(
            st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.integers(0, 60), max_size=45
        ),
        max_size=25,
    )
)
def test_group_is_the_pairwise_grouping(signatures):
    expected = _group_pairwise(signatures)
    assert related.group(signatures) == expected
    assert related.group([related.as_array(s) for s in signatures]) == expected


@pytest.mark.parametrize("copies", [1, 2, 7, 40])
def test_group_of_many_copies_and_threshold_edges(copies):
    base = frozenset(range(30))
    half = frozenset(range(15)) | frozenset(range(1000, 1015))  # exactly SIMILAR of base
    less = frozenset(range(14)) | frozenset(range(1000, 1016))  # one shingle short
    short = frozenset(range(14))  # too short to tell
    sigs = [base] * copies + [half, less, short, short]
    assert related.group(sigs) == _group_pairwise(sigs)
    assert related.group(sigs)[0] == list(range(copies + 1))


# --- search results: one story once --------------------------------------------------


def _search(engine, **kw):
    return engine.search("cầu treo Nậm Pồ", **kw)


def test_search_collapses_one_story_from_two_outlets(engine):
    result = _search(engine)
    ids = [h.id for h in result.hits]
    assert result.collapsed and result.total == 3
    assert len(BRIDGE_IDS & set(ids)) == 1 and "rel/bridge-done" in ids
    (story,) = [h for h in result.hits if h.id in BRIDGE_IDS]
    assert [s["id"] for s in story.similar] == list(BRIDGE_IDS - {story.id})
    assert set(story.similar[0]) == {"id", "title", "url", "outlet", "date"}
    assert story.similar[0]["outlet"] in ("Báo Điện Biên Phủ", "Đài Phát thanh Điện Biên")


@pytest.mark.parametrize("kw", [{"collapse": False}, {"sort": "date"}])
def test_search_without_collapse_shows_every_article(engine, kw):
    result = _search(engine, **kw)
    assert {h.id for h in result.hits} == BRIDGE_IDS | {"rel/bridge-done"}
    assert all(not h.similar for h in result.hits) and not result.collapsed


def test_api_collapses_with_the_count_and_collapse_0_shows_all(client):
    on = client.get("/api/search", query_string={"q": "cầu treo Nậm Pồ"}).get_json()
    assert on["total"] == 3 and len(on["hits"]) == 2 and on["collapsed"] is True
    assert sorted(len(h["similar"]) for h in on["hits"]) == [0, 1]
    off = client.get("/api/search", query_string={"q": "cầu treo Nậm Pồ", "collapse": "0"})
    off = off.get_json()
    assert off["total"] == 3 and len(off["hits"]) == 3
    assert all(h["similar"] == [] for h in off["hits"])


@pytest.mark.parametrize("value", ["2", "yes", "-1"])
def test_bad_collapse_is_refused_with_a_message(client, value):
    r = client.get("/api/search", query_string={"q": "cầu treo", "collapse": value})
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "bad_collapse" and "collapse" in body["message"]


def test_page_shows_n_similar_in_an_expander_and_collapse_0_shows_all(client):
    page = client.get("/search", query_string={"q": "cầu treo Nậm Pồ"}).get_data(as_text=True)
    assert page.count('<li class="hit">') == 2
    assert '<details class="similar">' in page and "1 bài tương tự" in page
    assert "collapse=0" in page  # "xem riêng từng bài"
    titles = {
        "Khởi công cầu treo Nậm Pồ cho bản Huổi Mí",
        "Điện Biên: xây cầu treo qua suối Nậm Pồ",
    }
    assert all(t in page for t in titles)  # the other one inside the expander
    apart = client.get("/search", query_string={"q": "cầu treo Nậm Pồ", "collapse": "0"})
    apart = apart.get_data(as_text=True)
    assert apart.count('<li class="hit">') == 3 and "bài tương tự" not in apart


def test_article_page_lists_related_articles(client):
    page = client.get("/articles/" + quote("rel/bridge", safe="/")).get_data(as_text=True)
    related_part = page.split("Bài liên quan", 1)[1]
    assert "Nghiệm thu cầu treo Nậm Pồ" in related_part
    assert "xây cầu treo qua suối Nậm Pồ" not in related_part


def test_cli_lists_the_copies_and_no_collapse_separates_them(index_dir):
    from click.testing import CliRunner

    from search.cli import cli

    runner = CliRunner()
    on = runner.invoke(cli, ["search", "cầu treo Nậm Pồ", "--index", str(index_dir)])
    assert on.exit_code == 0 and "+ 1 bài tương tự: " in on.output
    off = runner.invoke(
        cli, ["search", "cầu treo Nậm Pồ", "--index", str(index_dir), "--no-collapse", "--json"]
    )
    assert len(json.loads(off.output)["hits"]) == 3


# --- pages past the collapsed stories -------------------------------------------------


def _story(i: int) -> str:
    words = ["nông", "thôn", "đường", "trường", "trạm", "y", "tế", "cầu", "cống", "kênh"]
    mixed = " ".join(f"{words[(i * 7 + k) % 10]} số {i * 31 + k}" for k in range(30))
    return f"Cán bộ xã {i} báo cáo. {mixed}."


@pytest.fixture(scope="module")
def copies(articles_index, engine_for):
    # 230 stories, each published twice, one of them three times: 461 articles,
    # so the stories run past COLLAPSE_MAX_END (200) results.
    articles = []
    for i in range(230):
        for c in range(3 if i == 65 else 2):
            articles.append(Article(id=f"s{i:03d}-{c}", title=f"Tin {i}", body=_story(i)))
    return engine_for(articles_index(articles, "copies"))


@pytest.mark.parametrize("per_page", [10, 30, 50])
def test_every_article_is_on_exactly_one_page_whatever_the_page_size(copies, per_page):
    seen: list[str] = []
    page = 1
    while True:
        result = copies.search("cán bộ", per_page=per_page, page=page)
        if not result.hits:
            break
        for h in result.hits:
            seen += [h.id, *(s["id"] for s in h.similar)]
        page += 1
    assert len(seen) == len(set(seen)) == result.total == 461


def test_pages_past_the_stories_keep_them(copies, engine_for, monkeypatch):
    # Pages 21 to 23 of 10 are past the first 200 stories: the stories are read once
    # for every such page of the query, and the pages are those a new engine gives.
    calls: list[int] = []
    collapse = related.collapse

    def counted(*args, **kwargs):
        calls.append(1)
        return collapse(*args, **kwargs)

    monkeypatch.setattr(related, "collapse", counted)
    deep = [copies.search("cán bộ", page=21).hits]
    read = len(calls)  # none when an earlier test of the module left them kept
    deep += [copies.search("cán bộ", page=p).hits for p in (22, 23)]
    again = copies.search("cán bộ", page=21).hits
    assert len(calls) == read
    fresh = engine_for(copies.path)
    assert [h.id for h in again] == [h.id for h in deep[0]]
    assert [[h.id for h in hits] for hits in deep] == [
        [h.id for h in fresh.search("cán bộ", page=p).hits] for p in (21, 22, 23)
    ]
    # Another filter is another query: its stories are read for it.
    before = len(calls)
    copies.search("cán bộ", page=21, year=["2024"])
    assert len(calls) == before + 1
