"""A city or province of districts: the engine's work run as one task per district, on Dask or in this process.

:func:`run_batch` is the API (``ipgrid stats STORE --all-districts``);
:mod:`dashboard.scale.tasks` is what a worker runs, :mod:`dashboard.scale.postgis`
the same counts done by PostGIS itself (``--via postgis``).
"""

from __future__ import annotations

from dashboard.scale.batch import BatchResult, district_tasks, run_batch
from dashboard.scale.tasks import DistrictResult, DistrictTask, run_district

__all__ = ["BatchResult", "DistrictResult", "DistrictTask", "district_tasks", "run_batch", "run_district"]
