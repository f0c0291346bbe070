"""What loading a folder gives: canonical layers, the problems report and the folder's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from loaders.config import FolderConfig
from loaders.problems import ProblemLog


@dataclass
class Layer:
    """One canonical layer as loaded from one file.

    Attributes
    ----------
    name
        Canonical layer name (a key of :data:`loaders.schema.LAYERS`).
    frame
        Canonical frame: a GeoDataFrame in EPSG:4326 for spatial layers, a
        DataFrame otherwise; columns are the schema's fields plus ``source_row``.
    file
        File it came from, relative to the data folder.
    rows
        Data rows (or features) in the file.
    accepted
        Rows that made it into ``frame``.
    crs
        Human-readable CRS of the source ("EPSG:4549", "GCJ-02", "" for tables
        without coordinates).
    """

    name: str
    frame: pd.DataFrame
    file: str
    rows: int
    accepted: int
    crs: str = ""


@dataclass
class DataBundle:
    """A loaded data folder."""

    folder: Path
    config: FolderConfig
    layers: dict[str, Layer] = field(default_factory=dict)
    problems: ProblemLog = field(default_factory=ProblemLog)

    def frame(self, name: str) -> pd.DataFrame | None:
        """Canonical frame of layer ``name``, or ``None`` when the folder has none."""
        layer = self.layers.get(name)
        return None if layer is None else layer.frame

    @property
    def is_demo(self) -> bool:
        """Whether every view must carry the 示例数据 label."""
        return self.config.district.demo
