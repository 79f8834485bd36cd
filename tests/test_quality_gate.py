"""The quality gate: every tuned gold set through the real extractive pipeline, against
thresholds.

Fails when a metric drops below `evals/thresholds*.toml` (measured values minus a small margin).
The blind set is never gated: it is scored, not tuned on.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.run import main as evals_main

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.parametrize(("gold", "thresholds"), [
    ("dev.jsonl", "thresholds.toml"),
    ("dev2.jsonl", "thresholds_dev2.toml"),
    ("probe.jsonl", "thresholds_probe.toml"),
    ("probe2.jsonl", "thresholds_probe2.toml"),
    ("probe3.jsonl", "thresholds_probe3.toml"),
    ("probe4.jsonl", "thresholds_probe4.toml"),
    ("probe5.jsonl", "thresholds_probe5.toml"),
    ("probe6.jsonl", "thresholds_probe6.toml"),
    ("probe7.jsonl", "thresholds_probe7.toml"),
    ("probe8.jsonl", "thresholds_probe8.toml"),
    ("probe9.jsonl", "thresholds_probe9.toml"),
    ("probe10.jsonl", "thresholds_probe10.toml"),
    ("probe11.jsonl", "thresholds_probe11.toml"),
    ("probe12.jsonl", "thresholds_probe12.toml"),
    ("probe13.jsonl", "thresholds_probe13.toml"),
    ("probe14.jsonl", "thresholds_probe14.toml"),
    ("probe15.jsonl", "thresholds_probe15.toml"),
    ("probe16.jsonl", "thresholds_probe16.toml"),
    ("probe17.jsonl", "thresholds_probe17.toml"),
    ("probe18.jsonl", "thresholds_probe18.toml"),
    ("probe19.jsonl", "thresholds_probe19.toml"),
    ("probe20.jsonl", "thresholds_probe20.toml"),
    ("probe21.jsonl", "thresholds_probe21.toml"),
    ("probe22.jsonl", "thresholds_probe22.toml"),
])
def test_gold_set_meets_thresholds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gold: str,
                                   thresholds: str) -> None:
    monkeypatch.setenv("HJALP_INDEX_DIR", str(tmp_path / "index"))
    code = evals_main([
        "run", "--set", str(ROOT / "evals" / gold), "--out", str(tmp_path / "reports"),
        "--gate", str(ROOT / "evals" / thresholds), "--no-chart",
    ])
    assert code == 0, f"a metric fell below evals/{thresholds}; see the printed table"
    assert list((tmp_path / "reports").glob("*/report.md"))
