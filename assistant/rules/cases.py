"""YAML test cases beside the rules (facts in, verdict out), run by pytest and the CLI.

A case gives either `facts:` (canonical facts, or the gold set's names) or `question:` (with
an optional `history:` of earlier questions): then the facts are read from the text as the
checker reads them, so the case tests the phrasing as well as the rule.

`run_cases(rulebase)` runs every case in `assistant/rules/tests/` (tests/test_rules.py runs
each as a test of its own).

Example:
    >>> rb = RuleBase.load()
    >>> case = {"facts": {"region": "Kronoberg", "age": 17, "product_area": "förflyttning"},
    ...         "verdict": "regionens ansvar", "rule": "kronoberg.boundary.alder.barn"}
    >>> run_case(rb, "17 år", case).ok
    True
    >>> run_case(rb, "fel", {**case, "verdict": "kommunens ansvar"}).problem
    ... # doctest: +NORMALIZE_WHITESPACE
    "verdict 'regionens ansvar (barn till och med 17 år)' from kronoberg.boundary.alder.barn,
     expected 'kommunens ansvar'"
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from assistant.frame import answered_only_by, lead_decisions, never_answered_by, read_frame
from assistant.rules.engine import RULES_DIR, Decision, RuleBase
from assistant.rules.facts import extract_facts, infer_topics, normalize_facts

CASES_DIR = RULES_DIR / "tests"


@dataclass(frozen=True)
class CaseResult:
    name: str
    ok: bool
    problem: str
    decision: Decision


def load_cases(folder: Path = CASES_DIR) -> list[tuple[str, dict[str, Any]]]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append((f"{path.stem}: {case['name']}", case))
    return cases


def run_case(rulebase: RuleBase, name: str, case: dict[str, Any]) -> CaseResult:
    if "question" in case:
        as_of = case.get("as_of")
        read = extract_facts(case["question"], case.get("history") or (),
                             as_of=date.fromisoformat(str(as_of)) if as_of else None,
                             rulebase=rulebase)
        # As the checker is asked: the kind of decision the question's first part asks for,
        # and without a named topic the kinds that alone may decide it.
        frame = read_frame(case["question"])
        decision = rulebase.decide(read.facts, date_explicit=read.date_explicit,
                                   topics=case.get("topics") or read.topics,
                                   lead=lead_decisions(frame),
                                   only=frozenset() if read.topics else answered_only_by(frame),
                                   never=never_answered_by(frame))
    else:
        facts = normalize_facts(case["facts"])
        decision = rulebase.decide(facts, date_explicit="date" in case["facts"],
                                   topics=case.get("topics") or infer_topics(facts))
    problem = ""
    if "missing" in case and (decision.verdict is not None
                              or not set(case["missing"]) <= set(decision.missing)):
        problem = f"expected missing {case['missing']}, got {decision.verdict or decision.missing}"
    elif case.get("undecided") and decision.verdict is not None:
        rule = decision.rule.id if decision.rule else None
        problem = f"decided {decision.verdict!r} by {rule}; no rule decides this question"
    elif "verdict" in case:
        if decision.verdict is None:
            problem = f"no verdict (missing {list(decision.missing)}; {list(decision.trace)})"
        elif str(case["verdict"]).lower() not in f"{decision.verdict} {decision.computed}".lower():
            rule = decision.rule.id if decision.rule else None
            problem = f"verdict {decision.verdict!r} from {rule}, expected {case['verdict']!r}"
    if not problem and "rule" in case and (decision.rule is None
                                           or decision.rule.id != case["rule"]):
        problem = f"decided by {decision.rule.id if decision.rule else None}, not {case['rule']}"
    return CaseResult(name, not problem, problem, decision)


def run_cases(rulebase: RuleBase, folder: Path = CASES_DIR) -> list[CaseResult]:
    return [run_case(rulebase, name, case) for name, case in load_cases(folder)]
