"""Loaders: from the files a district office has to canonical layers and a problems report.

The package root is the API; modules behind it may move.
"""

from __future__ import annotations

from loaders.bundle import DataBundle, Layer
from loaders.config import FolderConfig, read_config
from loaders.errors import (
    ConfigError,
    DataFolderError,
    EmptyFileError,
    IpgridError,
    MissingLayerError,
    UnsupportedFileError,
)
from loaders.folder import load_folder
from loaders.problems import Problem, ProblemLog

__all__ = [
    "DataBundle",
    "FolderConfig",
    "Layer",
    "Problem",
    "ProblemLog",
    "load_folder",
    "read_config",
    "ConfigError",
    "DataFolderError",
    "EmptyFileError",
    "IpgridError",
    "MissingLayerError",
    "UnsupportedFileError",
]
