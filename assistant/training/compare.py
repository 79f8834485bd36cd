"""Regional comparison: each scenario of a topic decided per region by the rule engine.

Example:
    >>> rows = compare_regions(RuleBase.load(), "gränsdragning", ["Norrbotten", "Kronoberg"],
    ...                        date.today(), titles={})
    >>> rows[0].situation
    'Barn under 18 år'
"""

from __future__ import annotations

from datetime import date
from typing import Mapping, Sequence

from assistant.rules.engine import RuleBase
from assistant.training.topics import TOPICS, rules_for, topic_regions
from assistant.training.values import ComparisonRow


def compare_regions(rule_base: RuleBase, topic_key: str, regions: Sequence[str],
                    as_of: date, titles: Mapping[str, str]) -> list[ComparisonRow]:
    """Each scenario of the topic decided per region by the rule engine.

    Empty unless at least two of the chosen regions have rules of their own for the topic.
    """
    topic = TOPICS[topic_key]
    covered = set(topic_regions(rule_base, topic_key))
    chosen = [r for r in regions if r in covered] if regions else sorted(covered)
    if len(chosen) < 2:
        return []
    rule_topics = {r.topic for r in rules_for(rule_base, topic_key, chosen)}
    rows: list[ComparisonRow] = []
    for scenario in topic.scenarios:
        for region in chosen:
            decision = rule_base.decide({**scenario.facts, "region": region}, as_of,
                                        date_explicit=False, topics=rule_topics)
            rule = decision.rule
            if rule is None:
                rows.append(ComparisonRow(scenario.label, region, "", "", "", "", ""))
                continue
            verdict = decision.verdict or "oklart – reglerna går isär: " + "; ".join(
                dict.fromkeys(r.then for r in decision.applicable))
            title = titles.get(rule.source.doc, rule.source.doc)
            rows.append(ComparisonRow(scenario.label, region, verdict, rule.id,
                                      f"{title} – {rule.source.section}", rule.source.quote,
                                      rule.validity))
    return rows
