"""What every benchmark shares: wall-clock timing of repeated runs."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``fn`` (report their median)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


@dataclass
class Errors:
    """Everything that went wrong, by kind (first few messages kept)."""

    counts: dict[str, int] = field(default_factory=dict)
    first: list[str] = field(default_factory=list)

    def add(self, kind: str, text: str) -> None:
        """Count one error of ``kind``."""
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.first) < 10:
            self.first.append(f"{kind}: {text[:300]}")

    @property
    def total(self) -> int:
        """Errors of every kind."""
        return sum(self.counts.values())


def free_port() -> int:
    """A free TCP port on the loopback interface (for a benchmark's own server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
