"""The `vnsearch` command line: index, search, show, stats, check, delete, compact, reshard,
extract (and plugins: serve)."""

from __future__ import annotations

import html
import json
import logging
import re
import sys
import time
from functools import wraps
from importlib.metadata import entry_points
from pathlib import Path

import click

from . import __version__, logs, settings
from .backends import BACKENDS, announce_merges, check_shard_urls, has_index_files, index_stats
from .backends.base import MAX_SHARDS
from .budget import RECORD_TIMEOUT
from .check import check_index
from .clickfmt import Group, explain
from .dates import parse_bound
from .engine import EXPORT_LIMIT, MAX_PER_PAGE, SORTS, Engine, open_engine
from .errors import BadQuery, SearchError
from .export import csv_lines
from .index import LOCK_TIMEOUT, write_atomic
from .ingest import extract_paths, index_paths
from .paths import default_index, default_seeds
from .plan import ACCENTS
from .progress import count_records
from .readers import Skipped
from .remove import remove_articles
from .upkeep import compact_index, reshard_index

REPORT_FILE = "last-run.json"

log = logging.getLogger(__name__)


class CLIError(click.ClickException):
    """A library error shown as one line, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        """``Lỗi: <message>`` on stderr (click's own prefix is English)."""
        click.echo(f"Lỗi: {self.format_message()}", file=file or sys.stderr, err=True)


def wait_option(text: str = "Seconds to wait for a running `vnsearch index`."):
    """The ``--wait`` option of the commands that take the index's write lock."""
    return click.option(
        "--wait",
        type=click.FloatRange(0),
        default=LOCK_TIMEOUT,
        show_default=True,
        callback=settings.option("wait"),
        help=text,
    )


def friendly_errors(f):
    """Turn library errors into one clear line instead of a traceback."""

    @wraps(f)
    def wrapper(*args, **kwargs):
        try:
            return f(*args, **kwargs)
        except SearchError as e:
            raise CLIError(explain(e, kwargs)) from None

    return wrapper


def shard_options(f):
    """--shard-url (repeatable) and --allow-partial: read Xapian shards served over TCP."""
    f = click.option(
        "--allow-partial",
        is_flag=True,
        callback=settings.option("allow_partial"),
        help="With --shard-url: when a shard does not answer, search the others (and say so).",
    )(f)
    return click.option(
        "--shard-url",
        "shard_urls",
        multiple=True,
        metavar="tcp://HOST:PORT",
        callback=settings.option("shard_urls"),
        help="A shard of the index served by xapian-tcpsrv (repeat, in shard order); "
        "read instead of the local shards.",
    )(f)


def index_option(f):
    """The shared --index option."""
    return click.option(
        "--index",
        "index_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=default_index,
        show_default="index/",
        callback=settings.option("index"),
        help="Index folder.",
    )(f)


def _dump(obj) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    prog_name="vnsearch",
    # Made when the option is defined, before clickfmt's catalogue is in use.
    message="%(prog)s, phiên bản %(version)s",
    help="Hiện phiên bản rồi thoát.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help=f"Instance settings (TOML; default ${settings.CONFIG_ENV}, else ./{settings.CONFIG_FILE} "
    "if there is one). Options given on the command line win over it.",
)
@click.option(
    "--log-level",
    type=click.Choice(settings.LOG_LEVELS, case_sensitive=False),
    default=None,
    help="Log lines of this level and above on stderr (default: warning, or VNSEARCH_LOG_LEVEL).",
)
@click.pass_context
def cli(ctx, config_file, log_level):
    """vnsearch: full-text search for Vietnamese local-government news."""
    try:
        settings.start(ctx, config_file)
    except SearchError as e:
        raise CLIError(str(e)) from None
    if log_level:
        ctx.obj = ctx.obj.replace(log_level=log_level.lower())
    logs.configure(ctx.obj.log_level, access_log=ctx.obj.access_log)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@index_option
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    callback=settings.option("workers"),
    help="Worker processes for parsing and segmentation (default: one per core).",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 100000),
    default=500,
    show_default=True,
    callback=settings.option("batch_size"),
    help="Articles per commit (a crash loses at most one batch).",
)
@wait_option("Seconds to wait for another indexing run to finish, then stop (exit 2).")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Build the index again (after a schema change or damage, or to move it to "
    "another --backend or number of --shards) from every stored article it can read "
    "plus PATHs; the old one stays until the new one is complete.",
)
@click.option(
    "--record-timeout",
    type=click.FloatRange(0),
    default=RECORD_TIMEOUT,
    show_default=True,
    callback=settings.option("record_timeout"),
    metavar="SECONDS",
    help="CPU seconds one input record may take to parse; a slower one is skipped "
    "with its reason (0: no limit).",
)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    callback=settings.option("backend"),
    help="Search engine of a new index: whoosh (embedded, the default) or xapian "
    "(faster; needs the xapian extra). An existing index keeps its own, unless "
    "--rebuild moves it.",
)
@click.option(
    "--shards",
    type=click.IntRange(1, MAX_SHARDS),
    default=None,
    help="With --backend xapian: databases the articles are spread over "
    "(each can be served by xapian-tcpsrv); with --rebuild, the new number "
    "(default: the index's own).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@friendly_errors
def index(
    paths,
    index_dir,
    workers,
    batch_size,
    wait,
    rebuild,
    record_timeout,
    backend,
    shards,
    as_json,
):
    """Index articles from files and folders (default: seeds/) into the index.

    Only new or changed articles are (re)indexed; unreadable inputs are skipped
    with their reason. Exit status 1 when anything was skipped (or, rebuilding,
    could not be read back).
    """
    paths = list(paths) or ([] if rebuild else [default_seeds()])
    if rebuild and not settings.typed("backend") and has_index_files(index_dir):
        # The settings' backend is for new indexes: a rebuild moves one only when asked.
        backend = None
    log.info(
        "%s %s into %s (workers %s, batch size %d, record timeout %g s)",
        "rebuilding from" if rebuild else "indexing",
        ", ".join(map(str, paths)) or "the stored articles",
        index_dir,
        workers or "one per core",
        batch_size,
        record_timeout,
    )
    started = time.monotonic()
    show_bar = sys.stderr.isatty() and not as_json
    # Records, not bytes: the bytes of a .jsonl.gz's records are not the file's.
    total = count_records(paths) if show_bar else 0
    done = 0
    merges = 0

    def merging() -> None:
        nonlocal merges
        merges += 1
        # On a new line: the bar redraws itself below.
        click.echo(("\n" if show_bar else "") + "đang gộp các phân đoạn của chỉ mục…", err=True)

    with (
        click.progressbar(
            length=total,
            label="Đang lập chỉ mục",
            file=sys.stderr,
            show_pos=True,
            show_eta=True,
            item_show_func=lambda rate: rate,
        )
        if show_bar
        else _NoBar() as bar,
        announce_merges(merging),
    ):

        def progress(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n, f"{done / max(time.monotonic() - started, 1e-6):.1f} bản ghi/giây")

        report = index_paths(
            paths,
            index_dir,
            workers=workers,
            batch_size=batch_size,
            progress=progress,
            lock_timeout=wait,
            rebuild=rebuild,
            record_timeout=record_timeout or None,
            backend=backend,
            shards=shards,
        )
    elapsed = time.monotonic() - started
    summary = report.to_dict()
    summary.update(
        records=done,
        elapsed_s=round(elapsed, 3),
        articles_per_s=round(report.indexed / elapsed, 2) if elapsed else 0.0,
        segment_merges=merges,
    )
    try:
        write_atomic(
            Path(index_dir) / REPORT_FILE,
            json.dumps(summary, ensure_ascii=False, indent=2).encode("utf-8"),
        )
    except OSError as e:  # the index is committed; only the report could not be kept
        click.echo(
            f"cảnh báo: không ghi được {Path(index_dir) / REPORT_FILE}: {e.strerror}", err=True
        )
    log.info(
        "index run on %s: indexed %d, merged %d, unchanged %d, skipped %d, %d records "
        "in %.1f s, %d segment merges",
        index_dir,
        report.indexed,
        report.merged,
        report.unchanged,
        len(report.skipped),
        done,
        elapsed,
        merges,
    )
    for s in report.skipped:
        log.info("skipped %s: %s", s.source, s.reason)
    if as_json:
        _dump(summary)
    else:
        if report.note:
            click.echo(report.note, err=True)
        click.echo(
            f"đã lập chỉ mục {report.indexed}, gộp {report.merged}, "
            f"không đổi {report.unchanged}, bỏ qua {len(report.skipped)} "
            f"trong {elapsed:.1f} giây ({summary['articles_per_s']:g} bài/giây, "
            f"{merges} lần gộp phân đoạn)  ({index_dir})"
        )
        if report.compacted:
            c = report.compacted
            click.echo(
                f"đã nén chỉ mục sau lần nạp lớn: {c['bytes_before'] / 1e6:.2f} MB → "
                f"{c['bytes_after'] / 1e6:.2f} MB trong {c['seconds']:.1f} giây"
            )
        for s in report.skipped:
            click.echo(f"  bỏ qua {printable(s.source)}: {s.reason}", err=True)
    if report.skipped or report.lost:
        sys.exit(1)


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (an id or a file name may hold
    a newline or a terminal escape)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n, current_item=None):
        pass


