"""园区: one park in detail (see :mod:`dashboard.pages.area`)."""

from __future__ import annotations

from dashboard.pages.area import render_area


def render() -> None:
    """Draw the page."""
    render_area("park", "park")


if __name__ == "__main__":
    render()
