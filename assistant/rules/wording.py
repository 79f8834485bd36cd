"""How a rule's decision is said: in English for an English question, in a few Swedish words
for a choice of the question back. The sentences are data (`assistant/data/phrasings.yaml`).

Example:
    >>> from assistant.rules.engine import RuleBase
    >>> rule = RuleBase.load().get("norrbotten.boundary.iso.181210")
    >>> outcome_words(rule)
    'kommunen (hembesök krävs)'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from assistant.rules.engine import Rule, RuleDecision

PHRASINGS_PATH = Path(__file__).resolve().parent.parent / "data" / "phrasings.yaml"


@lru_cache(maxsize=1)
def _phrasings() -> dict[str, list[dict[str, str]]]:
    with PHRASINGS_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _entry(decision: RuleDecision, section: str) -> dict[str, str] | None:
    """The first entry of a `phrasings.yaml` section for the decision's kind (and value, when
    the entry names one)."""
    return next((e for e in _phrasings()[section] if e["kind"] == decision.kind.value
                 and e.get("value", decision.value) == decision.value), None)


def _said(decision: RuleDecision, section: str) -> str:
    """The decision in the words of a section; the decision's own words when none fits."""
    entry = _entry(decision, section)
    return entry["text"].format(value=decision.value) if entry else decision.value


def english_conclusion(rule: Rule) -> str:
    """The rule's conclusion for an English question: an English sentence for its decision,
    then the rule's own Swedish wording ("Yes (ja – …)")."""
    return f"According to the rule check: {_said(rule.decision, 'english_conclusions')} " \
           f"({rule.then.strip()})."


def outcome_words(rule: Rule) -> str:
    """The rule's outcome in a few Swedish words ("kommunen", "ja", "200 kr"): what a choice
    of the question back leads to."""
    return _said(rule.decision, "outcomes")


def outcome_party(rule: Rule) -> str:
    """Whose responsibility the rule's outcome is ("kommun", "region"), or "" when it decides
    something else."""
    entry = _entry(rule.decision, "outcomes")
    return (entry or {}).get("party", "")
