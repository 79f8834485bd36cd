"""Facts as the rules need them, from questions in other words: dates as the law reads them
(a date that describes the case is not the date of application) and products named in English.

Own wordings (not from any gold set), through the real fact extractor and rule base.
"""

from __future__ import annotations

from datetime import date

import pytest

from assistant.rules.engine import RuleBase
from assistant.rules.facts import extract_facts

TODAY = date(2026, 3, 2)


@pytest.fixture(scope="module")
def rulebase() -> RuleBase:
    return RuleBase.load()


@pytest.mark.parametrize("question", [
    "Min patient har haft diabetes sedan 2020 och är 22 år. Kan hon få HPV-vaccin ordinerat av "
    "mig som distriktssköterska?",
    "Hon fick sin diagnos 2019 och är nu 24 år – är jag som distriktssköterska behörig att "
    "ordinera HPV-vaccin till henne?",
])
def test_a_year_that_describes_the_case_is_not_the_date_of_application(rulebase, question):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    assert facts.facts["date"] == TODAY.isoformat()
    assert not facts.date_explicit


@pytest.mark.parametrize(("question", "born", "asked"), [
    ("En pojke född i mars 2009 kommer på besök i september 2025 för att vaccineras mot HPV. "
     "Är jag som distriktssköterska behörig?", 2009, "2025-09-15"),
    ("Flickan är född den 3 maj 2012 och kommer till mottagningen den 4 december 2025. Kan jag "
     "som distriktssköterska ge henne HPV-vaccin?", 2012, "2025-12-04"),
])
def test_birth_date_and_visit_date_are_told_apart(rulebase, question, born, asked):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase).facts
    assert facts["birth_year"] == born and facts["date"] == asked


@pytest.mark.parametrize(("earlier", "followup", "asked"), [
    ("Kan en distriktssköterska i september 2025 ordinera vaccin mot kikhosta åt en 17-årig "
     "gravid?", "Och om hon kommer den 3 november?", "2025-11-03"),
    ("Could I, working as a district nurse, give a 15-year-old boy the HPV vaccine this "
     "October 2025?",
     "What about on 12 November?", "2025-11-12"),
])
def test_a_day_without_a_year_takes_the_conversations_year(rulebase, earlier, followup, asked):
    facts = extract_facts(followup, [earlier], as_of=TODAY, rulebase=rulebase)
    assert facts.facts["date"] == asked and facts.date_explicit


@pytest.mark.parametrize(("question", "fact", "value"), [
    ("Is an insulin pump for a 50-year-old in Växjö paid by the region or the municipality?",
     "product_area", "insulinpump"),
    ("Who pays for a powered wheelchair for a 30-year-old in Kronoberg?",
     "product_area", "elrullstol"),
])
def test_english_product_names_read_as_the_corpus_words(rulebase, question, fact, value):
    assert extract_facts(question, rulebase=rulebase).facts.get(fact) == value
