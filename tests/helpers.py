"""Writing hand-made articles into a real index, the way `vnsearch index` does."""

from __future__ import annotations

import random
import re
import shutil
import unicodedata
from pathlib import Path

from search.article import Article, content_hash
from search.backends import open_store
from search.engine import Engine
from search.policy import extract_refs
from search.segment import segment
from search.vocab import Vocabulary


def add_articles(
    index_dir: Path, articles: list[Article], backend: str | None = None, shards: int | None = None
) -> None:
    """Write ``articles`` (with references, segmentation and statistics) into ``index_dir``.

    ``backend`` and ``shards`` choose the search engine of a new index (see search/backends).
    """
    store = open_store(index_dir, backend, shards)
    prepared = []
    for a in articles:
        a = Article(**a.__dict__)
        a.policy_refs = a.policy_refs or extract_refs(a.text())
        a.content_hash = content_hash(a.text().encode())
        prepared.append((a, segment(a.text())))
    vocab = Vocabulary(index_dir)
    for article, _ in prepared:
        vocab.add(article.text())
    for _ in store.write(prepared, batch_size=500, on_commit=vocab.commit):
        pass
    vocab.close()
    store.close()


def copy_index(src: Path, dest: Path, articles: list[Article]) -> Path:
    """A copy of the index at ``src`` with ``articles`` added."""
    shutil.copytree(src, dest)
    add_articles(dest, list(articles))
    return dest


TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese software writes them: base letters plus tone marks."""
    out = []
    for m in re.finditer(r".[\u0300-\u036f]*", unicodedata.normalize("NFD", text), re.DOTALL):
        cluster = m.group()
        tones = "".join(c for c in cluster if c in TONES)
        out.append(
            unicodedata.normalize("NFC", "".join(c for c in cluster if c not in TONES)) + tones
        )
    return "".join(out).encode("cp1258")


# One article published twice, by a paper and by a district portal (only the site
# chrome and the source line differ): indexed, the second id becomes an alias.
REPUBLISHED = (
    "Mường Chà chú trọng đào tạo cán bộ cấp xã\n\n{chrome}\n\n"
    "Những năm qua, huyện Mường Chà đã chú trọng đào tạo, bồi dưỡng đội ngũ cán bộ, công chức "
    "cấp xã, nâng cao trình độ chuyên môn, lý luận chính trị và kỹ năng quản lý nhà nước cho "
    "hơn 300 lượt cán bộ, đáp ứng yêu cầu nhiệm vụ trong tình hình mới.\n\n"
    "Nguồn tin: {url}\n"
)


def write_republished(folder: Path) -> None:
    """Write the article above twice into ``folder``: paper.txt and portal.txt."""
    (folder / "paper.txt").write_text(
        REPUBLISHED.format(
            chrome="Tăng cỡ chữ", url="https://baodienbienphu.info.vn/tin/muong-cha"
        ),
        "utf-8",
    )
    (folder / "portal.txt").write_text(
        REPUBLISHED.format(chrome="In bài viết", url="https://muongcha.dienbien.gov.vn/tin/123"),
        "utf-8",
    )


def every_stored(ix: Path) -> dict:
    """Every stored article of the index as JSON, by id, and where the merged copy's id leads."""
    engine = Engine(ix)
    try:
        out = {i: engine.article(i).to_dict() for i in engine.match_ids("")}
        out["alias portal ->"] = engine.article("portal").id
        return out
    finally:
        engine.close_all()


def unstamped(stored: dict, *extra: str) -> dict:
    """``every_stored`` without the times the articles were indexed, and without the
    ``extra`` ids: what an index built anew from the same files must hold."""
    return {
        k: {f: v for f, v in a.items() if f != "indexed"} if isinstance(a, dict) else a
        for k, a in stored.items()
        if k not in extra
    }


# Syllables of local-government news, for corpora of random articles.
SYLLABLES = [
    "cán",
    "bộ",
    "xã",
    "họp",
    "bàn",
    "đường",
    "giao",
    "thông",
    "nông",
    "thôn",
    "trường",
    "học",
    "trạm",
    "y",
    "tế",
    "bản",
    "làng",
    "người",
    "dân",
    "hộ",
    "nghèo",
    "chính",
    "sách",
    "bảo",
    "hiểm",
    "thủy",
    "lợi",
    "ruộng",
    "nương",
    "mùa",
    "vụ",
]


def big_corpus(d: Path, n: int) -> Path:
    """``n`` text files of 400 random syllables each in the new folder ``d``."""
    rng = random.Random(5)
    d.mkdir()
    for i in range(n):
        body = " ".join(rng.choices(SYLLABLES, k=400)) + f" mã zq{i:05d} số {rng.random()}."
        (d / f"b{i:04d}.txt").write_text(f"Tin {i} về đường thôn\n\n{body}", "utf-8")
    return d


def word_test(*words: tuple[str, str]):
    """A plan word test (search.plan.WordTest) that joins exactly these folded pairs."""

    def is_word(before, a, b, after, **_) -> bool:
        return (a, b) in words

    return is_word


def pair_counts(**counts: int):
    """A plan pair test (search.plan.PairTest) from counts keyed ``a_b`` (folded)."""

    def is_pair(a: str, b: str) -> int:
        return counts.get(f"{a}_{b}", 0)

    return is_pair
