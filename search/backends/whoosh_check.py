"""The checks of a Whoosh index's own files, for `vnsearch check` (search/check.py).

Every part is read the way searching reads it: the table of contents, each
segment's stored articles, and every field's terms and posting blocks. Files
an interrupted write left behind are listed too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from whoosh.index import TOC

from ..index import stale_rebuilds
from ..stored import load_article
from .base import FilesChecked, Problem
from .whoosh_index import (
    _TEMP_TOC,
    INDEX_NAME,
    _generations,
    _segment_files,
    _storage,
    open_segment,
    read_toc,
)

# Broken documents or terms listed per segment before "and N more".
SHOW = 5
# How far a field's term weights may be from its recorded length (see _check_postings).
LENGTH_TOLERANCE = 0.2


def check_files(path: Path) -> FilesChecked:
    """Read the table of contents, every segment and every posting list of the index at ``path``."""
    checked = FilesChecked()
    storage = _storage(path)
    try:
        toc = read_toc(storage)
    except Exception as e:  # noqa: BLE001 - any failure to read it is the finding
        toc_files = f"_{INDEX_NAME}_*.toc"
        what = (
            f"thiếu {toc_files}"
            if TOC._latest_generation(storage, INDEX_NAME) < 0
            else f"không đọc được {toc_files} ({type(e).__name__})"
        )
        checked.problems.append(Problem("toc", what))
        return checked
    checked.segments = len(toc.segments)
    for seg in toc.segments:
        _check_segment(storage, toc.schema, seg, checked)
    _check_leftovers(path, toc, checked)
    return checked


def _check_segment(storage, schema, seg, checked: FilesChecked) -> None:
    name = seg.segment_id()
    add = checked.problems.append
    if seg.is_compound():
        fname = seg.make_filename(".seg")
        if not storage.file_exists(fname):
            add(Problem("segment", f"thiếu {fname}", name))
            return
    try:
        reader = open_segment(storage, schema, seg)
    except Exception as e:  # noqa: BLE001
        add(Problem("segment", f"không mở được ({type(e).__name__}: {str(e)[:100]})", name))
        return
    try:
        _check_stored(reader, name, checked)
        _check_postings(reader, name, checked)
    finally:
        reader.close()


def _check_stored(reader, name: str, checked: FilesChecked) -> None:
    bad: list[int] = []
    for docnum in range(reader.doc_count_all()):
        if reader.is_deleted(docnum):
            continue
        try:
            load_article(reader.stored_fields(docnum))
            checked.articles += 1
        except Exception:  # noqa: BLE001 - a broken document is the finding
            bad.append(docnum)
            if len(bad) > 1000:  # the whole file is gone: no need to try every one
                break
    if bad:
        shown = _some([str(n) for n in bad])
        checked.problems.append(
            Problem("segment", f"không đọc được các bài đã lưu (tài liệu số {shown})", name)
        )


def _check_postings(reader, name: str, checked: FilesChecked) -> None:
    """Walk every term of every field and decode its posting blocks (ids only)."""
    size = reader.doc_count_all()
    bad: list[str] = []
    weights: Counter = Counter()
    terms = reader._terms  # Whoosh 3's term table: read in order, each term once
    formats = {name: field.format for name, field in reader.schema.items()}
    try:
        for (fieldname, text), info in terms.items():
            checked.terms += 1
            try:
                weights[fieldname] += info.weight()
                # Unfiltered: deleted documents keep their postings until a merge.
                m = terms._codec.postings_reader(
                    terms._postfile, info, formats[fieldname], term=(fieldname, text)
                )
                n = _walk(m, size)
                checked.postings += n
                if n != info.doc_frequency():
                    raise ValueError(f"{n} postings, {info.doc_frequency()} expected")
                # Searches find terms through the table's hash index: look each one up.
                if terms.doc_frequency(fieldname, text) != n:
                    raise ValueError("the term's look-up disagrees with the term list")
            except Exception as e:  # noqa: BLE001
                bad.append(f"{fieldname}:{text!r} ({type(e).__name__})")
                if len(bad) > 100:
                    break
    except Exception as e:  # noqa: BLE001 - the term list itself is cut short
        bad.append(f"danh sách từ ({type(e).__name__}: {str(e)[:80]})")
    # A damaged term list can also end early without an error: the terms'
    # weights must add up to each field's length, kept in the table of
    # contents. Merged segments sum lengths from Whoosh's one-byte (lossy)
    # per-document lengths, hence the tolerance.
    for fieldname, fieldtype in reader.schema.items():
        length = reader.field_length(fieldname)
        if length and not bad:
            expected = length * getattr(fieldtype.format, "field_boost", 1.0)
            if abs(weights[fieldname] - expected) > 0.5 + LENGTH_TOLERANCE * expected:
                bad.append(
                    f"{fieldname}: các từ cộng lại được {weights[fieldname]:g} "
                    f"lần xuất hiện, không phải {expected:g}"
                )
    if bad:
        checked.problems.append(
            Problem("segment", f"không đọc được danh sách vị trí: {_some(bad)}", name)
        )


def _some(items: list[str]) -> str:
    """The first SHOW items, then how many more."""
    more = len(items) - SHOW
    return ", ".join(items[:SHOW]) + (f" và {more} mục khác" if more > 0 else "")


def _walk(m, size: int) -> int:
    """The number of postings of a matcher, decoding each block's ids once."""
    n = 0
    if not hasattr(m, "_read_data"):  # a term stored inline in the term list
        while m.is_active():
            if not 0 <= m.id() < size:
                raise ValueError(f"document {m.id()} out of range")
            n += 1
            m.next()
        return n
    while m.is_active():
        if m._data is None:
            m._read_data()
        deltas = m._data[0]
        last = sum(deltas)  # ids are delta-coded from 0 in each block
        if not 0 <= last < size or (deltas and min(deltas) < 0):
            raise ValueError("document number out of range")
        n += len(deltas)
        if m._lastblock:
            break
        m._next_block()
    return n


def _check_leftovers(path: Path, toc, checked: FilesChecked) -> None:
    used = {s.segment_id() for s in toc.segments}
    pattern = TOC._segment_pattern(INDEX_NAME)
    stray = [n for n in _segment_files(path) if pattern.match(n).group(1) not in used]
    stray += [n for n in (p.name for p in path.iterdir()) if _TEMP_TOC.match(n)]
    stray += [f"../{p.name}/" for p in stale_rebuilds(path)]
    stray += [f"_{INDEX_NAME}_{g}.toc" for g in _generations(path) if g != toc.generation]
    if stray:
        checked.problems.append(
            Problem(
                "leftovers",
                f"{len(stray)} tệp của một lần ghi bị gián đoạn ({', '.join(stray[:3])})",
            )
        )
