"""What one benchmark reports, and the options every benchmark reads."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BenchOptions", "Result"]


@dataclass(frozen=True)
class BenchOptions:
    quick: bool = False
    """Fewer and smaller runs: the smoke run CI keeps alive (under two minutes on 2 cores)."""
    datasets: tuple[Path, ...] = ()
    """Extra RCAEval-layout datasets for the RCA ranking benchmark (besides ../shared/datasets)."""
    model: str | None = None
    """Chat model for the LLM efficiency benchmark (default: ANDON_MODEL)."""
    workdir: Path = Path(".andon-bench")
    """Scratch space shared by the run's benchmarks (the runner gives each run a fresh one)."""

    def pick(self, full: Any, quick: Any) -> Any:
        """``quick`` under --quick, else ``full``."""
        return quick if self.quick else full


@dataclass
class Result:
    name: str
    title: str
    measured: str
    """What was measured, in one or two sentences."""
    target: str
    """The target the benchmark is held to, or ``none (reported)``."""
    runs: int
    """How many runs the headline numbers are medians of."""
    headline: str = ""
    """The numbers for the table, e.g. ``p50 4 ms · p99 31 ms``."""
    met: bool | None = None
    """Whether the target was met; None when there is no target, the benchmark was skipped or failed."""
    skipped: str | None = None
    """Why the benchmark did not run (a missing key or package), with what to do about it."""
    error: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    hardware: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    """Wall time of the whole benchmark."""

    @property
    def verdict(self) -> str:
        if self.error:
            return "error"
        if self.skipped:
            return "skipped"
        if self.met is None:
            return "reported"
        return "met" if self.met else "missed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"verdict": self.verdict}
