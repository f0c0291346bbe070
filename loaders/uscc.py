"""Unified Social Credit Codes (统一社会信用代码, GB 32100-2015).

An 18-character code; the last character is a check digit over the first 17,
in base 31 with the alphabet below (no I, O, Z, S, V).  A wrong check digit is
usually a typo: the row is kept and the code reported.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pandas as pd

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
_VALUE = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(ALPHABET):
    _VALUE[ord(_c)] = _i


def normalize_uscc(code: object) -> str | None:
    """Upper-case, half-width, no spaces; ``None`` for blanks."""
    if code is None or (isinstance(code, float) and np.isnan(code)):
        return None
    s = unicodedata.normalize("NFKC", str(code)).replace(" ", "").strip().upper()
    return s or None


def normalize_uscc_series(codes: pd.Series) -> pd.Series:
    """:func:`normalize_uscc` over a column of text (or ``None``), vectorized."""
    out = pd.Series(None, index=codes.index, dtype=object)
    present = codes.notna().to_numpy()
    if present.any():
        s = codes[present].astype(str).str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
        s = s.str.upper()
        out[present] = s.where(s != "", None)
    return out


def check_digit(first17: str) -> str:
    """The check character for the first 17 characters of a code.

    Examples
    --------
    >>> check_digit("91320612MA1MXXXX0")[0] in ALPHABET
    True
    """
    values = np.array([ALPHABET.index(c) for c in first17], dtype=np.int64)
    return ALPHABET[(31 - int((values * WEIGHTS).sum()) % 31) % 31]


def uscc_faults(codes: pd.Series) -> pd.Series:
    """Why each code is not a valid USCC (Chinese text), or ``None`` when it is.

    ``codes`` should be normalized (:func:`normalize_uscc_series`).
    Vectorized over the well-formed codes, so 100,000 codes check in
    milliseconds.
    """
    norm = codes
    faults = pd.Series(None, index=codes.index, dtype=object)
    present = norm.notna()
    lengths = norm.str.len()
    faults[present & (lengths != 18)] = "长度不是 18 位"
    candidates = present & (lengths == 18)
    ascii_ok = norm[candidates].str.isascii()
    faults[ascii_ok[~ascii_ok].index] = "含有不允许的字符"
    idx = ascii_ok[ascii_ok].index
    if len(idx) == 0:
        return faults
    raw = np.frombuffer("".join(norm[idx]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    values = _VALUE[raw]
    bad_char = np.asarray((values < 0).any(axis=1), dtype=bool)
    expected = (31 - (values[:, :17] * WEIGHTS).sum(axis=1) % 31) % 31
    bad_check = ~bad_char & (expected != values[:, 17])
    faults[idx[bad_char]] = "含有不允许的字符（不用 I、O、Z、S、V）"
    letters = np.array(list(ALPHABET))
    for pos in np.flatnonzero(bad_check).tolist():
        faults[idx[pos]] = f"校验位错误（应为 {letters[expected[pos]]}）"
    return faults
