"""Quality gate: compare a report's summary with the thresholds in a TOML file.

The file has a `[min]` table (metric must be at least this) and an optional `[max]` table
(metric must be at most this, e.g. latency or false refusals). Keys are the summary metric
names of report.json. A metric that was not measured (None) fails: a gate that silently passes
when, say, retrieval was not recorded would hide a regression.

Example:
    >>> check({"answer_correctness": 0.8, "latency_p95_ms": 900.0},
    ...       {"min": {"answer_correctness": 0.85}, "max": {"latency_p95_ms": 1000}})
    ['answer_correctness = 0.800 is below the minimum 0.850']
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


class GateFileError(ValueError):
    """A thresholds file that cannot be used; names the file and the problem."""


def load_thresholds(path: Path | str) -> dict[str, dict[str, float]]:
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise GateFileError(f"{path}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise GateFileError(f"{path}: bad TOML ({exc})") from exc
    unknown = sorted(set(data) - {"min", "max"})
    if unknown:
        raise GateFileError(f"{path}: unknown table(s) {', '.join(unknown)}; use [min] and [max]")
    out: dict[str, dict[str, float]] = {}
    for table in ("min", "max"):
        values = data.get(table, {})
        if not isinstance(values, dict):
            raise GateFileError(f"{path}: [{table}] must be a table")
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise GateFileError(f"{path}: [{table}] {key} must be a number, got {value!r}")
        out[table] = {k: float(v) for k, v in values.items()}
    return out


def check(summary: dict[str, Any], thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Failure messages, one per metric outside its threshold (empty: the gate passes)."""
    failures: list[str] = []
    for table, below in (("min", True), ("max", False)):
        for key, limit in thresholds.get(table, {}).items():
            if key not in summary:
                failures.append(f"{key}: unknown metric in [{table}] (known: "
                                f"{', '.join(sorted(summary))})")
                continue
            value = summary[key]
            if value is None:
                failures.append(f"{key} was not measured (threshold {limit:g})")
            elif below and value < limit:
                failures.append(f"{key} = {value:.3f} is below the minimum {limit:.3f}")
            elif not below and value > limit:
                failures.append(f"{key} = {value:.3f} is above the maximum {limit:.3f}")
    return failures
