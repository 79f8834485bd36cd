"""The question back: a fact the case leaves out that would change the verdict, with the
outcome the rules give for each of its values.

A prescriber in front of a patient needs one question ("Hur gammal är patienten? Under 18 år
→ regionen · 18 år eller äldre → i huvudsak kommunen"), not a list of exceptions that might
apply. Only facts the catalogue gives a `question:` are asked back; their values come from the
catalogue (enum, ja/nej) or from the thresholds the rules compare them with (integers).

Example:
    >>> rb = RuleBase.load()
    >>> back = question_back(rb, {"region": "Norrbotten", "iso_code": "093303"})
    >>> back.fact, [(o.label, o.outcome) for o in back.options]
    ('age', [('under 18 år', 'regionen'), ('18 år eller äldre', 'i huvudsak kommunen')])
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping

from assistant.rules.catalogue import Catalogue, FactSpec, FactType
from assistant.rules.engine import Decision, Rule, RuleBase, conditions, evaluate
from assistant.rules.wording import outcome_party, outcome_words
from core.values import FactOption, FactQuestion

# Enough for every question the rule base can branch on; bounds the decides per question.
_MAX_FACTS = 6


def question_back(rulebase: RuleBase, facts: Mapping[str, Any], day: date | None = None,
                  topics: Iterable[str] = (), decision: Decision | None = None
                  ) -> FactQuestion | None:
    """The missing fact whose values lead to different verdicts (every value deciding, then
    the most outcomes, then catalogue order), or None when no missing fact would change the
    outcome. An option's `outcome` is empty when
    that value still leaves the case undecided."""
    catalogue = Catalogue.load()
    day = day or date.today()
    topics = frozenset(topics)
    known = {k for k, v in facts.items() if v is not None}
    # A condition that already fails stays failed whatever is added, so only the rules that
    # apply or are still open can decide once a fact is known.
    live = [r for r in rulebase.rules
            if r.valid_on(day) and r.speaks_to(topics)
            and evaluate(r.when, facts).state is not False]
    small = RuleBase(live)
    parties_of = {r.id: outcome_party(r) for r in live}
    now = decision or small.decide(facts, day, topics=topics)
    asked = _askable(live, known, catalogue)
    best: tuple[tuple[bool, int], FactQuestion] | None = None
    for fact in asked[:_MAX_FACTS]:
        spec = catalogue.facts[fact]
        if spec.type is FactType.INTEGER:
            options = _ranges(spec, [(low, _option(small, facts, day, topics, fact, value, ""))
                                     for low, value in _intervals(_boundaries(fact, live))])
        else:
            options = [_option(small, facts, day, topics, fact, value, label)
                       for value, label in _choices(spec)]
        # Choices that give the same party differ only in wording ("regionen", "vårdcentralen
        # (regionen)"): compared by party when every decided choice names one.
        parties = [parties_of.get(o.rule_id or "", "") for o in options if o.outcome]
        decided = (set(parties) if parties and all(parties)
                   else {o.outcome for o in options if o.outcome})
        # Worth asking when the answers lead apart, or when an undecided case gets a verdict
        # for at least one of them (an option without an outcome needs more facts still).
        if not (len(decided) >= 2 or (decided and now.verdict is None)):
            continue
        # The fact whose every answer decides, and that splits the case most, is asked first;
        # catalogue order breaks ties.
        rank = (all(o.outcome for o in options), len(decided))
        if best is None or rank > best[0]:
            best = (rank, FactQuestion(fact, spec.question, tuple(options), spec.unit))
    return best[1] if best else None


def _askable(rules: list[Rule], known: set[str], catalogue: Catalogue) -> list[str]:
    """Missing facts the rules name and the catalogue asks back, in catalogue order."""
    named: set[str] = set()
    for rule in rules:
        named.update(key for key, _ in conditions(rule.when))
    return [f for f, spec in catalogue.facts.items()
            if f in named and f not in known and spec.question]


def _choices(spec: FactSpec) -> list[tuple[Any, str]]:
    if spec.type is FactType.BOOLEAN:
        return [(True, "Ja"), (False, "Nej")]
    if spec.type is FactType.ENUM:
        return list(spec.values.items())
    return []


def _boundaries(fact: str, rules: list[Rule]) -> list[int]:
    """Where a rule's comparison of the fact flips: `lt 18` and `gte 18` flip at 18,
    `lte 17` and `gt 17` at 18 too."""
    found = {int(arg) + (1 if op in ("lte", "gt") else 0)
             for rule in rules for key, cond in conditions(rule.when)
             if key == fact and isinstance(cond, Mapping)
             for op, arg in cond.items()
             if isinstance(arg, (int, float)) and not isinstance(arg, bool)}
    return sorted(found)


def _intervals(bounds: list[int]) -> list[tuple[int | None, int]]:
    """Each interval between the boundaries as (its lowest value, None below the first
    boundary; a value in it to decide with)."""
    return [(None, bounds[0] - 1), *((b, b) for b in bounds)] if bounds else []


def _ranges(spec: FactSpec, tried: list[tuple[int | None, FactOption]]) -> list[FactOption]:
    """Adjacent intervals with the same outcome as one choice, labelled by its range
    ("under 18 år", "18 år eller äldre"); each choice re-asks with its lowest value."""
    merged: list[tuple[int | None, FactOption]] = []
    for low, option in tried:
        if merged and merged[-1][1].outcome == option.outcome:
            continue
        merged.append((low, option))
    unit = f" {spec.unit}" if spec.unit else ""
    out: list[FactOption] = []
    for i, (low, option) in enumerate(merged):
        high = merged[i + 1][0] if i + 1 < len(merged) else None
        if low is None and high is not None:
            label, value = f"under {high}{unit}", high - 1
        elif high is None:
            label, value = f"{low}{unit} eller {'äldre' if spec.unit == 'år' else 'mer'}", low
        else:
            label = f"{low}–{high - 1}{unit}" if high - 1 > low else f"{low}{unit}"
            value = low
        out.append(FactOption(value, label, option.outcome, option.rule_id))
    return out


def _option(rulebase: RuleBase, facts: Mapping[str, Any], day: date, topics: frozenset[str],
            fact: str, value: Any, label: str) -> FactOption:
    decision = rulebase.decide({**facts, fact: value}, day, topics=topics)
    if decision.verdict is None or decision.rule is None:
        return FactOption(value, label, "")
    return FactOption(value, label, outcome_words(decision.rule), decision.rule.id)