@cli.command("search")
@click.argument("query", required=False, default="")
@index_option
@click.option("--province", multiple=True, help="Province as published (repeatable).")
@click.option(
    "--province-2025",
    "province_2025",
    multiple=True,
    help="Province after the 2025 merger (repeatable).",
)
@click.option("--topic", multiple=True, help="Topic (repeatable).")
@click.option("--outlet", multiple=True, help="Outlet, as the outlet facet lists it (repeatable).")
@click.option(
    "--district",
    multiple=True,
    help="District as published, as the district facet lists it (repeatable).",
)
@click.option("--year", multiple=True, type=int, help="Year of publication (repeatable).")
@click.option(
    "--from",
    "date_from",
    help="Published on or after: dd/mm/yyyy, yyyy-mm-dd, yyyy-mm or yyyy "
    "(a month or year from its first day).",
)
@click.option(
    "--to", "date_to", help="Published on or before, same forms (a month or year to its last day)."
)
@click.option(
    "--accents",
    type=click.Choice(ACCENTS),
    default="auto",
    show_default=True,
    help="auto: syllables typed with accents match exactly (folded results when that "
    "finds almost nothing); exact: never fall back; any: ignore accents.",
)
@click.option(
    "--no-expand",
    "no_expand",
    is_flag=True,
    help="Do not also search abbreviations for their expansions and back (UBND = Ủy ban nhân dân).",
)
@click.option(
    "--no-correct",
    "no_correct",
    is_flag=True,
    help="Search the query exactly as typed, even when a corrected reading (typos, "
    "Telex) would find many more articles.",
)
@click.option(
    "--no-collapse",
    "no_collapse",
    is_flag=True,
    help="List every copy of a story from several outlets separately.",
)
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_PER_PAGE),
    default=10,
    show_default=True,
    help="Results per page.",
)
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result object as JSON.")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Print every result (up to --limit-all) as CSV, UTF-8 with a BOM, in the "
    "page's order: the same as the site's /search.csv.",
)
@click.option(
    "--limit-all",
    type=click.IntRange(1, EXPORT_LIMIT),
    default=EXPORT_LIMIT,
    show_default=True,
    help="With --csv: most results printed.",
)
@shard_options
@friendly_errors
def search_cmd(
    query,
    index_dir,
    province,
    province_2025,
    topic,
    outlet,
    district,
    year,
    date_from,
    date_to,
    accents,
    no_expand,
    no_correct,
    no_collapse,
    sort,
    limit,
    page,
    as_json,
    as_csv,
    limit_all,
    shard_urls,
    allow_partial,
):
    """Search the index (diacritics optional, "phrases", -word, OR)."""
    check_shard_urls(index_dir, shard_urls)
    filters = {
        "province": list(province),
        "province_2025": list(province_2025),
        "topic": list(topic),
        "year": list(year),
        "outlet": list(outlet),
        "district": list(district),
        "date_from": _date_option(date_from, "--from", end=False),
        "date_to": _date_option(date_to, "--to", end=True),
    }
    if as_csv:
        # Bytes, so that the file is UTF-8 whatever the terminal's locale.
        out = sys.stdout.buffer
        with open_engine(index_dir, shard_urls, allow_partial) as engine:
            rows = engine.export(
                query,
                limit=limit_all,
                sort=sort,
                accents=accents,
                expand=not no_expand,
                correct=not no_correct,
                **filters,
            )
            for line in csv_lines(rows):
                out.write(line.encode("utf-8"))
            out.flush()
            if engine.partial:
                click.echo(
                    "Kết quả chưa đầy đủ: không tìm được trên shard " + ", ".join(engine.partial),
                    err=True,
                )
        return
    with open_engine(index_dir, shard_urls, allow_partial) as engine:
        result = engine.search(
            query,
            accents=accents,
            expand=not no_expand,
            correct=not no_correct,
            collapse=False if no_collapse else None,
            sort=sort,
            page=page,
            per_page=limit,
            **filters,
        )
    if as_json:
        _dump(result.to_dict())
        return
    if result.partial:
        click.echo(
            "Kết quả chưa đầy đủ: không tìm được trên shard " + ", ".join(result.partial) + "."
        )
    if result.corrected and result.typed_total:
        click.echo(
            f"Chỉ có {result.typed_total} kết quả cho «{result.query}». "
            f"Đang hiển thị kết quả cho «{result.corrected}» "
            "(--no-correct: tìm đúng như đã gõ)."
        )
    elif result.corrected:
        click.echo(
            f"Không có kết quả cho «{result.query}». "
            f"Đang hiển thị kết quả cho «{result.corrected}»."
        )
    if result.missing:
        click.echo(f"Không có bài nào chứa đủ các từ. Không có: {', '.join(result.missing)}.")
    if result.fallback:
        found = (
            f"Chỉ có {result.exact_total} kết quả đúng dấu"
            if result.exact_total
            else "Không có kết quả đúng dấu"
        )
        click.echo(
            f"{found} cho «{result.query}»; đang hiển thị kết quả không phân biệt dấu "
            "(--accents exact: chỉ kết quả đúng dấu)."
        )
    if result.suggestion:
        click.echo(f"Có phải bạn muốn tìm: {result.suggestion}")
    for e in result.expanded:
        click.echo(f"Tìm cả: {', '.join(e['also'])} (--no-expand: chỉ tìm «{e['typed']}»)")
    click.echo(f"{result.total} kết quả")
    for i, hit in enumerate(result.hits, start=(page - 1) * limit + 1):
        day = hit.date or "không rõ ngày"
        meta = " · ".join(x for x in (day, hit.province, ", ".join(hit.topics)) if x)
        click.echo(f"\n{i}. {click.style(hit.title, bold=True)}  [{printable(hit.id)}]")
        if meta:
            click.echo(f"   {meta}")
        click.echo(f"   {_terminal(hit.snippet)}")
        if hit.similar:
            click.echo(
                f"   + {len(hit.similar)} bài tương tự: "
                + "; ".join(f"{o['title']} [{o['id']}]" for o in hit.similar)
            )


