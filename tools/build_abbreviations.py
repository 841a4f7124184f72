"""Build search/data/abbreviations.tsv from soe-vinorm's list of Vietnamese abbreviations.

soe-vinorm (MIT, https://pypi.org/project/soe-vinorm/) ships about 2,200
abbreviations in ``soe_vinorm/data/dictionaries/abbreviations.txt`` as
``ABBR:expansion[,expansion...]``. The package itself is not a dependency (it
pins numpy<2 and pulls onnxruntime); its wheel is only read here:

    pip download --no-deps soe-vinorm==0.3.2 -d /tmp/soe
    python tools/build_abbreviations.py /tmp/soe/soe_vinorm-0.3.2-py3-none-any.whl

Kept: upper-case keys with exactly one expansion (``CP``, ``TT``, ``QĐ``, ``BCH``
have several and are left out), at least three letters, whose letters are the
initials of the expansion's syllables ("và" and "&" aside), and whose expansion
is about public administration (it holds a word of ``ADMINISTRATIVE``). A few
common ones the list lacks are added from ``ADDED``. The licence notice is
written beside the table.
"""

from __future__ import annotations

import re
import sys
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "search" / "data" / "abbreviations.tsv"
LICENSE_OUT = ROOT / "search" / "data" / "abbreviations.LICENSE"
MEMBER = "soe_vinorm/data/dictionaries/abbreviations.txt"

ADMINISTRATIVE = {
    "uy ban",
    "hoi dong",
    "nhan dan",
    "can bo",
    "cong chuc",
    "vien chuc",
    "dang",
    "chinh phu",
    "quoc hoi",
    "mat tran",
    "to quoc",
    "hanh chinh",
    "nong thon",
    "an ninh",
    "quoc phong",
    "giao duc",
    "dao tao",
    "y te",
    "xa hoi",
    "kinh te",
    "bao hiem",
    "giao thong",
    "thanh pho",
    "tinh",
    "huyen",
    "thi tran",
    "cong an",
    "canh sat",
    "quan su",
    "chinh sach",
    "ngan sach",
    "tai nguyen",
    "moi truong",
    "nong nghiep",
    "phat trien",
    "lao dong",
    "thuong binh",
    "ke hoach",
    "dau tu",
    "tai chinh",
    "tu phap",
    "noi vu",
    "thanh tra",
    "kiem sat",
    "toa an",
    "hop tac xa",
    "doanh nghiep",
    "dan cu",
    "van hoa",
    "the thao",
    "du lich",
    "xay dung",
    "cong thuong",
    "khoa hoc",
    "cong nghe",
    "thong tin",
    "truyen thong",
    "trung uong",
    "dai bieu",
    "thanh nien",
    "phu nu",
    "cuu chien binh",
    "nong dan",
    "lien doan",
    "cong doan",
    "dat",
    "thuc pham",
    "trung hoc",
    "tieu hoc",
    "mam non",
    "dong bang",
    "ban chi dao",
    "ban quan ly",
    "kiem tra",
    "toi pham",
    "ma tuy",
    "bien phong",
    "hai quan",
    "thue",
    "kho bac",
    "ngan hang",
    "dien luc",
    "thuy loi",
    "quy hoach",
    "giai phong mat bang",
}
# (abbreviation, expansion) pairs the list lacks, common in local-government news.
ADDED = [
    ("NTM", "nông thôn mới"),
    ("XDNTM", "xây dựng nông thôn mới"),
    ("GPMB", "giải phóng mặt bằng"),
    ("TTHC", "thủ tục hành chính"),
    ("MTQG", "mục tiêu quốc gia"),
    ("CTMTQG", "chương trình mục tiêu quốc gia"),
    ("LĐ-TB&XH", "Lao động - Thương binh và Xã hội"),
    ("GD-ĐT", "Giáo dục và Đào tạo"),
    ("TN&MT", "Tài nguyên và Môi trường"),
    ("VH-TT&DL", "Văn hóa, Thể thao và Du lịch"),
    ("KH&ĐT", "Kế hoạch và Đầu tư"),
    # Two letters, but in local news TP alone is the city ("TP Hà Nội").
    ("TP", "thành phố"),
    ("TP.HCM", "Thành phố Hồ Chí Minh"),
    ("TP HCM", "Thành phố Hồ Chí Minh"),
    ("TP. Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
    # One place under its names before and after 2025 (the merger kept the other
    # provinces' names; Thừa Thiên Huế became the city of Huế).
    ("Thừa Thiên Huế", "thành phố Huế"),
    ("TP Huế", "thành phố Huế"),
    ("TP. Huế", "thành phố Huế"),
    ("UBKT", "Ủy ban Kiểm tra"),
    ("HĐND", "Hội đồng nhân dân"),
    ("ATVSTP", "an toàn vệ sinh thực phẩm"),
]
_SKIP = {"va"}


def fold(text: str) -> str:
    """Lower case without diacritics (đ -> d)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    ).lower()


def consistent(abbr: str, expansion: str) -> bool:
    """True when the abbreviation's letters are the initials of the expansion's syllables."""
    letters = fold(re.sub(r"[\W_]", "", abbr))
    initials = "".join(w[0] for w in re.findall(r"[^\W_]+", fold(expansion)) if w not in _SKIP)
    return letters == initials


def administrative(expansion: str) -> bool:
    """True when the expansion holds a word of public administration."""
    words = " " + " ".join(re.findall(r"[^\W_]+", fold(expansion))) + " "
    return any(f" {w} " in words for w in ADMINISTRATIVE)


def build(wheel: Path) -> list[tuple[str, str]]:
    """The kept (abbreviation, expansion) pairs, sorted."""
    with zipfile.ZipFile(wheel) as z:
        lines = z.read(MEMBER).decode("utf-8").splitlines()
    kept: dict[str, str] = {}
    for line in lines:
        abbr, _, expansion = line.partition(":")
        abbr, expansion = abbr.strip(), expansion.strip()
        if (
            not expansion
            or abbr != abbr.upper()
            or "," in expansion
            or len(re.sub(r"[\W_]", "", abbr)) < 3
            or not consistent(abbr, expansion)
            or not administrative(expansion)
        ):
            continue
        kept.setdefault(abbr, expansion)
    for abbr, expansion in ADDED:
        kept[abbr] = expansion
    return sorted(kept.items())


def main(argv: list[str]) -> None:
    wheel = Path(argv[1])
    pairs = build(wheel)
    OUT.write_text(
        "# abbreviation\texpansion (built by tools/build_abbreviations.py from "
        "soe-vinorm 0.3.2, MIT; see abbreviations.LICENSE)\n"
        + "".join(f"{a}\t{e}\n" for a, e in pairs),
        "utf-8",
    )
    with zipfile.ZipFile(wheel) as z:
        notice = next(z.read(n) for n in z.namelist() if n.endswith("licenses/LICENSE"))
    LICENSE_OUT.write_text(
        "search/data/abbreviations.tsv is derived from the abbreviation "
        "list of soe-vinorm, under this licence:\n\n" + notice.decode("utf-8"),
        "utf-8",
    )
    print(f"{len(pairs)} abbreviations -> {OUT}")


if __name__ == "__main__":
    main(sys.argv)
