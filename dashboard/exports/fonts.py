"""The CJK face every export draws with: Noto Sans CJK SC from PyPI's ``mplfonts``.

Debian's ``NotoSansCJK-Regular.ttc`` holds several faces and matplotlib picks
the Japanese one from it, so the Simplified Chinese ``.otf`` shipped by
``mplfonts`` is loaded by file instead.  Text is drawn with an explicit
:class:`~matplotlib.font_manager.FontProperties` (never through the global
``font.family``), so exports do not change other figures of the process and
can run on a Streamlit download thread.

PDF and PostScript keep text as text with the font embedded (``fonttype
42``): ``pdftotext`` finds the Chinese, ``pdffonts`` lists the face as
embedded and subset.  The ``.otf`` has CFF (PostScript) outlines, but
matplotlib declares every type-42 subset a TrueType font (``CIDFontType2``
with ``FontFile2``), so poppler warned "Mismatch between font type and
embedded font file" on every page.  Each subset's outlines are therefore
converted to TrueType (quadratic, within one font unit of the original)
before they are embedded: :func:`truetype_outlines`, hooked in by
:func:`embed_truetype`.  Text stays searchable, the file a little smaller
than with the CFF subset (the demo's A4 town map: 107 KB instead of 111 KB),
at about 25 ms per document; type 3 fonts would make it larger (125 KB) and
unhinted.  SVG draws glyphs as paths (matplotlib's default), so an SVG pasted
into Word or PowerPoint looks the same on a machine without the font.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from matplotlib import font_manager
from matplotlib.backends import _backend_pdf_ps
from matplotlib.font_manager import FontProperties

FONT_FILE = "NotoSansCJKsc-Regular.otf"
"""File name of the face inside ``mplfonts/fonts/``."""

MAX_OUTLINE_ERROR = 1.0
"""Largest distance, in font units (1/1000 em), of a converted TrueType outline from the CFF one."""

_MAXP_FIELDS = ("maxPoints", "maxContours", "maxCompositePoints", "maxCompositeContours", "maxTwilightPoints",
                "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
                "maxComponentElements", "maxComponentDepth")
"""Fields of a version 1.0 ``maxp`` table (TrueType outlines) beyond the glyph count."""


class FontMissingError(RuntimeError):
    """The CJK font file of ``mplfonts`` is not installed."""


@functools.cache
def font_path() -> Path:
    """Path of the Noto Sans CJK SC file, registered with matplotlib once per process.

    Also sets ``pdf.fonttype``/``ps.fonttype`` to 42 so PDF text stays text, and
    makes matplotlib embed TrueType outlines (:func:`embed_truetype`).

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
    # text from data is drawn letter for letter: two "$" in a firm's name must not start mathtext
    # (which would draw it otherwise, or fail on "$\\foo{$"); no export writes mathtext itself
    matplotlib.rcParams["text.parse_math"] = False
    embed_truetype()
    return path


def truetype_outlines(font: TTFont) -> TTFont:
    """Replace the CFF outlines of ``font`` by TrueType ones, in place (glyph order and metrics kept).

    Parameters
    ----------
    font
        An OpenType font with a ``CFF `` table (a font without one is returned unchanged).

    Returns
    -------
    fontTools.ttLib.TTFont
        ``font``, now with ``glyf``/``loca`` and a version 1.0 ``maxp``.

    Examples
    --------
    >>> from fontTools import subset
    >>> face = subset.load_font(str(font_path()), subset.Options())
    >>> sub = subset.Subsetter(); sub.populate(text="通州"); sub.subset(face)
    >>> sorted(t for t in truetype_outlines(face).keys() if t in ("CFF ", "glyf", "loca"))
    ['glyf', 'loca']
    """
    if "CFF " not in font:
        return font
    order = font.getGlyphOrder()
    outlines = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder, glyf.glyphs = order, {}
    for name in order:
        pen = TTGlyphPen(None)
        outlines[name].draw(Cu2QuPen(pen, MAX_OUTLINE_ERROR, reverse_direction=True))  # CFF winds the other way
        glyph = pen.glyph()
        glyph.recalcBounds(glyf)
        glyf[name] = glyph
    font["loca"] = newTable("loca")
    font["glyf"] = glyf
    del font["CFF "]
    if "VORG" in font:  # vertical origins of CFF fonts only
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in _MAXP_FIELDS:
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    maxp.recalc(font)
    font["post"].formatType = 3.0  # no glyph names: the PDF addresses glyphs by index
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"
    return font


def embed_truetype() -> None:
    """Make matplotlib's PDF/PS subsetter hand over TrueType outlines (once per process).

    matplotlib declares every type-42 subset a TrueType font; this wraps its
    subsetting step (``matplotlib.backends._backend_pdf_ps.get_glyphs_subset``,
    the one place both backends subset fonts) so a CFF subset is converted by
    :func:`truetype_outlines` before it is written.  TrueType fonts pass
    through unchanged.
    """
    subsetter: Callable[..., Any] = _backend_pdf_ps.get_glyphs_subset
    if getattr(subsetter, "ipgrid_truetype", False):
        return

    @contextlib.contextmanager
    def get_glyphs_subset(fontfile: Any, glyphs: Any) -> Iterator[Any]:
        with subsetter(fontfile, glyphs) as result:
            truetype_outlines(result.font)
            yield result

    get_glyphs_subset.ipgrid_truetype = True  # type: ignore[attr-defined]
    _backend_pdf_ps.get_glyphs_subset = get_glyphs_subset


@functools.lru_cache(maxsize=64)
def font(size: float) -> FontProperties:
    """The CJK face at ``size`` points (cached; do not modify the result).

    Examples
    --------
    >>> font(9).get_size_in_points()
    9.0
    """
    return FontProperties(fname=str(font_path()), size=size)
