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
