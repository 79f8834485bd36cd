"""The fact catalogue: rules name only declared facts and values, and every rule can fire."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.rules.catalogue import Catalogue, FactType
from assistant.rules.engine import Rule, RuleBase, RuleFileError, load_rules
from assistant.rules.facts import reachable_values, readings

RULEBASE = RuleBase.load()
CATALOGUE = Catalogue.load()


def _write_rule(tmp_path: Path, when: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "- id: x.bad\n  region: Norrbotten\n  topic: boundary\n"
        f"  when: {when}\n  then: \"kommunens ansvar\"\n"
        "  decision: {kind: ansvar, value: kommun}\n"
        "  source: {doc: d.txt, quote: \"q\"}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("when,complaint", [
    ("{region: Norrbotten, hemsjukvard: true}", "okänt faktum 'hemsjukvard'"),
    ("{region: Norrbotten, use: utomhusbruk}", "okänt värde 'utomhusbruk'"),
    ("{region: Norrbotten, use: {in: [inomhus, ute]}}", "okänt värde 'ute'"),
    ("{region: Norrbotten, home_care: ja}", "ja/nej-faktum"),
    ("{region: Norrbotten, age: {over: 18}}", "okänd operator"),
    ("{any: [{region: Norrbotten}, {regoin: Dalarna}]}", "okänt faktum 'regoin'"),
])
def test_loader_rejects_unknown_facts_values_and_operators(tmp_path: Path, when: str,
                                                           complaint: str) -> None:
    with pytest.raises(RuleFileError) as err:
        load_rules(_write_rule(tmp_path, when))
    assert complaint in str(err.value)
    assert "bad.yaml" in str(err.value) and "x.bad" in str(err.value)


def test_loader_reads_an_alias_as_its_value(tmp_path: Path) -> None:
    rule = load_rules(_write_rule(tmp_path, "{region: norrbotten, topic: överrapportering}"))[0]
    assert rule.when == {"region": "Norrbotten", "topic": "överrapportering av förskrivaransvar"}
    decision = RuleBase([rule]).decide({"region": "Norrbotten", "topic": "överrapportering"})
    assert decision.rule is rule


def test_every_fact_has_a_type_a_label_and_a_question() -> None:
    for spec in CATALOGUE.facts.values():
        assert isinstance(spec.type, FactType)
        assert spec.label and spec.ask.startswith("ange "), spec.name
        assert spec.type is not FactType.ENUM or spec.values, spec.name


def test_phrasing_names_only_catalogue_facts_and_values() -> None:
    for reading in readings():
        spec = CATALOGUE.spec(reading.fact)
        assert spec is not None
        for value, phrases in reading.values:
            assert phrases, f"{reading.fact}={value!r} has no phrase"
            if spec.type is FactType.ENUM:
                assert value in spec.values
            if spec.type is FactType.BOOLEAN:
                assert isinstance(value, bool)


def _leaves(when, out):
    for key, cond in when.items():
        if key in ("all", "any"):
            for sub in cond:
                _leaves(sub, out)
        elif isinstance(cond, dict):
            for op, arg in cond.items():
                if op in ("in", "not"):
                    # A "not" value need not be reachable; "in" needs one reachable value.
                    out.append((key, tuple(arg) if isinstance(arg, list) else (arg,), op))
                else:
                    out.append((key, None, op))
        else:
            out.append((key, (cond,), "eq"))
    return out


@pytest.mark.parametrize("rule", RULEBASE.rules, ids=lambda r: r.id)
def test_every_rule_can_fire_from_a_question(rule: Rule) -> None:
    for fact, values, op in _leaves(rule.when, []):
        reachable = reachable_values(fact)
        assert reachable is None or reachable, f"{rule.id}: nothing reads {fact!r}"
        if reachable is None or values is None or op == "not":
            continue
        assert set(values) & reachable, (
            f"{rule.id}: {fact} = {values} can never be read from a question "
            f"(the reader gives {sorted(map(str, reachable))}); add a phrase in "
            "rules/catalogue/phrasing.yaml")
