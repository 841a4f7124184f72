"""`vnsearch crawl`: fetch provincial papers and commune portals politely into the index."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import click

from .. import settings
from ..clickfmt import Command, explain
from ..dates import parse_bound
from ..errors import SearchError
from ..paths import default_index
from .fetch import DEFAULT_DELAY, DEFAULT_TIMEOUT, MAX_PAGE_BYTES
from .run import DEFAULT_BATCH, CrawlReport, HostCounts
from .run import crawl as run_crawl
from .sources import DATA, SourcesError, load_sources
from .state import State, state_path

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Page statuses of the crawl state as `--status` names them.
_STATUS_WORDS = {
    "new": "mới",
    "indexed": "đã lập chỉ mục",
    "skipped": "bỏ qua",
    "gone": "không còn",
    "error": "lỗi",
    "disallowed": "robots.txt chặn",
}


class _Failed(click.ClickException):
    """A crawl that could not run: one line, exit status 2."""

    exit_code = 2


def parse_duration(text: str) -> float:
    """Seconds of a duration such as ``1h``, ``30m``, ``1h30m``, ``90s``, ``2d`` or ``45``."""
    text = text.strip().lower()
    if len(text) > 40:
        raise ValueError("thời lượng chỉ gồm vài ký tự (ví dụ: 1h, 30m, 1h30m, 90s)")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        seconds = float(text)
    else:
        parts = _DURATION.findall(text)
        if not parts or _DURATION.sub("", text).strip():
            raise ValueError(f"{text!r} không phải là thời lượng (ví dụ: 1h, 30m, 1h30m, 90s)")
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError("chu kỳ phải dài hơn 0 giây")
    return seconds


def _since(ctx, param, value):
    """--since: a day in the forms of --from (dd/mm/yyyy, yyyy-mm-dd, yyyy-mm, yyyy)."""
    try:
        return parse_bound(value, "--since", end=False)
    except SearchError as e:  # BadQuery: a Vietnamese message naming the option
        raise _Failed(str(e)) from None


def _duration(ctx, param, value):
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


class _Progress:
    """One line per host on a terminal, rewritten in place while that host is crawled."""

    def __init__(self):
        self.host = None

    def __call__(self, host: str, c: HostCounts) -> None:
        if self.host not in (None, host):
            click.echo("", err=True)
        self.host = host
        line = (
            f"{host}: đã tải {c.fetched}, mới {c.new}, đã đổi {c.changed}, "
            f"không đổi {c.unchanged}, robots.txt chặn {c.robots}, lỗi {c.errors}, "
            f"còn chờ {c.queued}"
        )
        click.echo(f"\r{line:<100}", nl=False, err=True)

    def end(self) -> None:
        if self.host is not None:
            click.echo("", err=True)
            self.host = None


def _summary(report: CrawlReport, index_dir, prefix: str = "") -> None:
    click.echo(
        f"{prefix}đã thu thập {len(report.hosts)} trang web: đã tải {report.fetched}, "
        f"mới {report.new}, đã đổi {report.changed}, không đổi {report.unchanged}, "
        f"gộp {report.merged}, robots.txt chặn {len(report.robots)}, "
        f"bỏ qua {len(report.skipped)}, lỗi {len(report.errors)}  "
        f"({report.requests} yêu cầu, {report.seconds:.1f} giây; {index_dir})"
    )
    for url in report.robots:
        click.echo(f"  robots.txt không cho phép {url}", err=True)
    for url, reason in report.skipped:
        click.echo(f"  bỏ qua {url}: {reason}", err=True)
    for url, reason in report.errors:
        click.echo(f"  lỗi {url}: {reason}", err=True)


def _when(ts: float | None) -> str:
    if ts is None:
        return "chưa bao giờ"
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _status(index_dir: Path, as_json: bool) -> None:
    if not state_path(index_dir).is_file():
        raise _Failed(
            f"chưa có trạng thái thu thập trong {index_dir}: hãy chạy "
            f"`vnsearch crawl START --index {index_dir}` trước"
        )
    with State(index_dir) as state:
        hosts = state.status()
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "host": h.host,
                        "outlet": h.outlet,
                        "last_crawl_at": _when(h.last_crawl_at),
                        "pages": h.counts,
                        "last_error": h.last_error,
                    }
                    for h in hosts
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for h in hosts:
        counts = (
            ", ".join(f"{_STATUS_WORDS.get(k, k)} {v}" for k, v in sorted(h.counts.items()))
            or "chưa có trang nào"
        )
        click.echo(
            f"{h.host}  ({h.outlet or 'không rõ tờ báo'})  thu thập lần cuối "
            f"{_when(h.last_crawl_at)}: {counts}"
        )
        if h.last_error:
            click.echo(f"  lỗi gần nhất: {h.last_error}")


@click.command(cls=Command)
@click.argument("starts", nargs=-1, metavar="START...")
@click.option(
    "--index",
    "index_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=default_index,
    show_default="index/",
    callback=settings.option("index"),
    help="Index folder.",
)
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=settings.option("crawl_sources"),
    help="Sources file (TOML): outlets with home page, province, feeds, sitemaps. "
    "Without START, every outlet in it is crawled.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=DEFAULT_DELAY,
    callback=settings.option("crawl_delay"),
    show_default=True,
    metavar="SECONDS",
    help="Least time between two requests to one host (a larger Crawl-delay wins).",
)
@click.option(
    "--max-pages",
    type=click.IntRange(1),
    default=None,
    callback=settings.option("crawl_max_pages"),
    help="Stop asking for pages after this many per round (the rest waits).",
)
@click.option(
    "--since",
    default=None,
    callback=_since,
    metavar="DATE",
    help="Only articles published on or after DATE (dd/mm/yyyy, yyyy-mm-dd, yyyy-mm "
    "or yyyy: a month or year from its first day).",
)
@click.option(
    "--user-agent",
    default=None,
    callback=settings.option("crawl_user_agent"),
    metavar="TEXT",
    help="User-Agent sent to every site (default: vnsearch, its version and the "
    "sources file's contact).",
)
@click.option(
    "--every",
    default=None,
    callback=_duration,
    metavar="DURATION",
    help="Keep running: crawl again on this period (1h, 30m, 1h30m).",
)
@click.option(
    "--status", "show_status", is_flag=True, help="Print the crawl state per host and exit."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--rounds", type=click.IntRange(1), default=None, hidden=True)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=DEFAULT_TIMEOUT,
    hidden=True,
    callback=settings.option("crawl_timeout"),
)
@click.option(
    "--max-bytes",
    type=click.IntRange(1024),
    default=MAX_PAGE_BYTES,
    hidden=True,
    callback=settings.option("crawl_max_bytes"),
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 10000),
    default=DEFAULT_BATCH,
    hidden=True,
    callback=settings.option("crawl_batch_size"),
)
def crawl(
    starts,
    index_dir,
    sources_file,
    delay,
    max_pages,
    since,
    user_agent,
    every,
    show_status,
    as_json,
    rounds,
    timeout,
    max_bytes,
    batch_size,
):
    """Crawl news sites into the index, politely and incrementally.

    A START is a home page, an RSS/Atom feed, a sitemap (or sitemap index,
    .xml or .xml.gz) or a sources file (.toml). robots.txt is obeyed, one
    request at a time per host; a second run asks only with conditional
    requests and indexes only what is new or changed.
    """
    if show_status:
        _status(index_dir, as_json)
        return
    if not starts and sources_file is None:
        raise click.UsageError(
            "không có gì để thu thập: hãy cho một trang chủ, nguồn tin (RSS/Atom), sơ đồ "
            "trang (sitemap) hoặc tệp nguồn (START), hoặc --sources TỆP"
        )
    try:
        sources = load_sources(sources_file or DATA)
    except SourcesError as e:
        raise _Failed(f"tệp nguồn không dùng được: {e}") from None
    if user_agent is None and not sources.contact:
        click.echo(
            "cảnh báo: User-Agent không có địa chỉ liên hệ: hãy đặt [crawler] contact "
            "trong tệp nguồn, hoặc dùng --user-agent",
            err=True,
        )
    progress = _Progress() if sys.stderr.isatty() and not as_json else None
    failed = False

    def on_round(n: int, report: CrawlReport) -> None:
        nonlocal failed
        if progress:
            progress.end()
        failed = bool(report.errors)
        if as_json:
            click.echo(json.dumps({"round": n, **report.to_dict()}, ensure_ascii=False))
        else:
            _summary(report, index_dir, f"lượt {n}: " if every else "")

    try:
        run_crawl(
            list(starts),
            index_dir,
            sources=sources,
            delay=delay,
            max_pages=max_pages,
            since=since,
            agent=user_agent,
            timeout=timeout,
            max_bytes=max_bytes,
            batch_size=batch_size,
            every=every,
            rounds=rounds,
            progress=progress,
            on_round=on_round,
        )
    except (SourcesError, ValueError) as e:
        raise _Failed(f"không thu thập được: {e}") from None
    except SearchError as e:
        raise _Failed(explain(e, {"index_dir": index_dir})) from None
    except KeyboardInterrupt:
        if progress:
            progress.end()
        click.echo("đã dừng: những gì đã lưu vẫn còn; lần chạy sau sẽ tiếp tục", err=True)
        sys.exit(130)
    if failed:
        sys.exit(1)
