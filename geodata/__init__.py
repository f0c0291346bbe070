"""Bundled geodata: the synthetic demo district (示例数据) and its generator.

``geodata/demo/`` holds a data folder of 通州区 (南通市) as a district office
would have it: town boundaries, parks, grid cells, an enterprise spreadsheet,
service points, geographic indications and yearly indicators.  Everything in it
is synthetic; boundaries are not real.  Regenerate it with
``python -m geodata.generate_demo``.
"""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent / "demo"
"""Folder of the bundled demo data (written by :mod:`geodata.generate_demo`)."""

__all__ = ["DEMO_DIR"]
