"""User-fixable errors raised while opening a data folder.

Row-level faults are not exceptions: they go to the problems report
(:mod:`loaders.problems`).  The exceptions here are for faults that stop a
layer or a whole folder from being read at all; the CLI turns each into one
Chinese line and exit code 2, never a traceback.
"""

from __future__ import annotations


class IpgridError(Exception):
    """Base of every error a user can fix by changing their files or settings."""


class DataFolderError(IpgridError, ValueError):
    """The data folder is missing, unreadable or has no usable layers."""


class MissingLayerError(DataFolderError):
    """A required layer (towns or enterprises) has no file in the folder."""


class UnsupportedFileError(DataFolderError):
    """A layer file has an extension or content that no loader can read."""


class EmptyFileError(DataFolderError):
    """A layer file exists but holds no data rows or features."""


class CorruptFileError(UnsupportedFileError):
    """A layer file is damaged, truncated, or not the format its extension says (an HTML page named .xls)."""


class HeaderNotFoundError(DataFolderError):
    """No header of the layer is in the rows searched; ``header_row`` in ``ipgrid.toml`` points to it."""


class DuplicateHeaderError(DataFolderError):
    """Two columns of a table carry the same header of a field, so which one holds the data is unknown."""


class UnusableLayerError(DataFolderError):
    """A required layer was read but has nothing an analysis can use (its problems say why)."""


class ConfigError(DataFolderError):
    """``ipgrid.toml`` cannot be parsed or names an unknown layer, field or value."""


class EngineInputError(IpgridError, ValueError):
    """An analysis was asked for with a value the user can fix (unknown level or metric, a bad cell size)."""


class LayerCrsError(DataFolderError):
    """A layer the engine needs has no coordinate reference system declared."""


class GridSizeError(EngineInputError):
    """Generated grid cells would be too many to hold in memory: the cell size is too small for the area."""


class ChoiceError(IpgridError, ValueError):
    """A choice the user made (classification, page size, a big-screen setting) is not one the product offers."""


class GeneratedGridTooLargeError(GridSizeError):
    """Generated cells would exceed the folder's maximum; the figures are kept so each interface words the fix."""

    def __init__(self, message: str, *, cell_m: float, cells: int, limit: int, fit_m: float, areas: str) -> None:
        super().__init__(message)
        self.cell_m = cell_m
        """The cell size asked for (metres)."""
        self.cells = cells
        """Cells that size would lay out before clipping."""
        self.limit = limit
        """The most cells allowed (``[settings] max_generated_cells``)."""
        self.fit_m = fit_m
        """The smallest whole-metre cell size that stays within ``limit``."""
        self.areas = areas
        """What the cells would cover, in Chinese (镇街, 园区)."""


class FolderChoiceError(DataFolderError):
    """A folder typed in the app is outside the allowed roots, missing, or not a folder."""


class FolderScanError(DataFolderError):
    """The data folder cannot be listed cheaply: it holds too many files, or it cannot be read."""


class StoreError(IpgridError):
    """A store cannot be opened or written: not a store, a newer format, a database that refuses."""


class DistrictRequiredError(StoreError):
    """A store of several districts was asked for a version without saying which district."""


class DistrictNotFoundError(StoreError, ValueError):
    """A district the store does not hold (the message lists those it has)."""


class StoreBusyError(StoreError):
    """Another import or change holds the store; this one waited and gave up, nothing was written."""


class VersionNotFoundError(StoreError, ValueError):
    """No version of the store has the as-of date asked for (the message lists those it has)."""


class ImportRefusedError(StoreError):
    """An import was refused before anything was written: the folder has errors, or a date is not a date."""
