"""What loading a folder gives: canonical layers, the problems report and the folder's settings.

A layer whose file could not be read as a whole (a required header missing,
no polygon in a boundary file …) is still in :attr:`DataBundle.layers`, with
an empty canonical frame and ``failed`` set; its problems say why.  Reports
(``ipgrid validate``, the 数据 page) show it; analyses that need the towns and
the enterprises ask :meth:`DataBundle.require_usable` first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from loaders.config import FolderConfig
from loaders.errors import UnusableLayerError
from loaders.problems import ProblemLog
from loaders.schema import LAYERS

BLOCKING_CODES = frozenset({"crs_mismatch"})
"""Layer-level errors after which a required layer's figures would be meaningless (every firm 区外)."""


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
    crs_guessed
        The file declares no CRS: ``crs`` was guessed from the coordinates.
    failed
        The file could not be read as a layer at all: ``frame`` is the empty
        canonical frame (right columns, geometry in EPSG:4326) and the
        problems report says why.
    """

    name: str
    frame: pd.DataFrame
    file: str
    rows: int
    accepted: int
    crs: str = ""
    crs_guessed: bool = False
    failed: bool = False


@dataclass
class DataBundle:
    """A loaded data folder."""

    folder: Path
    config: FolderConfig
    layers: dict[str, Layer] = field(default_factory=dict)
    problems: ProblemLog = field(default_factory=ProblemLog)
    precomputed: object | None = None
    """What the engine computed for these layers before, kept by a store with the version
    (:class:`dashboard.engine.precomputed.Precomputed`); ``None`` for a folder read from files."""
    version: object | None = None
    """The store version these layers are (:class:`dashboard.store.Version`); ``None`` for a folder."""

    def frame(self, name: str) -> pd.DataFrame | None:
        """Canonical frame of layer ``name``, or ``None`` when the folder has none."""
        layer = self.layers.get(name)
        return None if layer is None else layer.frame

    def unusable_layers(self) -> list[str]:
        """Required layers (towns, enterprises) with no accepted row or a blocking error, in schema order.

        A required layer is unusable when its file failed (see
        :attr:`Layer.failed`), when every row of it was rejected, or when it
        carries a :data:`BLOCKING_CODES` problem (its CRS is probably wrong).
        """
        blocked = {p.layer for p in self.problems if p.code in BLOCKING_CODES}
        out = []
        for name, schema in LAYERS.items():
            layer = self.layers.get(name)
            if schema.required_layer and layer is not None and (layer.accepted == 0 or name in blocked):
                out.append(name)
        return out

    def require_usable(self) -> None:
        """Refuse an analysis of a folder whose towns or enterprises cannot be used.

        Raises
        ------
        UnusableLayerError
            A required layer is unusable (:meth:`unusable_layers`); the message
            names the layer and file, gives its first error and points to
            ``ipgrid validate``.
        """
        names = self.unusable_layers()
        if not names:
            return
        parts = []
        for name in names:
            layer = self.layers[name]
            first = next((p.message for p in self.problems if p.layer == name and p.severity == "error"),
                         "没有导入任何一行")
            parts.append(f"{LAYERS[name].label}图层（{layer.file}）无法使用：{first}")
        msg = "；".join(parts) + "。请运行 ipgrid validate 查看问题清单，修正后再试"
        raise UnusableLayerError(msg)

    @property
    def is_demo(self) -> bool:
        """Whether every view must carry the 示例数据 label."""
        return self.config.district.demo
