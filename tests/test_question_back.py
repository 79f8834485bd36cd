"""The question back: a missing fact that changes the verdict, with each value's outcome."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.query import understand
from assistant.rules.branches import question_back
from assistant.rules.check import RuleChecker
from assistant.rules.engine import RuleBase

DAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def rulebase() -> RuleBase:
    return RuleBase.load()


def test_age_splits_a_product_row_into_child_and_adult(rulebase):
    back = question_back(rulebase, {"region": "Norrbotten", "iso_code": "181210"}, DAY)
    assert back is not None and back.fact == "age" and back.unit == "år"
    assert back.question == "Hur gammal är patienten?"
    assert [(o.label, o.outcome) for o in back.options] == [
        ("under 18 år", "regionen"), ("18 år eller äldre", "kommunen (hembesök krävs)")]


def test_an_enum_fact_offers_every_value(rulebase):
    back = question_back(rulebase, {"region": "Norrbotten", "iso_code": "120606", "age": 70},
                         DAY)
    assert back is not None and back.fact == "use"
    outcomes = {o.value: o.outcome for o in back.options}
    assert outcomes == {"inomhus": "i huvudsak kommunen", "utomhus": "vårdcentralen (regionen)"}


def test_integer_intervals_are_merged_by_outcome(rulebase):
    back = question_back(rulebase, {"vaccine": "hpv", "orderer": "sjuksköterska 3 hp"}, DAY)
    assert back is not None and back.fact == "age"
    assert [(o.label, o.outcome) for o in back.options] == [
        ("under 18 år", "nej"), ("18–26 år", "ja"), ("27 år eller äldre", "nej")]


def test_no_question_when_the_missing_facts_change_nothing(rulebase):
    case = {"region": "Norrbotten", "iso_code": "181210", "age": 80, "housing": "ordinärt boende",
            "home_care": False, "can_reach_vardcentral": True}
    assert question_back(rulebase, case, DAY) is None


@pytest.mark.parametrize("facts", [
    {"region": "Norrbotten", "iso_code": "093303"},
    {"region": "Norrbotten", "iso_code": "120606"},
    {"vaccine": "kikhosta", "orderer": "specialistsjuksköterska"},
    {"vaccine": "hpv", "orderer": "sjuksköterska 3 hp"},
])
def test_each_choice_leads_to_its_own_outcome(rulebase, facts):
    back = question_back(rulebase, facts, DAY)
    assert back is not None and {o.outcome for o in back.options} - {""}
    for option in (o for o in back.options if o.outcome):
        decision = rulebase.decide({**facts, back.fact: option.value}, DAY)
        assert decision.rule is not None and decision.rule.id == option.rule_id


def test_the_checker_asks_back_and_a_given_fact_decides(rulebase):
    checker = RuleChecker(rulebase)
    question = "Vilken huvudman skriver ut duschstolen som min patient i Kiruna behöver?"
    first = checker.check(question, "Kommunens ansvar.", as_of=DAY)
    back = first.rule_check.question
    assert back is not None and back.fact == "age"
    child = next(o for o in back.options if o.outcome == "regionen")
    second = checker.check(question, "Kommunens ansvar.", as_of=DAY,
                           given={"age": child.value})
    assert second.rule_check.rule_id == child.rule_id
    assert second.rule_check.status == "corrected"
    assert second.rule_check.given == {"age": child.value}


def test_a_question_naming_another_region_than_the_sidebar_wins():
    query = understand("Vem förskriver en rollator i Kalix?", region="Stockholm",
                       known_regions={"Norrbotten", "Stockholm"})
    assert query.region == "Norrbotten" and query.set_aside == "Stockholm"
    kept = understand("Vem förskriver en rollator?", region="Stockholm",
                      known_regions={"Norrbotten", "Stockholm"})
    assert kept.region == "Stockholm" and kept.set_aside is None
