"""Vietnamese on the command line: click's own messages and the library's errors.

click marks every message it prints with gettext (``_()`` and ``ngettext()`` bound
in its modules at import). :func:`install` puts a translator in their place that
answers from :data:`CATALOGUE` while a vnsearch command runs (:class:`Command`,
:class:`Group` set a context variable in ``main``) and defers to gettext otherwise,
so another click program in the same process is not changed. The catalogue is
keyed by click's exact message templates; ``tests/test_messages.py`` checks it
against the installed click's source, so an upgrade that adds or rewords a
message fails a test instead of printing English.
"""

from __future__ import annotations

import contextvars
import gettext as _gettext
import logging
import sys
from collections.abc import Mapping

import click

from .errors import (
    ArticleNotFound,
    BadQuery,
    IndexDamaged,
    IndexLocked,
    IndexMissing,
    IndexOutdated,
    SearchError,
    WriteFailed,
)

logger = logging.getLogger(__name__)

# click's message templates (8.0 to 8.5) -> Vietnamese. A translation may leave a
# placeholder out: "{name}" of a path error is click's English "file"/"directory",
# named when the option is defined (outside any command), so the sentence does without.
CATALOGUE: dict[str, str] = {
    # Usage errors and their frame.
    "Usage:": "Cách dùng:",
    "Try '{command} {option}' for help.": "Xem '{command} {option}' để biết cách dùng.",
    "Error: {message}": "Lỗi: {message}",
    "Error: {e.message}": "Lỗi: {e.message}",
    "Aborted!": "Đã hủy!",
    "Invalid value for {param_hint}: {message}": "Giá trị không hợp lệ cho {param_hint}: {message}",
    "Invalid value: {message}": "Giá trị không hợp lệ: {message}",
    "Missing argument": "Thiếu đối số",
    "Missing option": "Thiếu tùy chọn",
    "Missing parameter": "Thiếu tham số",
    "Missing {param_type}": "Thiếu {param_type}",
    "Missing parameter: {param_name}": "Thiếu tham số: {param_name}",
    "Missing command.": "Thiếu lệnh.",
    "No such option {name!r}.": "Không có tùy chọn {name!r}.",
    "No such option: {name}": "Không có tùy chọn {name}.",
    "No such command {name!r}.": "Không có lệnh {name!r}.",
    "Option {name!r} does not take a value.": "Tùy chọn {name!r} không nhận giá trị.",
    "Argument {name!r} takes {nargs} values.": "Đối số {name!r} cần {nargs} giá trị.",
    "Invalid start character for option ({option})": (
        "Ký tự đầu của tùy chọn không hợp lệ ({option})"
    ),
    "Value must be an iterable.": "Giá trị phải là một dãy.",
    # Values that parameter types refuse.
    "{value!r} is not a valid {number_type}.": "{value!r} không phải là một số hợp lệ.",
    "{value} is not in the range {range}.": "{value} nằm ngoài khoảng cho phép ({range}).",
    "Choose from:\n\t{choices}": "Chọn một trong:\n\t{choices}",
    "{value!r} is not a valid boolean. Recognized values: {states}": (
        "{value!r} không phải là giá trị có/không hợp lệ. Các giá trị được nhận: {states}"
    ),
    "{value!r} is not a valid boolean.": "{value!r} không phải là giá trị có/không hợp lệ.",
    "{value!r} is not a valid UUID.": "{value!r} không phải là một UUID hợp lệ.",
    "{name} {filename!r} does not exist.": "{filename!r} không tồn tại.",
    "{name} {filename!r} is a file.": "{filename!r} là một tệp, không phải thư mục.",
    "{name} {filename!r} is a directory.": "{filename!r} là một thư mục, không phải tệp.",
    "{name} {filename!r} is not readable.": "Không đọc được {filename!r}.",
    "{name} {filename!r} is not writable.": "Không ghi được vào {filename!r}.",
    "{name} {filename!r} is not executable.": "Không chạy được {filename!r}.",
    "file": "tệp",
    "directory": "thư mục",
    "path": "đường dẫn",
    "Could not open file {filename!r}: {message}": "Không mở được tệp {filename!r}: {message}",
    "unknown error": "lỗi không rõ",
    # Prompts.
    "Error: The two entered values do not match.": "Lỗi: hai giá trị đã nhập không khớp nhau.",
    "Error: invalid input": "Lỗi: dữ liệu nhập không hợp lệ",
    "Error: The value you entered was invalid.": "Lỗi: giá trị đã nhập không hợp lệ.",
    "Repeat for confirmation": "Nhập lại để xác nhận",
    "Press any key to continue...": "Nhấn phím bất kỳ để tiếp tục...",
    "Do you want to continue?": "Bạn có muốn tiếp tục không?",
    "Confirm the action without prompting.": "Xác nhận mà không hỏi lại.",
    # Help pages (click's own words in them; the commands' help texts are docs, English).
    "Show the version and exit.": "Hiện phiên bản rồi thoát.",
    "Show this message and exit.": "Hiện hướng dẫn này rồi thoát.",
    "%(prog)s, version %(version)s": "%(prog)s, phiên bản %(version)s",
    "Options": "Tùy chọn",
    "Commands": "Lệnh",
    "Positional arguments": "Đối số",
    "default: {default}": "mặc định: {default}",
    "env var: {var}": "biến môi trường: {var}",
    "required": "bắt buộc",
    "(dynamic)": "(tính khi chạy)",
    "deprecated": "không còn dùng",
    "(Deprecated) {text}": "(Không còn dùng) {text}",
    "{text} {deprecated_message}": "{text} {deprecated_message}",
    "DeprecationWarning: The command {name!r} is deprecated.": (
        "Cảnh báo: lệnh {name!r} không còn được dùng."
    ),
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}": (
        "Cảnh báo: lệnh {name!r} không còn được dùng.{extra_message}"
    ),
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}": (
        "Cảnh báo: {name!r} không còn được dùng.{extra_message}"
    ),
    # Progress bars, editors, terminals, shell completion.
    "d": " ngày",
    "{editor}: Editing failed": "{editor}: sửa không thành công",
    "{editor}: Editing failed: {e}": "{editor}: sửa không thành công: {e}",
    "Windows error: {error}": "Lỗi Windows: {error}",
    "Unknown color {colour!r}": "Không có màu {colour!r}",
    "Unknown standard stream '{name}'": "Không có luồng chuẩn '{name}'",
    "Shell completion is not supported for Bash versions older than 4.4.": (
        "Không có gợi ý lệnh cho Bash cũ hơn 4.4."
    ),
    "Couldn't detect Bash version, shell completion is not supported.": (
        "Không xác định được phiên bản Bash nên không có gợi ý lệnh."
    ),
}
# (singular, plural) templates -> (Vietnamese for one, for several).
PLURALS: dict[tuple[str, str], tuple[str, str]] = {
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): (
        "Có phải ý bạn là {possibility}?",
        "(Có phải ý bạn là một trong: {possibilities}?)",
    ),
    ("Did you mean {possibility}?", "(Possible options: {possibilities})"): (
        "Có phải ý bạn là {possibility}?",
        "(Có phải ý bạn là một trong: {possibilities}?)",
    ),
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): (
        "Thừa đối số không dùng đến ({args})",
        "Thừa các đối số không dùng đến ({args})",
    ),
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "Tùy chọn {name!r} cần một giá trị.",
        "Tùy chọn {name!r} cần {nargs} giá trị.",
    ),
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "Cần {nargs} giá trị nhưng chỉ có 1.",
        "Cần {nargs} giá trị nhưng có {len}.",
    ),
    (
        "{len_type} values are required, but {len_value} was given.",
        "{len_type} values are required, but {len_value} were given.",
    ): ("Cần {len_type} giá trị nhưng có {len_value}.",) * 2,
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): (
        "{value!r} không phải là {choice}.",
        "{value!r} không phải là một trong {choices}.",
    ),
    (
        "{value!r} does not match the format {format}.",
        "{value!r} does not match the formats {formats}.",
    ): ("{value!r} không đúng dạng {format}.", "{value!r} không đúng dạng nào trong {formats}."),
}
# How click writes the placeholders of a usage line (not marked for gettext).
OPTIONS_METAVAR = "[TÙY CHỌN]"
SUBCOMMAND_METAVAR = "LỆNH [ĐỐI SỐ]..."
# click's modules that print messages; each binds gettext's functions at import.
CLICK_MODULES = ("click", "click._termui_impl", "click.shell_completion")

