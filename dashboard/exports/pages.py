"""Page sizes a map can be exported at: a registry keyed by the name users type.

Every size is laid out the same way, in millimetres from the page edges: a
title band at the top, a footer band at the bottom, the map frame between
them.  Font sizes grow a little on a slide, which is read from further away.
"""

from __future__ import annotations

from dataclasses import dataclass

from loaders.errors import ChoiceError

MM_PER_INCH = 25.4


@dataclass(frozen=True)
class PageSize:
    """One export size.

    Attributes
    ----------
    key
        Name on the command line (``--size``).
    label
        Chinese label for menus.
    width_mm, height_mm
        Paper size.
    margin_mm
        Blank border on every side.
    title_mm, footer_mm
        Height of the title band and the footer band.
    scale
        Factor applied to every font size (1 on A4).
    """

    key: str
    label: str
    width_mm: float
    height_mm: float
    margin_mm: float = 10.0
    title_mm: float = 20.0
    footer_mm: float = 11.0
    scale: float = 1.0

    @property
    def inches(self) -> tuple[float, float]:
        """(width, height) in inches, for ``Figure(figsize=...)``."""
        return self.width_mm / MM_PER_INCH, self.height_mm / MM_PER_INCH

    def fig_rect(self, left_mm: float, bottom_mm: float, width_mm: float, height_mm: float
                 ) -> tuple[float, float, float, float]:
        """A rectangle given in mm from the bottom-left corner, as figure fractions."""
        return (left_mm / self.width_mm, bottom_mm / self.height_mm,
                width_mm / self.width_mm, height_mm / self.height_mm)

    def map_frame(self) -> tuple[float, float, float, float]:
        """Figure-fraction rectangle of the map frame (between the title and footer bands)."""
        m = self.margin_mm
        bottom = m + self.footer_mm
        height = self.height_mm - bottom - m - self.title_mm
        return self.fig_rect(m, bottom, self.width_mm - 2 * m, height)

    def pt(self, size: float) -> float:
        """A font size in points on this page (A4 sizes × :attr:`scale`)."""
        return size * self.scale


PAGE_SIZES: dict[str, PageSize] = {
    "a4": PageSize("a4", "A4 纵向", 210.0, 297.0),
    "a4-landscape": PageSize("a4-landscape", "A4 横向", 297.0, 210.0),
    "16x9": PageSize("16x9", "16:9 幻灯片", 338.667, 190.5, margin_mm=8.0, title_mm=22.0, footer_mm=12.0,
                     scale=1.25),
}
"""Every export size by key (16:9 is PowerPoint's 13.333 × 7.5 inch slide)."""

DEFAULT_SIZE = "a4-landscape"
"""Size used when none is given: the district is wider than tall."""


def page_size(key: str) -> PageSize:
    """The :class:`PageSize` of ``key``.

    Raises
    ------
    ValueError
        ``key`` is not in :data:`PAGE_SIZES`; the message lists the valid keys.

    Examples
    --------
    >>> page_size("a4").inches[0].__round__(2)
    8.27
    """
    try:
        return PAGE_SIZES[key]
    except KeyError:
        msg = f"纸张尺寸应为 {list(PAGE_SIZES)} 之一，而不是 {key!r}"
        raise ChoiceError(msg) from None
