"""Which data folder the app shows, and loading it once per change of its files.

The folder is ``$IPGRID_DATA`` when set, else the bundled demo district
(:data:`geodata.DEMO_DIR`, found beside the package, not in the working
directory).  :func:`load_bundle` is cached per (folder, signature): editing,
adding or removing a file changes the signature and the next run reloads.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

import loaders
from geodata import DEMO_DIR
from loaders.bundle import DataBundle

DATA_ENV = "IPGRID_DATA"
"""Environment variable naming the data folder."""

DEFAULT_DATA_FOLDER: Path = DEMO_DIR
"""Folder shown when :data:`DATA_ENV` is not set: the synthetic demo district."""

IGNORED_PREFIXES = (".", "~$", ".~lock")
"""Names of editor lock files and hidden files, left out of the signature."""

Signature = tuple[tuple[str, int, int], ...]
"""(relative path, size in bytes, mtime in ns) of every file, sorted by path."""


def data_folder() -> Path:
    """Return the data folder the app shows.

    Returns
    -------
    Path
        ``$IPGRID_DATA`` resolved against the working directory when set,
        else :data:`DEFAULT_DATA_FOLDER`.
    """
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        return DEFAULT_DATA_FOLDER
    return Path(value).expanduser().resolve()


def folder_signature(folder: str | os.PathLike[str]) -> Signature:
    """Describe the files of ``folder`` cheaply enough to run on every rerun.

    Parameters
    ----------
    folder
        The data folder (searched recursively).

    Returns
    -------
    Signature
        One (relative path, size, mtime) tuple per file; empty when the
        folder does not exist, so loading then reports the missing folder.

    Examples
    --------
    >>> folder_signature("/nonexistent")
    ()
    """
    root = Path(folder)
    if not root.is_dir():
        return ()
    entries = []
    for path in sorted(root.rglob("*")):
        if path.name.startswith(IGNORED_PREFIXES) or not path.is_file():
            continue
        stat = path.stat()
        entries.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


@st.cache_resource(show_spinner="正在读取数据…", max_entries=4)
def load_bundle(folder: str, signature: Signature) -> DataBundle:
    """Load ``folder`` once per signature; shared by every session, so never mutate it.

    Parameters
    ----------
    folder
        The data folder.
    signature
        :func:`folder_signature` of ``folder``; only part of the cache key.

    Returns
    -------
    DataBundle
        Canonical layers, problems and settings of the folder.

    Raises
    ------
    loaders.IpgridError
        The folder cannot be loaded (missing, no towns, unreadable file, bad
        ``ipgrid.toml``); not cached, so fixing the files fixes the app.
    """
    del signature  # part of the cache key only
    return loaders.load_folder(Path(folder))


def current_bundle() -> DataBundle:
    """Load the folder of :func:`data_folder` (cached).

    Returns
    -------
    DataBundle
        See :func:`load_bundle`.
    """
    folder = data_folder()
    return load_bundle(str(folder), folder_signature(folder))