_vietnamese: contextvars.ContextVar[bool] = contextvars.ContextVar("vietnamese", default=False)


def gettext(message: str) -> str:
    """click's ``_()``: Vietnamese while a vnsearch command runs, gettext's answer otherwise."""
    if _vietnamese.get():
        return CATALOGUE.get(message, message)
    return _gettext.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """click's ``ngettext()``, the same way."""
    if _vietnamese.get():
        forms = PLURALS.get((singular, plural))
        if forms:
            return forms[0] if n == 1 else forms[1]
        return singular if n == 1 else plural
    return _gettext.ngettext(singular, plural, n)


def install() -> list[str]:
    """Put the translators in place of gettext's in click's modules; the names of those changed."""
    import importlib

    for name in CLICK_MODULES:
        importlib.import_module(name)
    changed = []
    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        for attr, ours, theirs in (
            ("_", gettext, _gettext.gettext),
            ("ngettext", ngettext, _gettext.ngettext),
        ):
            if getattr(module, attr, None) is theirs:
                setattr(module, attr, ours)
                changed.append(f"{name}.{attr}")
    return changed


class _Vietnamese:
    """``main`` of a command that speaks Vietnamese for as long as it runs."""

    def main(self, *args, **kwargs):
        token = _vietnamese.set(True)
        try:
            return super().main(*args, **kwargs)  # type: ignore[misc]
        finally:
            _vietnamese.reset(token)


