"""The bench's output: one line per peer and per scenario, then a summary."""

from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass
class Line:
    key: str
    """``peer`` or the scenario letter."""
    label: str
    figure: str
    comparison: str = ""
    target: str = ""
    holds: bool | None = None
    """None: a line without a target (a peer, or a figure shown for information)."""
    note: str = ""
    database: str = ""
    short: str = ""
    """How the summary names the line, when the key alone is ambiguous."""

    @property
    def verdict(self) -> str:
        if self.holds is None:
            return ""
        return "HOLDS" if self.holds else "MISS"

    def __str__(self) -> str:
        text = f"{self.key:<4} {self.label:<40} {self.figure:>17}"
        if self.comparison or self.target or self.holds is not None:
            text += f"   {self.comparison:<32} {self.target:<17} {self.verdict:<5}"
        if self.note:
            text += f"  {self.note}"
        return text.rstrip()


def rate(per_s: float, unit: str = "orders/s") -> str:
    return f"{per_s:,.0f} {unit}"


def ratio(value: float, peer_key: str, peer_per_s: float | None) -> tuple[str, float | None]:
    """'ratio 1.8× saleor-hot (670/s)' and the ratio itself (None without the peer)."""
    if not peer_per_s:
        return f"no {peer_key} figure", None
    r = value / peer_per_s
    shown = f"{r:.0f}" if r >= 10 else f"{r:.1f}" if r >= 1 else f"{r:.2f}"
    return f"ratio {shown}× {peer_key} ({peer_per_s:,.0f}/s)", r


def emit(line: Line) -> Line:
    print(line, flush=True)
    return line


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


def summary(lines: list[Line], broken: list[str], elapsed_s: float, clean: bool) -> str:
    parts: list[str] = []
    for database in ("postgresql", "sqlite"):
        judged = [ln for ln in lines if ln.database == database and ln.holds is not None]
        if not judged:
            continue
        held = sum(1 for ln in judged if ln.holds)
        misses = ", ".join(ln.short or ln.key for ln in judged if not ln.holds)
        parts.append(f"{database} {held}/{len(judged)} targets hold"
                     + (f" (miss: {misses})" if misses else ""))
    parts.append("no oversell, every invariant holds" if clean
                 else "OVERSELL OR INVARIANT FINDINGS (see the lines above)")
    if broken:
        parts.append(f"BENCH BROKE in {', '.join(broken)}")
    minutes, seconds = divmod(round(elapsed_s), 60)
    parts.append(f"{minutes} min {seconds:02d} s")
    return "summary  " + " · ".join(parts)
