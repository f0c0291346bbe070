"""The argparse ``type=`` checkers of the command line: each gives a Chinese message that echoes the value.

They live apart from :mod:`dashboard.cli` so that subcommands defined
elsewhere (:mod:`dashboard.bigscreen.cli`, which :mod:`dashboard.cli`
imports) can use them without an import cycle.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def positive_number(unit: str = "") -> Callable[[str], float]:
    """An argparse ``type``: a finite number > 0 (in ``unit``), else a Chinese message echoing the value.

    argparse puts the option's name before the message (``参数 --cell-m：应为…``).

    Examples
    --------
    >>> positive_number("米")("250")
    250.0
    """
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value <= 0:
            msg = f"应为大于 0 的数{f'（{unit}）' if unit else ''}，而不是 {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse


def integer_in(low: int, high: int, what: str = "") -> Callable[[str], int]:
    """An argparse ``type``: a whole number in ``[low, high]``, else a Chinese message naming ``what``.

    Examples
    --------
    >>> integer_in(1, 7)(" 5")
    5
    """
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            msg = f"{what}应为 {low}–{high} 之间的整数，而不是 {text!r}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse
