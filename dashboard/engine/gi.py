"""Geographic indications as tables: each GI with its protection range, and its authorised users matched to firms.

The GI layer (:data:`loaders.schema.LAYERS` ``gi_areas``) lists authorised users as one text cell; the 地理标志
page and its download show them matched to the enterprise list by exact name (the only key a GI register gives).
"""

from __future__ import annotations

import re

import pandas as pd

from dashboard.engine.formats import text_of

GI_COLUMNS = ("name", "category", "towns", "holder", "year", "users")
"""Columns of :func:`gi_table`."""

USER_COLUMNS = ("name", "town", "industry", "has_ip", "address")
"""Columns of :func:`match_users`."""

_SEPARATORS = re.compile(r"[、，,；;\n]+")


def split_users(text: object) -> list[str]:
    """Authorised users listed in one cell (``、``, commas, semicolons or lines between them).

    Examples
    --------
    >>> split_users("甲公司、乙公司；丙合作社")
    ['甲公司', '乙公司', '丙合作社']
    """
    return [part.strip() for part in _SEPARATORS.split(text_of(text)) if part.strip()]


def gi_table(gi: pd.DataFrame) -> pd.DataFrame:
    """The GI layer as a table: the protection range as listed, else the towns the loader resolved."""
    out = pd.DataFrame({c: gi.get(c) for c in GI_COLUMNS})
    if "towns_resolved" in gi:
        out["towns"] = gi["towns_resolved"].where(gi["towns_resolved"].notna(), out["towns"])
    return out.reset_index(drop=True)


def match_users(users: list[str], firms: pd.DataFrame) -> pd.DataFrame:
    """One row per listed user with the town, industry and holdings of the firm of that exact name (else empty).

    Examples
    --------
    >>> firms = pd.DataFrame({"name": ["甲公司"], "town": ["甲镇"], "industry": ["纺织"], "has_ip": [True],
    ...                       "address": ["一路 1 号"]})
    >>> match_users(["甲公司", "外地公司"], firms)["town"].tolist()
    ['甲镇', nan]
    """
    known = firms[firms["name"].astype(str).isin(set(users))].drop_duplicates("name")
    return pd.DataFrame({"name": users}).merge(known[list(USER_COLUMNS)], on="name", how="left")
