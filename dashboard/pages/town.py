"""镇街: one town or sub-district in detail (see :mod:`dashboard.pages.area`)."""

from __future__ import annotations

from dashboard.pages.area import render_area


def render() -> None:
    """Draw the page."""
    render_area("town", "town")


if __name__ == "__main__":
    render()
