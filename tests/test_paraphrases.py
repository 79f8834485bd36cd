"""The same question in other words gets the same conclusion: refusal, rule verdict, lead fact.

`tests/data/paraphrases.yaml` holds dev questions, each with a paraphrase in other Swedish
words and one in the other language (written for this test, not taken from any gold set). A
paraphrase whose conclusion still differs is listed under `known_gaps` there with the reason,
so the test fails both when a listed gap closes (remove it) and when a new one opens.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from assistant.pipeline import Assistant
from core.values import Answer

ROOT = Path(__file__).resolve().parent.parent
DATA = yaml.safe_load((ROOT / "tests" / "data" / "paraphrases.yaml").read_text("utf-8"))
# The originals stay in the gold file; the paraphrases name them by id.
DEV = {row["id"]: row["question"] for row in (
    json.loads(line) for line in (ROOT / "evals" / "dev.jsonl").read_text("utf-8").splitlines()
    if line.strip())}
ITEMS = [{**item, "original": DEV[item["id"]]} for item in DATA]
KNOWN_GAPS = {(item["id"], g["paraphrase"]): g["reason"]
              for item in DATA for g in item.get("known_gaps", [])}
CASES = [(item["id"], n, item["original"], text)
         for item in ITEMS for n, text in enumerate(item["paraphrases"], start=1)]


def conclusion(answer: Answer) -> tuple[bool, str | None, str | None]:
    """(refused, the rule's verdict when it decided, the first amount stated)."""
    decided = answer.rule_check.status in ("verified", "corrected", "conflict")
    amount = re.search(r"(\d[\d ]*)\s?kr\b", answer.text)
    return (answer.refused, answer.rule_check.verdict if decided else None,
            amount.group(1).replace(" ", "") if amount and not answer.refused else None)


@pytest.fixture(scope="module")
def assistant(bundled_index) -> Assistant:
    settings, _ = bundled_index
    return Assistant.from_settings(settings)


@pytest.mark.slow
@pytest.mark.parametrize(("item_id", "n", "original", "paraphrase"), CASES,
                         ids=[f"{c[0]}-p{c[1]}" for c in CASES])
def test_paraphrase_reaches_the_same_conclusion(assistant: Assistant, item_id: str, n: int,
                                                original: str, paraphrase: str) -> None:
    same = conclusion(assistant.ask(paraphrase)) == conclusion(assistant.ask(original))
    if (item_id, n) in KNOWN_GAPS:
        assert not same, f"known gap closed: remove {item_id} paraphrase {n} from known_gaps"
        pytest.xfail(KNOWN_GAPS[(item_id, n)])
    assert same


def test_every_known_gap_names_a_paraphrase() -> None:
    for item_id, n in KNOWN_GAPS:
        assert any(c[0] == item_id and c[1] == n for c in CASES), (item_id, n)
