"""The app's pages: one small module each, run by ``st.navigation`` from ``streamlit_app.py``.

Each page module defines ``render()`` and calls it when Streamlit runs the
file as a page (``__name__ == "__main__"``), so the modules can also be
imported (by tests and doctests) without drawing anything.  Pages are thin:
they ask the engine (:class:`dashboard.engine.Engine` of the loaded folder)
for every figure, rank and status, and format it with the catalog
(:mod:`dashboard.engine.catalog`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent
ROOT = PAGES_DIR.parents[1]


@dataclass(frozen=True)
class PageSpec:
    """One page: key, Chinese title, icon, file and URL path."""

    key: str
    title: str
    icon: str
    module: str
    url_path: str

    @property
    def file(self) -> str:
        """Path of the page file relative to ``streamlit_app.py`` (what ``st.switch_page`` takes)."""
        return f"dashboard/pages/{self.module}.py"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview", "总览", ":material/map:", "overview", "overview"),
    PageSpec("region", "全部区县", ":material/account_tree:", "region", "region"),
    PageSpec("town", "镇街", ":material/location_city:", "town", "town"),
    PageSpec("park", "园区", ":material/factory:", "park", "park"),
    PageSpec("my_grid", "我的网格", ":material/grid_on:", "my_grid", "my-grid"),
    PageSpec("service", "服务站点", ":material/support_agent:", "service", "service"),
    PageSpec("gi", "地理标志", ":material/eco:", "gi", "gi"),
    PageSpec("indicators", "指标", ":material/monitoring:", "indicators", "indicators"),
    PageSpec("changes", "变化", ":material/compare_arrows:", "changes", "changes"),
    PageSpec("visits", "走访", ":material/directions_walk:", "visits", "visits"),
    PageSpec("assignments", "专员分配", ":material/assignment_ind:", "assignments", "assignments"),
    PageSpec("data", "数据", ":material/folder_open:", "data", "data"),
    PageSpec("audit", "审计", ":material/policy:", "audit", "audit"),
)
"""Every page in menu order; the first is the default."""

BY_KEY: dict[str, PageSpec] = {p.key: p for p in PAGES}


def page_file(key: str) -> str:
    """``st.switch_page``/``st.page_link`` target of page ``key``."""
    try:
        return BY_KEY[key].file
    except KeyError:
        msg = f"unknown page {key!r}; pages are {sorted(BY_KEY)}"
        raise KeyError(msg) from None
