"""The articles of the facet and chart tests: many outlets, districts, dated and undated.

tests/conftest.py writes them into one real index (the ``facet_index`` fixture).
"""

from __future__ import annotations

import datetime as dt

from search.article import Article

# (province as published, province after 2025, district)
PLACES = [
    ("Điện Biên", "Điện Biên", "Mường Chà"),
    ("Bắc Kạn", "Thái Nguyên", "Ba Bể"),
    ("Lạng Sơn", "Lạng Sơn", "Cao Lộc"),
    ("Thái Nguyên", "Thái Nguyên", "Đại Từ"),
]
OUTLETS = [f"Báo Địa phương {i:02d}" for i in range(15)] + ["Đài Phát thanh Mường Nhé"]
N = 48


def corpus() -> list[Article]:
    """N articles: 16 outlets, 4 provinces and districts; 2023 and 2019 dates, some undated."""
    out = []
    for i in range(N):
        province, province_2025, district = PLACES[i % len(PLACES)]
        if i % 6 == 0:
            date = None
        elif i % 7 == 0:
            date = dt.date(2019, 1 + i % 12, 3)
        else:
            date = dt.date(2023, 1 + i % 12, 1 + i % 28)
        words = "Cán bộ xã tiếp dân" if i % 2 else "Hội nghị nông dân"
        out.append(
            Article(
                id=f"fc/{i:02d}",
                title=f"{words} số {i}",
                body=f"{words} tại thôn {i}.",
                province=province,
                province_2025=province_2025,
                district=district,
                outlet=OUTLETS[i % len(OUTLETS)],
                topics=["Kinh tế" if i % 3 else "Giảm nghèo"],
                date=date,
            )
        )
    return out
