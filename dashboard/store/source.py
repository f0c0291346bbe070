"""What every command and the app accept as data: a folder of files, or a store with a version date."""

from __future__ import annotations

import os
from pathlib import Path

from dashboard.store.backends import is_database_url
from dashboard.store.store import Store
from loaders import DataBundle, load_folder
from loaders.errors import StoreError


def is_store_location(text: str | os.PathLike[str]) -> bool:
    """Whether ``text`` names a store (a ``.gpkg`` file or a ``postgresql://`` URL) rather than a folder.

    >>> is_store_location("数据/ipgrid.gpkg"), is_store_location("postgresql://db/ipgrid"), is_store_location("数据")
    (True, True, False)
    """
    value = os.fspath(text).strip()
    return is_database_url(value) or (Path(value).suffix.lower() == ".gpkg" and not Path(value).is_dir())


def open_data(location: str | os.PathLike[str], *, as_of: str | None = None, analysis: bool = True,
              district: str | None = None) -> DataBundle:
    """The layers at ``location``: a folder read by the loaders, or a store's version ``as_of`` (default: the latest).

    ``district`` chooses one district of a store of several.

    Raises
    ------
    loaders.errors.StoreError
        ``as_of`` or ``district`` given for a folder, or the store cannot be opened.
    loaders.errors.VersionNotFoundError
        The store has no version in force for ``as_of``.
    loaders.errors.DistrictRequiredError, loaders.errors.DistrictNotFoundError
        The store holds several districts and ``district`` names none of them.
    """
    if is_store_location(location):
        store = Store(location)
        bundle = (store if district is None else store.for_district(district)).open_bundle(as_of)
        if analysis:
            bundle.require_usable()
        return bundle
    for given, option in ((as_of, "--as-of"), (district, "--district")):
        if given is not None:
            msg = f"{option} 只用于存储（.gpkg 文件或 postgresql:// 地址）；「{os.fspath(location)}」是数据文件夹"
            raise StoreError(msg)
    return load_folder(Path(location), analysis=analysis)
