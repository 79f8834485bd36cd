"""Describe the machine a benchmark ran on, so that absolute times can be read in context.

Example:
    >>> sorted(describe_machine())
    ['cpu_model', 'load_avg_1m', 'logical_cpus', 'os', 'python', 'ram_gb']
"""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any


def _cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.lower().startswith(("model name", "hardware", "cpu model")):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gb(meminfo: str) -> float | None:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def describe_machine() -> dict[str, Any]:
    """CPU model (/proc/cpuinfo), logical CPUs usable by this process, RAM, OS and Python."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "cpu_model": _cpu_model(_read("/proc/cpuinfo")),
        "logical_cpus": usable,
        "ram_gb": _mem_total_gb(_read("/proc/meminfo")),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }
