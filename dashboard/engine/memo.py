"""The one cache of the product: results computed once per key, shared safely between threads.

Streamlit serves every session from threads of one process, so two sessions
opening the same page at once must not compute the same table twice, and a
cache must never hand out half-built values.  :class:`Memo` gives each key its
own lock: concurrent callers of one key wait for the first, callers of other
keys go on.  A bounded memo drops the least recently used entry first.

The engine memoises its tables with it, the app keeps its loaded folders in
one, and the big screen its last good snapshot.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """Values by key, each computed once.

    Parameters
    ----------
    entries
        Most entries kept (least recently used dropped first); ``None`` keeps all.

    Examples
    --------
    >>> memo = Memo(entries=2)
    >>> memo.get("a", lambda: 1), memo.get("a", lambda: 2)
    (1, 1)
    """

    def __init__(self, entries: int | None = None) -> None:
        if entries is not None and entries < 1:
            msg = f"a bounded memo keeps at least one entry, got entries={entries}"
            raise ValueError(msg)
        self.entries = entries
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._guard:
            return key in self._items

    def peek(self, key: Hashable) -> Any | None:
        """The value of ``key`` if it has been computed, else ``None`` (computes nothing)."""
        with self._guard:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of ``key``, calling ``compute()`` the first time (other callers of ``key`` wait)."""
        with self._guard:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[no-any-return]  # stored by compute() for this key
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._items:
                    return self._items[key]  # type: ignore[no-any-return]
            value = compute()
            self.put(key, value)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` for ``key`` (replacing any), dropping the oldest entries beyond the bound."""
        with self._guard:
            self._items[key] = value
            self._items.move_to_end(key)
            while self.entries is not None and len(self._items) > self.entries:
                old, _ = self._items.popitem(last=False)
                self._locks.pop(old, None)

    def discard(self, keep: Callable[[Hashable], bool]) -> None:
        """Drop every entry whose key ``keep`` rejects."""
        with self._guard:
            for key in [k for k in self._items if not keep(k)]:
                del self._items[key]
                self._locks.pop(key, None)

    def clear(self) -> None:
        """Drop every entry."""
        with self._guard:
            self._items.clear()
            self._locks.clear()
