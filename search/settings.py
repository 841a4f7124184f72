"""One settings object for every command and the site: defaults, instance file, environment, CLI.

Each tunable has a built-in default, may be set in an instance file (TOML:
``vnsearch.toml`` in the current folder, or the file named by ``--config`` or
``VNSEARCH_CONFIG``), then by a ``VNSEARCH_*`` environment variable, and last by
the command-line option of the command that uses it: an option given on the
command line always wins. A bad value anywhere stops with one Vietnamese line
that says where it came from (:class:`search.errors.BadSetting`).

The file's layout mirrors the commands::

    index = "/srv/vnsearch/index"   # every command
    log_level = "info"

    [serve]                          # vnsearch serve (and the app: web.create_app)
    port = 8080
    base_url = "https://example.org/tim-kiem"

    [indexing]                       # vnsearch index
    batch_size = 1000

    [crawl]                          # vnsearch crawl
    delay = 10

    [flask]                          # passed to Flask's app.config as written
    SERVER_NAME = "example.org"

Relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .backends.base import HOT_BUDGET
from .budget import RECORD_TIMEOUT
from .crawl.fetch import DEFAULT_DELAY, DEFAULT_TIMEOUT, MAX_PAGE_BYTES
from .crawl.run import DEFAULT_BATCH as CRAWL_BATCH
from .errors import BadSetting
from .index import LOCK_TIMEOUT
from .logs import LEVELS
from .paths import default_index

log = logging.getLogger(__name__)

CONFIG_FILE = "vnsearch.toml"
CONFIG_ENV = "VNSEARCH_CONFIG"
ENV_PREFIX = "VNSEARCH_"
MAX_FILE_BYTES = 1 << 20
LOG_LEVELS = tuple(LEVELS)
# Setting names the site's own keys take in the [flask] table instead.
_APP_KEYS = {"INDEX_DIR", "BASE_URL", "PER_PAGE", "FEED_SIZE", "ACCESS_LOG", "POSTINGS_CACHE_MB"}


@dataclass(frozen=True)
class Settings:
    """Every tunable of vnsearch; None means "the command decides" (e.g. one per CPU)."""

    index: Path = field(default_factory=default_index)
    log_level: str = "warning"
    # vnsearch serve and the site
    host: str = "127.0.0.1"
    port: int = 8000
    threads: int | None = None
    processes: int | None = None
    connection_limit: int = 1000
    client_timeout: int = 15
    base_url: str | None = None
    access_log: bool = True
    access_log_file: Path | None = None
    worker_timeout: int = 30
    reuse_port: bool = False
    per_page: int = 10
    feed_size: int = 20
    # Common terms' decoded postings kept per process (Whoosh backend), in MB.
    postings_cache_mb: int = HOT_BUDGET >> 20
    # Xapian shards served by xapian-tcpsrv (search and serve), in shard order.
    shard_urls: tuple[str, ...] = ()
    allow_partial: bool = False
    flask: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    # vnsearch index
    backend: str | None = None  # of a new index: whoosh (None) or xapian
    workers: int | None = None
    batch_size: int = 500
    wait: float = LOCK_TIMEOUT
    record_timeout: float = RECORD_TIMEOUT
    # vnsearch crawl
    crawl_sources: Path | None = None
    crawl_delay: float = DEFAULT_DELAY
    crawl_max_pages: int | None = None
    crawl_user_agent: str | None = None
    crawl_timeout: float = DEFAULT_TIMEOUT
    crawl_max_bytes: int = MAX_PAGE_BYTES
    crawl_batch_size: int = CRAWL_BATCH

    def replace(self, **changes) -> Settings:
        """A copy with ``changes`` applied (values already checked)."""
        return dataclasses.replace(self, **changes)


# --- checking values -----------------------------------------------------------
# Each parser takes a value (a TOML value, or the text of an environment
# variable when ``text`` is True) and returns it checked, or raises ValueError
# with the Vietnamese reason.


_INT = re.compile(r"[+-]?[0-9]{1,18}")
_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,18}(?:\.[0-9]{0,18})?|\.[0-9]{1,18})")


def _shown(value) -> str:
    """A value as a message quotes it (short: it may be anything)."""
    text = value if isinstance(value, str) else repr(value)
    return f"«{text[:40]}…»" if len(text) > 40 else f"«{text}»"


def _integer(lo: int, hi: int | None = None, auto: bool = False) -> Callable[[Any, bool], Any]:
    what = f"một số nguyên từ {lo} đến {hi}" if hi is not None else f"một số nguyên ≥ {lo}"
    if auto:
        what += " hoặc «auto»"

    def parse(value, text: bool):
        if auto and isinstance(value, str) and value.strip().lower() in ("auto", ""):
            return None
        if text and isinstance(value, str) and _INT.fullmatch(value.strip()):
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"phải là {what}, không phải {_shown(value)}")
        if value < lo or (hi is not None and value > hi):
            raise ValueError(f"phải là {what}, không phải {value}")
        return value

    return parse


def _number(lo: float, hi: float | None = None) -> Callable[[Any, bool], Any]:
    what = f"một số từ {lo:g} đến {hi:g}" if hi is not None else f"một số ≥ {lo:g}"

    def parse(value, text: bool):
        if text and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            value = float(value.strip())
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"phải là {what} (giây), không phải {_shown(value)}")
        try:
            number = float(value)
        except OverflowError:  # an integer past float's range
            number = math.inf
        if not math.isfinite(number) or number < lo or (hi is not None and number > hi):
            raise ValueError(f"phải là {what} (giây), không phải {_shown(value)}")
        return number

    return parse


def _text(max_len: int = 500, optional: bool = False) -> Callable[[Any, bool], Any]:
    def parse(value, text: bool):
        if not isinstance(value, str):
            raise TypeError("phải là một chuỗi ký tự")
        value = value.strip()
        if optional and not value:
            return None
        if not value or len(value) > max_len or any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError(f"phải là một dòng chữ, không rỗng, tối đa {max_len} ký tự")
        return value

    return parse


def _path(optional: bool = False) -> Callable[[Any, bool], Any]:
    check = _text(4096, optional)

    def parse(value, text: bool):
        value = check(value, text)
        return None if value is None else Path(value).expanduser()

    return parse


def _flag(value, text: bool):
    if text and isinstance(value, str):
        value = {"1": True, "true": True, "yes": True, "on": True}.get(
            value.strip().lower(),
            {"0": False, "false": False, "no": False, "off": False}.get(value.strip().lower()),
        )
    if not isinstance(value, bool):
        raise TypeError("phải là true hoặc false (1/0, yes/no, on/off)")
    return value


def _level(value, text: bool):
    if isinstance(value, str) and value.strip().lower() in LOG_LEVELS:
        return value.strip().lower()
    raise ValueError(f"phải là một trong {', '.join(LOG_LEVELS)}")


def parse_base_url(value: str) -> str:
    """``value`` as a base URL ``http(s)://host[:port][/prefix]`` without the final slash.

    Raises ValueError, with an example, for anything else (a query, a fragment,
    credentials, spaces, another scheme).
    """
    example = "e.g. https://example.org or https://example.org/tim-kiem"
    text = str(value).strip()
    if not text or any(c.isspace() or ord(c) < 32 or c in '"<>\\' for c in text):
        raise ValueError(f"not a base URL: {value!r} ({example})")
    parts = urlsplit(text)
    try:
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise ValueError(f"bad port in base URL {value!r} ({example})") from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or text.endswith(("?", "#"))
    ):
        raise ValueError(f"not an http(s) base URL: {value!r} ({example})")
    return urlunsplit((parts.scheme.lower(), parts.netloc, parts.path.rstrip("/"), "", ""))


def _base_url(value, text: bool):
    if not isinstance(value, str):
        raise TypeError("phải là một địa chỉ http(s)")
    if not value.strip():
        return None
    try:
        return parse_base_url(value)
    except ValueError:
        raise ValueError(
            "phải là một địa chỉ http(s) tuyệt đối, không có «?» hay «#» "
            "(ví dụ https://example.org/tim-kiem)"
        ) from None


def _flask(value, text: bool):
    if text or not isinstance(value, dict):
        raise TypeError("phải là một bảng TOML [flask]")
    for key in value:
        if not (key.isidentifier() and key.isupper()):
            raise ValueError(
                f"khóa «{key}» không phải tên cấu hình Flask (chữ in hoa, như SERVER_NAME)"
            )
        if key in _APP_KEYS:
            raise ValueError(
                f"«{key}» được đặt bằng thiết lập riêng của vnsearch, không qua [flask]"
            )
    return MappingProxyType(dict(value))


_SHARD_URL = re.compile(r"tcp://[A-Za-z0-9.:\[\]-]{1,255}:[0-9]{1,5}")


def _shard_urls(value, text: bool):
    items = value.split(",") if text else value
    if isinstance(items, str) or not isinstance(items, list | tuple):
        raise TypeError("phải là một danh sách địa chỉ tcp://máy:cổng")
    out = []
    for item in items:
        if not isinstance(item, str) or not _SHARD_URL.fullmatch(item.strip()):
            raise ValueError(f"«{item}» không phải địa chỉ tcp://máy:cổng")
        out.append(item.strip())
    return tuple(out)


def _backend(value, text: bool):
    if not isinstance(value, str) or value.strip().lower() not in ("whoosh", "xapian"):
        raise ValueError("phải là whoosh hoặc xapian")
    return value.strip().lower()


@dataclass(frozen=True)
class _Spec:
    name: str  # field of Settings; VNSEARCH_<NAME> in the environment
    section: str | None  # TOML table (None: top level)
    key: str  # key in that table
    parse: Callable[[Any, bool], Any]
    env: bool = True


SPECS = (
    _Spec("index", None, "index", _path()),
    _Spec("log_level", None, "log_level", _level),
    _Spec("host", "serve", "host", _text(255)),
    _Spec("port", "serve", "port", _integer(0, 65535)),
    _Spec("threads", "serve", "threads", _integer(1, 1024, auto=True)),
    _Spec("processes", "serve", "processes", _integer(1, 256, auto=True)),
    _Spec("connection_limit", "serve", "connection_limit", _integer(10, 100_000)),
    _Spec("client_timeout", "serve", "client_timeout", _integer(1, 3600)),
    _Spec("base_url", "serve", "base_url", _base_url),
    _Spec("access_log", "serve", "access_log", _flag),
    _Spec("access_log_file", "serve", "access_log_file", _path(optional=True)),
    _Spec("worker_timeout", "serve", "worker_timeout", _integer(0, 3600)),
    _Spec("reuse_port", "serve", "reuse_port", _flag),
    _Spec("per_page", "serve", "per_page", _integer(1, 100)),
    _Spec("feed_size", "serve", "feed_size", _integer(1, 100)),
    _Spec("postings_cache_mb", "serve", "postings_cache_mb", _integer(0, 1 << 20)),
    _Spec("shard_urls", "serve", "shard_urls", _shard_urls),
    _Spec("allow_partial", "serve", "allow_partial", _flag),
    _Spec("flask", "flask", "", _flask, env=False),
    _Spec("backend", "indexing", "backend", _backend),
    _Spec("workers", "indexing", "workers", _integer(1, 64, auto=True)),
    _Spec("batch_size", "indexing", "batch_size", _integer(1, 100_000)),
    _Spec("wait", "indexing", "wait", _number(0)),
    _Spec("record_timeout", "indexing", "record_timeout", _number(0)),
    _Spec("crawl_sources", "crawl", "sources", _path(optional=True)),
    _Spec("crawl_delay", "crawl", "delay", _number(0)),
    _Spec("crawl_max_pages", "crawl", "max_pages", _integer(1, auto=True)),
    _Spec("crawl_user_agent", "crawl", "user_agent", _text(500, optional=True)),
    _Spec("crawl_timeout", "crawl", "timeout", _number(0.1)),
    _Spec("crawl_max_bytes", "crawl", "max_bytes", _integer(1024)),
    _Spec("crawl_batch_size", "crawl", "batch_size", _integer(1, 10_000)),
)
_BY_NAME = {s.name: s for s in SPECS}


def env_name(name: str) -> str:
    """The environment variable of setting ``name`` (``VNSEARCH_PORT``)."""
    return ENV_PREFIX + name.upper()


def file_key(name: str) -> str:
    """Where setting ``name`` goes in the instance file (``[serve] port``)."""
    spec = _BY_NAME[name]
    if spec.section is None:
        return spec.key
    return f"[{spec.section}]" + (f" {spec.key}" if spec.key else "")


# --- loading -------------------------------------------------------------------


def config_file(explicit=None, environ: Mapping[str, str] | None = None) -> Path | None:
    """The instance file in use: ``explicit``, else ``$VNSEARCH_CONFIG``, else ./vnsearch.toml."""
    environ = os.environ if environ is None else environ
    named = explicit or environ.get(CONFIG_ENV) or None
    if named:
        return Path(named).expanduser()
    here = Path(CONFIG_FILE)
    return here if here.is_file() else None


def read_file(path: Path) -> dict[str, Any]:
    """The settings an instance file sets, checked (raises BadSetting)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise BadSetting(f"{path}: không đọc được tệp cấu hình ({e.strerror or e})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise BadSetting(f"{path}: tệp cấu hình lớn hơn {MAX_FILE_BYTES // 1024} KB")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadSetting(f"{path}: tệp cấu hình phải là văn bản UTF-8") from None
    except tomllib.TOMLDecodeError as e:
        raise BadSetting(f"{path}: không phải TOML hợp lệ ({e})") from None
    values: dict[str, Any] = {}
    known = {(s.section, s.key): s for s in SPECS}
    tables = {s.section for s in SPECS if s.section and s.key}
    for key, value in data.items():
        if key in tables:
            if not isinstance(value, dict):
                raise BadSetting(f"{path}: «{key}» phải là một bảng [{key}]")
            items = [(known.get((key, k)), f"[{key}] {k}", v) for k, v in value.items()]
        elif key == "flask":
            items = [(known[("flask", "")], "[flask]", value)]
        else:
            items = [(known.get((None, key)), key, value)]
        for spec, label, v in items:
            if spec is None:
                raise BadSetting(
                    f"{path}: không có thiết lập «{label}» (xem README, mục Configuration)"
                )
            try:
                parsed = spec.parse(v, False)
            except (TypeError, ValueError) as e:
                raise BadSetting(f"{path}: {label} {e}") from None
            if isinstance(parsed, Path) and not parsed.is_absolute():
                parsed = path.parent / parsed  # relative to the file, not the current folder
            values[spec.name] = parsed
    return values


def read_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings ``VNSEARCH_*`` environment variables set, checked (raises BadSetting)."""
    environ = os.environ if environ is None else environ
    values = {}
    for spec in SPECS:
        name = env_name(spec.name)
        if spec.env and name in environ:
            try:
                values[spec.name] = spec.parse(environ[name], True)
            except (TypeError, ValueError) as e:
                raise BadSetting(f"{name}: {e}") from None
    return values


def load(config=None, environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then the instance file, then the environment (raises BadSetting)."""
    path = config_file(config, environ)
    values = read_file(path) if path is not None else {}
    values.update(read_env(environ))
    if path is not None:
        log.debug("settings from %s and the environment", path)
    return Settings(**values)


# --- the command line ------------------------------------------------------------

_GIVEN = "vnsearch.settings.given"  # setting -> the value its option took
_TYPED = "vnsearch.settings.typed"  # settings whose option was given on the command line
_FILE = "vnsearch.settings.file"  # the --config of the run


def start(ctx, config=None) -> Settings:
    """Load the run's settings (``config``: the group's ``--config``) and keep them on ``ctx``."""
    ctx.meta[_FILE] = config
    ctx.obj = load(config)
    return ctx.obj


def current(ctx=None) -> Settings:
    """The settings of this run: those the ``vnsearch`` group loaded, else loaded now."""
    if ctx is None:
        import click

        ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Settings) if ctx is not None else None
    if found is None:
        found = load()
        if ctx is not None:
            ctx.find_root().obj = ctx.find_root().obj or found
    return found


def typed(name: str) -> bool:
    """True when setting ``name``'s option was given on this command line, not by the settings."""
    import click

    ctx = click.get_current_context(silent=True)
    return ctx is not None and name in ctx.meta.get(_TYPED, set())


def option(name: str, then: Callable | None = None) -> Callable:
    """A click callback: the option's value when given on the command line, else setting ``name``.

    A setting that is None (not set, "auto") leaves the option's own default.
    ``then`` is the option's own callback, applied to the value chosen.
    """
    if name not in _BY_NAME:
        raise KeyError(name)

    def callback(ctx, param, value):
        from click.core import ParameterSource

        if ctx.resilient_parsing:
            return value
        typed = ctx.get_parameter_source(param.name) == ParameterSource.COMMANDLINE
        ctx.meta.setdefault(_TYPED, set()).discard(name)
        if typed:
            ctx.meta[_TYPED].add(name)
        else:
            try:
                configured = getattr(current(ctx), name)
            except BadSetting as e:
                from .cli import CLIError  # imported by then: the CLI is running

                raise CLIError(str(e)) from None
            if configured is not None:
                value = configured
        if then is not None:
            value = then(ctx, param, value)
        ctx.meta.setdefault(_GIVEN, {})[name] = value
        return value

    return callback


def again(ctx=None) -> Callable[[], Settings]:
    """A function giving this run's settings with the instance file read again (a reload).

    The options given on the command line still win; a file that has become
    unreadable or wrong is logged and the settings of the start are kept.
    """
    if ctx is None:
        import click

        ctx = click.get_current_context()
    first = for_command(ctx)
    path = ctx.meta.get(_FILE)
    typed = ctx.meta.get(_TYPED, set())
    given = {k: v for k, v in ctx.meta.get(_GIVEN, {}).items() if k in typed}

    def reread() -> Settings:
        try:
            return load(path).replace(**given)
        except BadSetting as e:
            log.error("settings not reloaded, those of the start stay: %s", e)
            return first

    return reread


def for_command(ctx=None) -> Settings:
    """The settings of this run with the values of this command's options applied."""
    if ctx is None:
        import click

        ctx = click.get_current_context()
    return current(ctx).replace(**ctx.meta.get(_GIVEN, {}))