def _date_option(value: str | None, option: str, end: bool):
    """A --from/--to value as a day (the forms of search.dates), or a Vietnamese error."""
    try:
        return parse_bound(value, option, end=end)
    except BadQuery as e:
        raise CLIError(str(e)) from None


def _terminal(snippet_html: str) -> str:
    text = re.sub(
        r"<mark[^>]*>(.*?)</mark>",
        lambda m: click.style(m.group(1), bold=True, underline=True),
        snippet_html,
    )
    return " ".join(html.unescape(text).split())


# The fields `vnsearch show` prints (JSON's keys) and their names, as the site's article page says.
SHOWN_FIELDS = {
    "id": "mã",
    "date": "ngày đăng",
    "author": "tác giả",
    "outlet": "báo, trang tin",
    "url": "địa chỉ",
    "province": "tỉnh, thành (khi đăng)",
    "province_2025": "tỉnh, thành hiện nay",
    "district": "quận, huyện (khi đăng)",
    "commune": "xã, phường",
    "topics": "chủ đề",
    "source_path": "tệp nguồn",
}


@cli.command()
@click.argument("article_id")
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print every field as JSON.")
@friendly_errors
def show(article_id, index_dir, as_json):
    """Show one stored article with every field."""
    with Engine(index_dir) as engine:
        article = engine.article(article_id)
    d = article.to_dict()
    if as_json:
        _dump(d)
        return
    click.echo(click.style(article.title, bold=True))
    for key, label in SHOWN_FIELDS.items():
        value = d.get(key) or ("không rõ ngày" if key == "date" else None)  # as the site says
        if value:
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            click.echo(f"{label}: {printable(shown)}")
    if article.policy_refs:
        click.echo("văn bản được nhắc đến: " + "; ".join(r.ref for r in article.policy_refs))
    for c in article.captions:
        click.echo(f"chú thích ảnh: {c}")
    click.echo("")
    if article.lead:
        click.echo(article.lead + "\n")
    click.echo(article.body)


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@friendly_errors
def stats(index_dir, as_json):
    """Number of articles, fields, size on disk and schema version of the index."""
    s = index_stats(index_dir)
    if as_json:
        _dump(s)
        return
    click.echo(f"chỉ mục:            {s['path']}")
    click.echo(f"số bài:             {s['articles']}")
    click.echo(f"phiên bản lược đồ:  {s['schema_version']}")
    parts = "shard" if s["backend"] == "xapian" else "phân đoạn"
    click.echo(f"bộ máy tìm kiếm:    {s['backend']}")
    click.echo(f"dung lượng:         {s['size_bytes'] / 1e6:.2f} MB, {s['segments']} {parts}")
    click.echo(f"các trường:         {', '.join(s['fields'])}")


