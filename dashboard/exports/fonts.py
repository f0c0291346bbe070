"""The CJK face every export draws with: Noto Sans CJK SC from PyPI's ``mplfonts``.

Debian's ``NotoSansCJK-Regular.ttc`` holds several faces and matplotlib picks
the Japanese one from it, so the Simplified Chinese ``.otf`` shipped by
``mplfonts`` is loaded by file instead.  Text is drawn with an explicit
:class:`~matplotlib.font_manager.FontProperties` (never through the global
``font.family``), so exports do not change other figures of the process and
can run on a Streamlit download thread.

PDF and PostScript keep text as text with the font embedded (``fonttype
42``): ``pdftotext`` finds the Chinese, ``pdffonts`` lists the face as
embedded and subset.  SVG draws glyphs as paths (matplotlib's default), so an
SVG pasted into Word or PowerPoint looks the same on a machine without the font.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.font_manager import FontProperties

FONT_FILE = "NotoSansCJKsc-Regular.otf"
"""File name of the face inside ``mplfonts/fonts/``."""




class FontMissingError(RuntimeError):
    """The CJK font file of ``mplfonts`` is not installed."""


@functools.cache
def font_path() -> Path:
    """Path of the Noto Sans CJK SC file, registered with matplotlib once per process.

    Also sets ``pdf.fonttype``/``ps.fonttype`` to 42 so PDF text stays text.

    Raises
    ------
    FontMissingError
        ``mplfonts`` is missing or ships no such file.
    """
    try:
        import mplfonts
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        msg = "找不到中文字体：请安装 mplfonts（pip install mplfonts）"
        raise FontMissingError(msg) from exc
    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.is_file():  # pragma: no cover
        msg = f"找不到中文字体 {path}：请重新安装 mplfonts"
        raise FontMissingError(msg)
    font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["pdf.fonttype"] = 42
    matplotlib.rcParams["ps.fonttype"] = 42
    return path


@functools.lru_cache(maxsize=64)
def font(size: float) -> FontProperties:
    """The CJK face at ``size`` points (cached; do not modify the result).

    Examples
    --------
    >>> font(9).get_size_in_points()
    9.0
    """
    return FontProperties(fname=str(font_path()), size=size)
