"""Rule agreement from the gold facts: does the rule base reach each gold verdict when it is
given the gold item's own facts (no extraction from text)? End-to-end agreement, from the
question text, is `rule_agreement` in the main metrics.
"""

from __future__ import annotations

from typing import Any, Sequence

from evals.gold import GoldItem


def gold_fact_agreement(items: Sequence[GoldItem]) -> dict[str, Any]:
    from assistant.rules.engine import RuleBase
    from assistant.rules.facts import infer_topics, normalize_facts

    rulebase = RuleBase.load()
    rows = []
    for item in items:
        if item.rule is None:
            continue
        facts = normalize_facts(item.rule.facts)
        decision = rulebase.decide(facts, date_explicit="date" in facts,
                                   topics=infer_topics(facts))
        verdict = decision.verdict or ""
        rows.append({"id": item.id, "gold": item.rule.verdict, "verdict": verdict or None,
                     "rule": decision.rule.id if decision.rule else None,
                     "agrees": item.rule.verdict.lower() in verdict.lower(),
                     "missing": list(decision.missing)})
    agreed = sum(r["agrees"] for r in rows)
    return {"rule_agreement_gold_facts": agreed / len(rows) if rows else None,
            "n_rule_gold_facts": len(rows), "rule_gold_fact_rows": rows}