@cli.command()
@index_option
@click.option(
    "--repair",
    is_flag=True,
    help="Rebuild a vocabulary that does not match the index; remove leftover files.",
)
@wait_option("With --repair: seconds to wait for a running `vnsearch index`.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@friendly_errors
def check(index_dir, repair, wait, as_json):
    """Verify the index: metadata, table of contents, segments, stored articles, vocabulary.

    Exit status 0 when healthy, 1 when something is damaged (each finding says
    what to do), 2 when there is no index.
    """
    report = check_index(index_dir, repair=repair, lock_timeout=wait)
    if as_json:
        _dump(report.to_dict())
    else:
        for line in report.repaired:
            click.echo(f"đã sửa: {line}")
        for f in report.findings:
            label = "hỏng" if f.damage else "lưu ý"
            click.echo(f"{label}: {f.part}: {f.problem}; {f.fix}")
        state = "chỉ mục tốt" if report.healthy else "CHỈ MỤC HỎNG"
        parts = "shard" if report.backend == "xapian" else "phân đoạn"
        click.echo(
            f"{state}: đã kiểm tra {report.articles} bài, {report.segments} {parts}, "
            f"{report.terms} từ, {report.postings} liên kết từ–bài  ({index_dir})"
        )
    if not report.healthy:
        sys.exit(1)


@cli.command()
@click.argument("ids", nargs=-1, required=True)
@index_option
@wait_option()
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@friendly_errors
def delete(ids, index_dir, wait, as_json):
    """Remove articles from the index by id (indexing their source again brings them back).

    Exit status 0 when every id was removed, 1 when some were not (each is said).
    """
    done = remove_articles(index_dir, ids, lock_timeout=wait)
    if as_json:
        _dump(done.to_dict())
    else:
        if done.deleted:
            click.echo(f"đã xóa {len(done.deleted)} bài: {', '.join(done.deleted)}")
        for article_id in done.missing:
            click.echo(f"không có bài viết nào với mã {article_id!r}", err=True)
        for article_id, owner in done.merged.items():
            click.echo(
                f"{article_id!r} là bản đăng lại đã gộp vào bài {owner!r}, không xóa riêng "
                f"được: xóa {owner!r} nếu muốn bỏ cả bài",
                err=True,
            )
    if done.missing or done.merged:
        sys.exit(1)


@cli.command()
@index_option
@wait_option()
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@friendly_errors
def compact(index_dir, wait, as_json):
    """Make the index smaller on disk: the same articles and answers (Xapian shards
    rewritten, Whoosh segments merged). Searching goes on meanwhile."""
    done = compact_index(index_dir, lock_timeout=wait)
    if as_json:
        _dump(done.to_dict())
        return
    parts = "shard" if done.backend == "xapian" else "phân đoạn"
    saved = 1 - done.bytes_after / done.bytes_before if done.bytes_before else 0.0
    click.echo(
        f"đã nén chỉ mục {done.path}: {done.bytes_before / 1e6:.2f} MB → "
        f"{done.bytes_after / 1e6:.2f} MB (nhỏ hơn {saved:.0%}), {done.parts} {parts}, "
        f"{done.seconds:g} giây"
    )


@cli.command()
@index_option
@click.option(
    "--shards",
    type=click.IntRange(1),
    required=True,
    help="Number of shards of the copy (each can be served by xapian-tcpsrv).",
)
@click.option(
    "--to",
    "target",
    type=click.Path(path_type=Path),
    required=True,
    help="A new (or empty) folder for the copy.",
)
@wait_option()
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@friendly_errors
def reshard(index_dir, shards, target, wait, as_json):
    """Copy a Xapian index into N shards in a new folder, without analysing any article
    again (from one machine to several). The index itself is only read."""
    done = reshard_index(index_dir, target, shards, lock_timeout=wait)
    if as_json:
        _dump(done.to_dict())
        return
    click.echo(
        f"đã chia {done.articles} bài của {done.source} thành {done.shards} shard ở "
        f"{done.target} trong {done.seconds:g} giây"
    )


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@friendly_errors
def extract(paths, as_json):
    """Parse articles and print the records without indexing (for debugging)."""
    skipped = 0
    for item in extract_paths(paths):
        if isinstance(item, Skipped):
            skipped += 1
            click.echo(f"bỏ qua {printable(item.source)}: {item.reason}", err=True)
        elif as_json:
            click.echo(json.dumps(item.to_dict(), ensure_ascii=False))
        else:
            click.echo(
                f"{printable(item.id)}\t{item.date or ''}\t{item.province or ''}\t{item.title}"
            )
    if skipped:
        sys.exit(1)


# Commands that live outside the core library (`vnsearch serve` from web/)
# register themselves through this entry-point group, so search/ never imports web/.
for _ep in entry_points(group="vnsearch.commands"):
    try:
        cli.add_command(_ep.load(), _ep.name)
    except ImportError as _e:  # a broken plugin must not take the core CLI down
        print(f"vnsearch: không nạp được lệnh {_ep.name!r}: {_e}", file=sys.stderr)

from .crawl.cli import crawl as _crawl  # noqa: E402 (the crawl package builds on the commands above)

cli.add_command(_crawl)