class Command(_Vietnamese, click.Command):
    """A click command whose own messages are Vietnamese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        super().__init__(*args, **kwargs)


class Group(_Vietnamese, click.Group):
    """A click group whose messages, and its commands', are Vietnamese."""

    command_class = Command
    group_class = type  # subgroups are Groups too

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", OPTIONS_METAVAR)
        kwargs.setdefault("subcommand_metavar", SUBCOMMAND_METAVAR)
        super().__init__(*args, **kwargs)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        """Add a command; one made elsewhere (a plugin's) gets the Vietnamese usage line too."""
        if cmd.options_metavar == "[OPTIONS]":
            cmd.options_metavar = OPTIONS_METAVAR
        super().add_command(cmd, name)


# What the command line says for each library error; ``{index}`` is the --index
# folder, ``{id}`` the article asked for. The library's own messages are
# technical: kept after "Chi tiết:" where they say more (file, versions, cause).
_EXPLAIN: list[tuple[type[SearchError], str, bool]] = [
    (IndexMissing, "chưa có chỉ mục ở {index}: hãy tạo bằng lệnh `vnsearch index`", False),
    (
        IndexOutdated,
        (
            "chỉ mục ở {index} được tạo bởi một phiên bản khác của vnsearch: "
            "hãy xây dựng lại bằng `vnsearch index --rebuild`"
        ),
        True,
    ),
    (
        IndexDamaged,
        "chỉ mục ở {index} bị hỏng, không đọc được: `vnsearch check` cho biết phần nào và cách sửa",
        True,
    ),
    (
        IndexLocked,
        (
            "một lệnh `vnsearch index` khác đang ghi vào chỉ mục ở {index}: hãy thử lại khi "
            "lệnh đó xong, hoặc chờ lâu hơn với --wait"
        ),
        True,
    ),
    (
        WriteFailed,
        "không ghi được vào chỉ mục ở {index}; những gì đã lưu trước đó vẫn còn nguyên",
        True,
    ),
    (ArticleNotFound, "không có bài viết nào với mã {id}", False),
]


def explain(error: SearchError, where: Mapping[str, object] | None = None) -> str:
    """One Vietnamese line for a library error (its detail kept where it adds to it)."""
    if isinstance(error, BadQuery):
        return str(error)  # already Vietnamese, naming the argument
    where = where or {}
    index = where.get("index_dir")
    article = where.get("article_id")
    for cls, text, detailed in _EXPLAIN:
        if isinstance(error, cls):
            line = text.format(
                index=index if index is not None else "thư mục đã chọn",
                id=repr(article) if article is not None else "này",
            )
            return f"{line}. Chi tiết: {error}" if detailed else line
    logger.debug("no Vietnamese wording for %s", type(error).__name__)
    return f"không thực hiện được lệnh. Chi tiết: {error}"


install()
