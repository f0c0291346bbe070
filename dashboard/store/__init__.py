"""The store: every quarter's import kept as a version, with audit and assignments — a GeoPackage or PostGIS.

The package root is the API: :class:`Store`, :class:`Version`,
:func:`prepare_import` and :func:`open_data` (a folder or a store, as every
command and the app accept).
"""

from __future__ import annotations

from dashboard.store.backends import is_database_url
from dashboard.store.importer import PreparedImport, prepare_import
from dashboard.store.source import is_store_location, open_data
from dashboard.store.store import Store, Version, checked_date

__all__ = ["PreparedImport", "Store", "Version", "checked_date", "is_database_url", "is_store_location",
           "open_data", "prepare_import"]
