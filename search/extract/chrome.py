"""Site chrome: menus, toolbars, counters, portal block names, side panels.

A line is chrome by its nature: short and navigational ("Tin khác"), a widget
label or counter ("Lượt xem: 7476"), a CMS identifier no writer would type
("PublishingPortal - Block_BanTin_Toolbar"), a bullet of a side list. The page
assembler adds the positional rule: short lines outside the article's text
(before the title, after the byline) are chrome too.
"""

from __future__ import annotations

import re

from ..analysis import fold

# Widget and navigation labels, folded; a line made only of these is chrome.
NAV_PHRASES = (
    "tang co chu",
    "giam co chu",
    "co chu",
    "back to top",
    "ve dau trang",
    "len dau trang",
    "binh luan",
    "gui binh luan",
    "y kien ban doc",
    "y kien cua ban",
    "tin khac",
    "tin lien quan",
    "bai lien quan",
    "tin cung chuyen muc",
    "cac tin khac",
    "cac tin da dua",
    "tin moi",
    "tin moi nhat",
    "tin doc nhieu",
    "doc nhieu",
    "xem nhieu",
    "lien ket website",
    "lien ket web",
    "thong ke truy cap",
    "tong truy cap",
    "tong luot truy cap",
    "dang truy cap",
    "truy cap",
    "luot truy cap",
    "trang",
    "in bai viet",
    "in bai",
    "ban in",
    "gui bai viet",
    "gui email",
    "gui",
    "email",
    "chia se",
    "share",
    "tweet",
    "like",
    "facebook",
    "zalo",
    "twitter",
    "trang chu",
    "tim kiem",
    "dang nhap",
    "dang ky",
    "xem them",
    "doc tiep",
    "quay lai",
    "tro ve",
    "top",
    "lich cong tac",
    "van ban moi",
    "van ban",
    "thong bao",
    "video",
    "hinh anh",
    "audio",
    "podcast",
    "lien he",
    "so do trang",
    "rss",
    "ban quyen",
    "copyright",
    "phan hoi",
    "dong y",
    "huy",
    "nghe",
    "nghe bai viet",
    "tai ve",
    "download",
    "print",
    "home",
    "font size",
    "a",
    "a+",
    "a-",
    "hom nay",
    "hom qua",
    "thang nay",
)
# Phrases may follow each other with no separator and some end in one ("a+"),
# so a plain (phrase|...)+ could split one line in exponentially many ways
# ("A+A+A+...Z" never finished). The phrase group is atomic (longest phrase
# first, never tried again) and the separators possessive: each position is
# read once. No phrase starts with a separator, so nothing is lost by that.
_NAV = re.compile(
    r"^(?:(?>"
    + "|".join(re.escape(p) for p in sorted(NAV_PHRASES, key=len, reverse=True))
    + r")[\s:|/,.+\-»>]*+)++$"
)
# Counters and widget remnants anywhere in a short line.
_COUNTER = re.compile(
    r"\b(?:luot xem|luot doc|luot truy cap|so luot|da xem|views?)\s*+:?\s*+[\d.,]+"
)
_WIDGETS = re.compile(
    r"\b(?:luot xem\s*+:?\s*+[\d.,]+|in bai viet|gui bai viet|tang co chu|giam co chu|chia se)\b"
)
# CMS identifiers: CamelCase words of ASCII or names with underscores.
_CMS = re.compile(r"\b(?:[A-Z][a-z]++){2,}+\b|\b\w+_\w+\b|\bBlock\b|\bPortal\b")
_BULLET = re.compile(r"^\s*[•·▪►»›◦●■□\-–*>|]+\s*")
_PANEL = re.compile(
    r"^\s*(?:so\s*/\s*ky hieu|so ky hieu|ngay ban hanh|trich yeu|co quan ban hanh)"
    r"\s*:",
    re.IGNORECASE,
)
# Footer lines of Vietnamese sites.
_FOOTER = re.compile(
    r"^(?:dia chi|dien thoai|dt|fax|email|e-mail|giay phep|chiu trach nhiem|tong bien tap"
    r"|co quan chu quan|ghi ro nguon|© |\(c\))\b",
    re.IGNORECASE,
)


def folded(line: str) -> str:
    """Lower-case, diacritic-free form of a line for chrome rules."""
    return fold(line).lower().strip()


def words(line: str) -> int:
    """Number of whitespace-separated words."""
    return len(line.split())


def is_cms_identifier(line: str) -> bool:
    """A CMS block or widget name ("PublishingPortal - Block_BanTin_Toolbar")."""
    if not line.isascii() or words(line) > 8:
        return False
    return bool(_CMS.search(line))


def is_panel(line: str) -> bool:
    """A side-panel field of a government portal ("• Số/Ký hiệu: 1184/KL-UBND")."""
    return bool(_PANEL.match(folded(_BULLET.sub("", line))))


def is_bullet(line: str) -> bool:
    """A list item of a menu or side list."""
    return line.lstrip().startswith(("•", "·", "▪", "►", "»", "›", "◦", "●", "■", "□"))


def is_chrome(line: str) -> bool:
    """True for a line that no article contains: navigation, widgets, counters, CMS names."""
    text = line.strip()
    if not text:
        return True
    if is_cms_identifier(text) or is_bullet(text) or is_panel(text):
        return True
    f = folded(text)
    if _NAV.match(f):
        return True
    n = words(text)
    if n <= 12 and (_COUNTER.search(f) or _FOOTER.match(f)):
        return True
    # A short line that is mostly widget labels ("Tăng cỡ chữ Giảm cỡ chữ | In").
    return n <= 10 and len(_WIDGETS.sub("", f).split()) <= 1 and _WIDGETS.search(f) is not None


def strip_widgets(line: str) -> str:
    """A dateline without its trailing counters and buttons ("... Lượt xem: 7476 In bài viết")."""
    f = folded(line)
    m = _WIDGETS.search(f)
    # fold() keeps offsets except for the rare letters unidecode expands.
    if m and len(f) == len(line):
        return line[: m.start()].strip(" |-–")
    return line
