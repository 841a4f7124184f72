"""Writing hand-made articles into a real index, the way `vnsearch index` does."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from search.article import Article, content_hash
from search.index import open_for_writing, write_batches
from search.policy import extract_refs
from search.segment import segment
from search.vocab import Vocabulary


def add_articles(index_dir: Path, articles: list[Article]) -> None:
    """Write ``articles`` (with references, segmentation and statistics) into ``index_dir``."""
    ix, _ = open_for_writing(index_dir)
    prepared = []
    for a in articles:
        a = Article(**{**a.__dict__})
        a.policy_refs = a.policy_refs or extract_refs(a.text())
        a.content_hash = content_hash(a.text().encode())
        prepared.append((a, segment(a.text())))
    vocab = Vocabulary(index_dir)
    for article, _ in prepared:
        vocab.add(article.text())
    for _ in write_batches(ix, prepared, on_commit=vocab.commit):
        pass
    vocab.close()


TONES = "\u0300\u0301\u0303\u0309\u0323"


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese software writes them: base letters plus tone marks."""
    out = []
    for m in re.finditer(r".[\u0300-\u036f]*", unicodedata.normalize("NFD", text), re.S):
        cluster = m.group()
        tones = "".join(c for c in cluster if c in TONES)
        out.append(
            unicodedata.normalize("NFC", "".join(c for c in cluster if c not in TONES)) + tones
        )
    return "".join(out).encode("cp1258")
