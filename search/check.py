"""`vnsearch check`: verify an index's files, stored articles and vocabulary, like `git fsck`.

Every part is read the way searching reads it (metadata, the table of
contents, each segment's stored articles and every field's terms and posting
blocks) and the vocabulary is checked by SQLite and against the index. Each
finding says what is wrong and what to do; ``repair`` rebuilds a vocabulary that
does not match the index (the index itself is rebuilt by `vnsearch index --rebuild`).
What people read (a finding's part, problem and fix, what was repaired) is
Vietnamese; a finding's ``code`` names its part for programs.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path

from .backends import (
    FilesChecked,
    backend_of,
    check_files,
    has_index_files,
    open_store,
    pending_swap,
    read_errors,
    read_stamp,
    remove_leftovers,
)
from .backends.base import SCHEMA_VERSION
from .errors import IndexDamaged, IndexMissing
from .index import LOCK_TIMEOUT, META_FILE, read_meta, stale_rebuilds, write_lock
from .vocab import Vocabulary, vocab_path

log = logging.getLogger(__name__)

REBUILD = "chạy `vnsearch index --rebuild` (lệnh này giữ lại mọi bài đã lưu còn đọc được)"
REPAIR = "chạy `vnsearch check --repair` (hoặc lần `vnsearch index` tiếp theo sẽ tự sửa)"
FINISH_SWAP = "chạy `vnsearch check --repair` (hoặc lần `vnsearch index` tiếp theo) để hoàn tất"
# What taking the write lock did about a rebuild killed half-way through its swap.
SWAPS = {
    "finished": "đã thay xong chỉ mục mà một lần `vnsearch index --rebuild` bị dừng đã xây dựng lại",
    "abandoned": "đã bỏ việc thay dở dang của một lần `vnsearch index --rebuild` bị dừng (bản "
    "xây dựng lại không còn): chỉ mục cũ giữ nguyên",
}
REMOVE_LEFTOVERS = "`vnsearch check --repair` (hoặc lần `vnsearch index` tiếp theo) sẽ xóa chúng"
# What a killed compaction of a Xapian shard left: the next compaction puts it right too.
REMOVE_COMPACTION_LEFTOVERS = (
    "`vnsearch check --repair` (hoặc lần `vnsearch compact` tiếp theo) sẽ xóa chúng"
)
# What to do about what reading the files found, by the problem's code.
FIXES = {"toc": REBUILD, "segment": REBUILD, "shard": REBUILD, "leftovers": REMOVE_LEFTOVERS}
# A finding's code (stable, for programs) -> the part's name people read.
PARTS = {
    "metadata": "siêu dữ liệu",
    "toc": "mục lục",
    "segment": "phân đoạn",
    "shard": "shard",
    "leftovers": "tệp thừa",
    "vocabulary": "từ vựng",
    "swap": "lần xây dựng lại",
}


@dataclass
class Finding:
    """One thing wrong (or, with ``damage`` False, worth knowing) and what to do about it.

    ``code`` is the part's stable name (a key of PARTS); ``name`` tells which one
    of several (a segment's id); ``part`` is what people read.
    """

    code: str
    problem: str
    fix: str
    damage: bool = True
    name: str = ""

    @property
    def part(self) -> str:
        """The part in Vietnamese, with its name if it has one (``phân đoạn 3fa1``)."""
        return f"{PARTS[self.code]} {self.name}".strip()

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {
            "code": self.code,
            "part": self.part,
            "problem": self.problem,
            "fix": self.fix,
            "damage": self.damage,
        }


@dataclass
class CheckReport:
    """What `vnsearch check` found."""

    path: str
    backend: str = "whoosh"
    articles: int = 0
    segments: int = 0
    terms: int = 0
    postings: int = 0
    findings: list[Finding] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when nothing is damaged (warnings aside)."""
        return not any(f.damage for f in self.findings)

    def to_dict(self) -> dict:
        """Plain-dict form for JSON."""
        return {
            "path": self.path,
            "healthy": self.healthy,
            "articles": self.articles,
            "segments": self.segments,
            "terms": self.terms,
            "postings": self.postings,
            "findings": [f.to_dict() for f in self.findings],
            "repaired": self.repaired,
        }


def check_index(path, repair: bool = False, lock_timeout: float = LOCK_TIMEOUT) -> CheckReport:
    """Verify the index at ``path``; with ``repair``, rebuild a vocabulary that does not match.

    Raises IndexMissing when there is no index at all.
    """
    path = Path(path)
    if not has_index_files(path):
        raise IndexMissing.at(path)
    if not repair:
        return _check_any(path, [])
    # Taking the write lock finishes the swap of a rebuild that was killed half-way.
    with write_lock(path, lock_timeout) as resumed:
        repaired = [SWAPS[resumed]] if resumed else []
        if backend_of(path) == "xapian":
            return _repair_xapian(path, _check_any(path, repaired))
        report = _check(path, repaired)
        _repair(path, report)
        if len(report.repaired) > len(repaired):
            report = _check(path, report.repaired)
    return report


def _check_any(path: Path, repaired: list[str]) -> CheckReport:
    return _check_xapian(path, repaired) if backend_of(path) == "xapian" else _check(path, repaired)


def _add_swap(path: Path, report: CheckReport) -> None:
    """A rebuild's swap that was interrupted (or is under way) is a finding of its own."""
    try:
        if pending_swap(path):
            report.findings.append(
                Finding(
                    "swap",
                    "một lần `vnsearch index --rebuild` chưa thay xong chỉ mục mới vào",
                    FINISH_SWAP,
                )
            )
    except IndexDamaged as e:  # its journal: the message says what to do
        problem, _, fix = str(e).partition(": hãy ")
        report.findings.append(Finding("swap", problem, f"hãy {fix}" if fix else REBUILD))


def _check_xapian(path: Path, repaired: list[str]) -> CheckReport:
    """The checks of a Xapian index: each shard, the stored articles, the vocabulary."""
    report = CheckReport(str(path), backend="xapian", repaired=repaired)
    _add_swap(path, report)
    _add_files(report, check_files(path))
    report.findings = [
        replace(f, fix=REMOVE_COMPACTION_LEFTOVERS) if f.code == "leftovers" else f
        for f in report.findings
    ]
    if report.healthy:
        _check_vocabulary(path, report)
    return report


def _repair_xapian(path: Path, report: CheckReport) -> CheckReport:
    """Rebuild the vocabulary of a Xapian index when nothing else is damaged."""
    if any(f.code == "leftovers" for f in report.findings):
        removed = remove_leftovers(path)
        report = _check_xapian(path, [*report.repaired, *(f"đã xóa {n}" for n in removed)])
    damaged = [f for f in report.findings if f.damage]
    if not damaged or any(f.code != "vocabulary" for f in damaged):
        return report
    vocab = _fresh_vocabulary(path)
    try:
        from .ingest import repair_vocabulary

        store = open_store(path)
        try:
            n = repair_vocabulary(store, vocab)
        finally:
            store.close()
    finally:
        vocab.close()
    return _check_xapian(path, [*report.repaired, rebuilt_vocabulary(n)])


def _check(path: Path, repaired: list[str] | None = None) -> CheckReport:
    report = CheckReport(str(path), repaired=list(repaired or []))
    _add_swap(path, report)
    add = report.findings.append
    try:
        meta = read_meta(path)
    except IndexDamaged:
        meta = {}
        add(
            Finding(
                "metadata", f"{META_FILE} bị hỏng (không phải siêu dữ liệu của vnsearch)", REBUILD
            )
        )
    if meta is None:
        add(Finding("metadata", f"thiếu {META_FILE}", REBUILD))
    elif meta and meta["schema_version"] != SCHEMA_VERSION:
        add(
            Finding(
                "metadata",
                f"được tạo với lược đồ phiên bản {meta['schema_version']}, vnsearch này "
                f"dùng phiên bản {SCHEMA_VERSION}",
                REBUILD,
            )
        )

    checked = check_files(path)
    _add_files(report, checked)
    if any(p.code == "toc" for p in checked.problems):
        return report  # nothing else could be read
    if report.healthy:
        _check_vocabulary(path, report)
    else:
        add(
            Finding(
                "vocabulary", "chưa được so với chỉ mục vì chỉ mục bị hỏng", REBUILD, damage=False
            )
        )
    return report


def _add_files(report: CheckReport, checked: FilesChecked) -> None:
    """What reading the index's files found, as counts and findings (leftovers only warn)."""
    report.segments, report.articles = checked.segments, checked.articles
    report.terms, report.postings = checked.terms, checked.postings
    for p in checked.problems:
        damage = p.code != "leftovers"
        report.findings.append(Finding(p.code, p.text, FIXES[p.code], damage=damage, name=p.name))


def _check_vocabulary(path: Path, report: CheckReport) -> None:
    add = report.findings.append
    if not vocab_path(path).exists():
        add(Finding("vocabulary", f"thiếu {vocab_path(path).name}", REPAIR))
        return
    try:
        vocab = Vocabulary(path, read_only=True)  # a check writes nothing
    except sqlite3.DatabaseError as e:
        if "no such table" in str(e):  # empty, or its first write never finished
            add(Finding("vocabulary", "tệp từ vựng chưa có dữ liệu (rỗng)", REPAIR))
        else:
            add(Finding("vocabulary", f"không phải cơ sở dữ liệu SQLite ({e})", REPAIR))
        return
    # What a damaged database, or index file read for its stamp, raises.
    errors: tuple[type[BaseException], ...] = (sqlite3.DatabaseError, *read_errors())
    try:
        problems = vocab.integrity()
        if problems:
            add(
                Finding(
                    "vocabulary",
                    "SQLite kiểm tra thấy lỗi: " + "; ".join(problems[:3]),
                    REPAIR,
                )
            )
            return
        current = read_stamp(path)
        if not vocab.matches(current):
            st = vocab.stats()
            add(
                Finding(
                    "vocabulary",
                    f"không khớp với chỉ mục: từ vựng đếm {st.get('documents')} bài ở "
                    f"lần ghi {st.get('index_generation')} của chỉ mục, còn chỉ mục có "
                    f"{current.documents} bài ở lần ghi {current.generation}",
                    REPAIR,
                )
            )
    except errors as e:
        add(Finding("vocabulary", f"không đọc được ({type(e).__name__}: {e})", REPAIR))
    finally:
        vocab.close()


def _fresh_vocabulary(path: Path) -> Vocabulary:
    """The vocabulary, opened; one SQLite cannot read is made again (derived data only)."""
    target = vocab_path(path)
    vocab = None
    try:
        vocab = Vocabulary(path)
        if vocab.integrity():
            raise sqlite3.DatabaseError("integrity check failed")
        return vocab
    except sqlite3.DatabaseError:
        if vocab is not None:
            vocab.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        return Vocabulary(path)


def _repair(path: Path, report: CheckReport) -> None:
    """Rebuild the vocabulary and remove leftovers when the index itself is sound."""
    from .ingest import repair_vocabulary  # ingest imports the indexing machinery

    if not report.healthy and any(f.code != "vocabulary" for f in report.findings if f.damage):
        return  # a damaged index: only `vnsearch index --rebuild` helps
    removed = remove_leftovers(path)
    for stale in stale_rebuilds(path):  # under the write lock: a killed rebuild's copy
        shutil.rmtree(stale, ignore_errors=True)
        removed.append(stale.name)
    if removed:
        report.repaired.append(f"đã xóa {len(removed)} tệp thừa")
    if any(f.code == "vocabulary" and f.damage for f in report.findings):
        vocab = _fresh_vocabulary(path)
        try:
            n = repair_vocabulary(open_store(path), vocab)
        finally:
            vocab.close()
        report.repaired.append(rebuilt_vocabulary(n))


def rebuilt_vocabulary(n: int | None) -> str:
    """What a repair that rebuilt the vocabulary says."""
    return f"đã dựng lại từ vựng từ {n or 0} bài đã lưu"
