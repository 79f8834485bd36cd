"""Fact extraction and the checker's verdicts on answers (verified / corrected / conflict)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.rules.check import RuleChecker, compare
from assistant.rules.engine import DecisionKind, Rule, RuleBase, RuleDecision, Source
from assistant.rules.facts import extract_facts, normalize_facts

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("question,expected", [
    ("Vem ska förskriva en rollator för utomhusbruk till en 80-årig kvinna i ordinärt boende i "
     "Norrbotten? Hon åker på egen hand till vårdcentralen och saknar hemsjukvård.",
     {"region": "Norrbotten", "age": 80, "use": "utomhus", "housing": "ordinärt boende",
      "home_care": False, "can_reach_vardcentral": True, "product": "rollator"}),
    ("Min patient är 72 år, bor i egen lägenhet och har kommunal hemsjukvård.",
     {"age": 72, "housing": "ordinärt boende", "home_care": True}),
    ("Who is responsible for a stationary lift (ISO 123612) for a 67-year-old in her own home?",
     {"iso_code": "123612", "age": 67, "housing": "ordinärt boende"}),
    ("Jag är distriktssköterska. Får jag ordinera HPV-vaccin till en 20-årig kvinna i december "
     "2025?", {"vaccine": "hpv", "orderer": "specialistsjuksköterska", "age": 20,
               "date": "2025-12-15"}),
    ("Får en sjuksköterska utan specialistutbildning, men med 3 hp i vaccinationskunskap, "
     "ordinera kikhostevaccin till en gravid 16-åring efter 1 november 2025?",
     {"vaccine": "kikhosta", "orderer": "sjuksköterska 3 hp", "pregnant": True, "age": 16,
      "date": "2025-11-02"}),
    ("Before the November 2025 change, could I order HPV vaccine for a boy born in 2013 in "
     "year 6?", {"date": "2025-10-31", "sex": "pojke", "birth_year": 2013, "school_year": 6}),
    ("Kan vi utse en undersköterska utan legitimation till förskrivare?",
     {"profession": "undersköterska", "licensed": False, "request": "förskrivningsrätt"}),
    ("Får jag delegera till en rehabassistent utan legitimation som har kompetens för uppgiften?",
     {"receiver_licensed": False, "receiver_has_task_competence": True}),
    ("Kan jag skriva ett delegeringsbeslut som gäller i två år?", {"delegation_months": 24}),
    ("En patient uteblir från en utprovning hos fysioterapeuten på vårdcentralen. Avgift?",
     {"fee_type": "uteblivandeavgift", "staff": "annan vårdpersonal", "setting": "primärvård"}),
    ("Hjälpmedlet kostar 18 000 kronor.", {"amount_kr": 18000}),
    # thousands grouped the English way or with a point
    ("The orthosis is priced at 27,500 kr.", {"amount_kr": 27500}),
    ("Offerten lyder på 1.250 kr.", {"amount_kr": 1250}),
])
def test_extracts_canonical_facts(question: str, expected: dict) -> None:
    facts = extract_facts(question, as_of=TODAY).facts
    for key, value in expected.items():
        assert facts.get(key) == value, f"{key}: {facts.get(key)!r} != {value!r} in {facts}"


def test_follow_up_inherits_and_overrides_earlier_facts() -> None:
    first = "Min patient är 72 år, bor i Kiruna och har hemsjukvård. Hon behöver armbågskryckor."
    facts = extract_facts("Och om det i stället gäller en 12-åring?", history=[first],
                          as_of=TODAY).facts
    assert facts["age"] == 12 and facts["home_care"] is True and facts["region"] == "Norrbotten"


def test_default_date_is_today_and_not_explicit() -> None:
    extracted = extract_facts("Vem förskriver en rollator?", as_of=TODAY)
    assert extracted.facts["date"] == "2026-11-25" and not extracted.date_explicit


def test_normalize_maps_other_names_onto_canonical_facts() -> None:
    facts = normalize_facts({"nurse_category": "specialistutbildad (distriktssköterska)",
                             "patient_age": 16, "patient_group": "minderårig gravid",
                             "vaccine": "HPV"})
    assert facts == {"orderer": "specialistsjuksköterska", "age": 16, "pregnant": True,
                     "vaccine": "hpv"}


@pytest.mark.parametrize("kind,value,answer,agrees,contradicts", [
    ("ansvar", "kommun", "… är kommunernas ansvar.", True, False),
    ("ansvar", "kommun", "… landstingets ansvar …", False, True),
    ("ja_nej", "ja", "Ja, det får du.", True, False),
    ("ja_nej", "nej", "Ja.", False, True),
    ("ja_nej", "nej", "Ett delegeringsbeslut gäller högst ett år.", False, False),
    ("ja_nej", "nej", "No, a decision holds for one year at most.", True, False),
    ("belopp", "800 kr per år", "Elrullstolar 800 kr per år", True, False),
    ("belopp", "300 kr", "Patientavgift 150 kr", False, True),
    ("belopp", "35% av kostnaden", "Patienten betalar 35% av kostnaden.", True, False),
    ("kategori", "vårdcentral i första hand",
     "Vårdcentralen i första hand för rollator för utomhusanvändning.", True, False),
    ("part", "Thord", "Ortopedtekniska hjälpmedel förskrivs i Thord.", True, False),
    ("part", "Thord", "Förskriv i Beställningsportalen.", False, False),
])
def test_compare_answer_with_decision(kind: str, value: str, answer: str, agrees: bool,
                                      contradicts: bool) -> None:
    assert compare(RuleDecision(DecisionKind(kind), value), answer) == (agrees, contradicts)


def test_every_rule_declares_a_typed_decision_its_conclusion_opens_with() -> None:
    for rule in RuleBase.load().rules:
        assert isinstance(rule.decision.kind, DecisionKind), rule.id
        if rule.decision.kind is not DecisionKind.ANSVAR:
            assert rule.then.lower().startswith(rule.decision.value.lower()), rule.id


def _rulebase() -> RuleBase:
    src = Source("norrbotten-policy-hjalpmedelsforskrivning-2013.txt", "Bilaga",
                 "120606 Rollator Hembesök rekommenderas")
    return RuleBase([
        Rule(id="t.row", region="Norrbotten", topic="boundary",
             when={"region": "Norrbotten", "iso_code": "120606", "use": "utomhus"},
             then="vårdcentral i första hand – landstingets ansvar", source=src,
             decision=RuleDecision(DecisionKind.KATEGORI, "vårdcentral i första hand"),
             valid_from=date(2013, 2, 1), products=("rollator",)),
        Rule(id="t.home", region="Norrbotten", topic="boundary",
             when={"region": "Norrbotten", "age": {"gte": 18}, "home_care": True},
             then="kommunens ansvar (vuxen med hemsjukvård)", source=src,
             decision=RuleDecision(DecisionKind.ANSVAR, "kommun"),
             valid_from=date(2013, 2, 1), overrides=("t.row",)),
    ])


def test_checker_verifies_an_agreeing_answer() -> None:
    result = RuleChecker(_rulebase()).check(
        "Vem förskriver en utomhusrollator i Norrbotten till en 80-åring utan hemsjukvård?",
        "Vårdcentralen i första hand för rollator för utomhusanvändning.", as_of=TODAY)
    assert result.rule_check.status == "verified"
    assert result.rule_check.rule_id == "t.row"
    assert result.rule_check.citation["quote"] == "120606 Rollator Hembesök rekommenderas"
    # The trace is a field of its own, so no reader takes the explanation apart.
    check = result.rule_check
    assert any(step.startswith("t.row avgör") for step in check.trace)
    assert check.explanation == f"{check.reason} {' → '.join(check.trace)}"


def test_checker_corrects_a_contradicting_answer() -> None:
    result = RuleChecker(_rulebase()).check(
        "Vem förskriver en utomhusrollator i Norrbotten till en 80-åring med hemsjukvård?",
        "Det är landstingets ansvar.", as_of=TODAY)
    assert result.rule_check.status == "corrected"
    assert result.rule_check.verdict.startswith("kommunens ansvar")
    assert result.conclusion.startswith("Enligt regelkontrollen: Kommunens ansvar")


def test_checker_names_missing_facts() -> None:
    result = RuleChecker(_rulebase()).check("Vem förskriver en rollator i Norrbotten?", "…",
                                            as_of=TODAY)
    assert result.rule_check.status == "not_checkable"
    assert any("inomhus eller utomhus" in m for m in result.rule_check.missing_facts)


@pytest.mark.parametrize("follow_up", [
    "Och vem ska förvara beslutet sedan?",
    "And who files the decision afterwards?",
])
def test_a_follow_up_stating_nothing_new_is_not_decided_by_the_earlier_question(follow_up):
    first = "Jag har muntligen delegerat förskrivning av rollatorer till en kollega. Gäller det?"
    checker = RuleChecker(RuleBase.load())
    assert checker.check(first, "…", as_of=TODAY).rule_check.status != "not_checkable"
    later = checker.check(follow_up, "…", history=[first], as_of=TODAY)
    assert later.rule_check.status == "not_checkable" and later.rule_check.verdict is None


def test_a_follow_up_changing_one_fact_is_still_decided() -> None:
    first = "Brukaren i Kiruna, 72 år, har hemsjukvård. Vem förskriver hennes duschstol?"
    later = RuleChecker(RuleBase.load()).check("Och utan hemsjukvård, då?", "…",
                                               history=[first], as_of=TODAY)
    assert later.rule_check.status != "not_checkable"


@pytest.mark.parametrize("follow_up", [
    "Och hennes make, kan jag ge honom en dos också?",
    "What about her husband – can I vaccinate him too?",
])
def test_a_follow_up_about_another_person_does_not_carry_the_patients_pregnancy(follow_up):
    first = ("Som distriktssköterska vill jag ge kikhostevaccin åt en 31-årig gravid "
             "kvinna i december 2025. Går det bra?")
    facts = extract_facts(follow_up, history=[first], as_of=TODAY).facts
    assert "age" not in facts and facts.get("pregnant") is not True
    assert facts["vaccine"] == "kikhosta"


def test_a_relative_who_helps_the_patient_keeps_the_patients_facts() -> None:
    first = "Min patient i Luleå är 80 och har hemsjukvård. Vem förskriver hennes duschstol?"
    facts = extract_facts("Och om hennes son kör henne till vårdcentralen?", history=[first],
                          as_of=TODAY).facts
    assert facts["age"] == 80 and facts["can_reach_vardcentral"] is True
