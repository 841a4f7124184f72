"""The Article record: everything the index knows about one article."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields

from .policy import PolicyRef

# Bump when parsing changes what an unchanged input file yields, so that
# `vnsearch index` re-reads files whose bytes did not change.
PARSER_VERSION = 2


@dataclass
class Article:
    """One article, as parsed from a file or a JSON line."""

    id: str
    title: str = ""
    lead: str = ""
    body: str = ""
    captions: list[str] = field(default_factory=list)
    policy_refs: list[PolicyRef] = field(default_factory=list)
    date: dt.date | None = None
    author: str | None = None
    outlet: str | None = None
    url: str | None = None
    urls: list[str] = field(default_factory=list)
    province: str | None = None
    province_2025: str | None = None
    district: str | None = None
    commune: str | None = None
    topics: list[str] = field(default_factory=list)
    source_path: str | None = None
    # When this copy was indexed (UTC, to the second): an undated article's time in feeds.
    indexed: str | None = None
    content_hash: str = ""

    def text(self) -> str:
        """All searchable prose of the article, for segmentation and vocabulary."""
        return "\n".join([self.title, self.lead, self.body, *self.captions])

    def to_dict(self) -> dict:
        """The JSON shape of `vnsearch show --json` and `/api/articles/<id>`."""
        d = asdict(self)
        d["date"] = self.date.isoformat() if self.date else None
        d["policy_refs"] = [r.to_dict() for r in self.policy_refs]
        d.pop("content_hash")
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Article:
        """Inverse of :meth:`to_dict` (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        if d.get("date"):
            d["date"] = dt.date.fromisoformat(d["date"])
        d["policy_refs"] = [PolicyRef(**r) for r in d.get("policy_refs") or []]
        return cls(**d)

    def dumps(self) -> str:
        """Compact JSON, including the content hash (the stored form)."""
        d = self.to_dict()
        d["content_hash"] = self.content_hash
        return json.dumps(d, ensure_ascii=False, separators=(",", ":"))


def now_utc() -> str:
    """The current time as an RFC 3339 UTC timestamp to the second (``Article.indexed``)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(raw: bytes) -> str:
    """Hash of an input record's bytes and the parser version (change detection)."""
    h = hashlib.blake2b(raw, digest_size=16)
    h.update(f"parser-{PARSER_VERSION}".encode())
    return h.hexdigest()
