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


@pytest.mark.parametrize(("question", "asked"), [
    ("Gäller det den 2024-02-30 i Norrbotten?", "2024-07-01"),  # the year it names
    ("Gäller det den 9999-99-99 eller 0000-01-01 i Norrbotten?", TODAY.isoformat()),
    ("Vad gäller den 31 februari 2024 för rollator i Norrbotten?", "2024-07-01"),
    ("Hyr en rollator från den 31 februari till den 40 mars i Kronoberg", "2026-07-01"),
    ("Vad kostar en hörapparat i Kronoberg efter den 31 december 9999?", "9999-12-31"),
    ("Vad kostar en hörapparat i Kronoberg före januari 0001?", "0001-01-01"),
])
def test_an_impossible_date_in_a_question_names_no_day(rulebase, question, asked):
    """A question may hold any numbers; before, each of these stopped the rule check with a
    ValueError or OverflowError ("month must be in 1..12", "date value out of range")."""
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase).facts
    assert facts["date"] == asked
    rulebase.decide(facts)


def test_a_delegation_period_past_the_calendar_or_into_a_century_year_is_read() -> None:
    """Months are added with the real calendar: 2100 is no leap year (before: year % 4 made
    2100-02-29, a ValueError), and a period past year 9999 holds to its last day (before:
    OverflowError)."""
    from assistant.rules.facts import _add_months, _last_day

    assert _add_months(date(2096, 2, 29), 48) == date(2100, 2, 28)
    assert _add_months(date(2025, 3, 1), 99_999_999_999) == date.max
    assert _last_day(date(2025, 3, 1), 99_999_999_999) == date.max
    assert _last_day(date(2025, 3, 1), 12) == date(2026, 2, 28)


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


def _decide(rulebase, question):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    return facts, rulebase.decide(facts.facts, date_explicit=facts.date_explicit,
                                  topics=frozenset(facts.topics))


@pytest.mark.parametrize(("question", "age"), [
    ("Som distriktssköterska, får jag ge kikhostevaccin åt en femåring?", 5),
    ("Får en tolvårig flicka HPV-vaccin av mig som distriktssköterska?", 12),
    ("En tjugotreåring vill ha HPV-vaccinet; får jag som distriktssköterska ge det?", 23),
])
def test_an_age_written_in_words_is_the_patients_age(rulebase, question, age):
    assert _decide(rulebase, question)[0].facts["age"] == age


@pytest.mark.parametrize(("question", "verdict"), [
    # more credits than the threshold meet it; fewer do not
    ("Utan specialistutbildning men med 7,5 hp inom vaccinationsverksamhet: är jag som "
     "sjuksköterska behörig att ordinera HPV-vaccinet åt en 21-åring i januari 2026?", "ja"),
    ("Nurse here, no specialist training, 4.5-credit course in vaccination done. Am I allowed "
     "to order the HPV shot for someone aged 20 in February 2026?", "ja"),
    ("Utan specialistutbildning och med bara 1,5 hp vaccinationslära: är jag som sjuksköterska "
     "behörig att ordinera HPV-vaccinet åt en 21-åring i januari 2026?", "nej"),
])
def test_credits_are_compared_with_the_threshold(rulebase, question, verdict):
    assert _decide(rulebase, question)[1].verdict.startswith(verdict)


@pytest.mark.parametrize(("question", "outcome"), [
    # a locality, not the municipality, names where the patient lives
    ("Mannen i Rottne, 70 år, behöver armbågskryckor efter en operation. Vem lämnar ut dem?",
     "regionens ansvar"),
    ("Hon är 81, bor i Braås och behöver en planerare med påminnelser för dagen. Vem förskriver "
     "den, kommunen eller regionen?", "regionens ansvar oavsett ålder"),
])
def test_a_kronoberg_locality_and_a_cognitive_aid_are_read(rulebase, question, outcome):
    facts, decision = _decide(rulebase, question)
    assert facts.facts["region"] == "Kronoberg"
    assert decision.verdict.startswith(outcome)


def test_a_question_of_whether_a_decision_is_needed_reaches_the_boundary_rule(rulebase):
    _, decision = _decide(rulebase, "En protes för 30 000 kr behövs i Växjö. Kan "
                                    "protesen förskrivas direkt?")
    assert "behovsprövning" in decision.verdict


@pytest.mark.parametrize("question", [
    "Arbetsterapeuten, alltså jag, har själv inte provat ut duschstolar. Kan jag delegera "
    "utprovningen till en undersköterska?",
    "Min chef ber mig delegera förskrivning av rollatorer, men jag saknar själv erfarenhet "
    "av det. Får jag delegera?",
])
def test_one_who_lacks_the_skill_cannot_delegate_it(rulebase, question):
    facts, decision = _decide(rulebase, question)
    assert facts.facts.get("delegator_competent") is False
    assert decision.verdict.startswith("nej")


@pytest.mark.parametrize(("question", "code"), [
    ("Vem förskriver toalettförhöjning, den sort man monterar på toaletten, åt kvinnan i Kalix?",
     "091218"),
    ("Får Piteås vårdcentral förskriva fristående toalettförhöjning?", "091212"),
    ("Ramp åt en man i Gällivare, vems uppgift?", "183015"),
    # Another kind than the only listed row: no row decides it.
    ("Ramp som sitter fast vid altanen i Gällivare, vems uppgift?", None),
])
def test_an_everyday_product_word_finds_the_row_of_its_kind(rulebase, question, code):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("iso_code") == code


@pytest.mark.parametrize("question", [
    "Får vår verksamhetschef, som är utbildad civilekonom, delegera förskrivning av "
    "hygienhjälpmedel till undersköterskorna?",
    "Can my unit manager, who is an accountant, sign the delegation so our assistants may "
    "prescribe walkers?",
])
def test_one_who_delegates_from_outside_health_care_is_not_competent(rulebase, question):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("delegator_competent") is False


def test_a_delegation_for_one_visit_named_in_a_compound_is_a_single_occasion(rulebase):
    facts = extract_facts("Jag vill delegera till en fysioterapeut i teamet för ett enstaka "
                          "patientbesök på fredag, går det?", as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("delegation_single_occasion") is True


@pytest.mark.parametrize("question", [
    "An 81-year-old in Kalix, who isn't signed up for home healthcare, gets a lift from her "
    "son to her GP surgery. Which party prescribes her bath board?",
    "My client in Jokkmokk, aged 66, does not receive any home healthcare at all. Which party "
    "prescribes a walking frame?",
])
def test_home_care_denied_in_english_reads_as_none(rulebase, question):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("home_care") is False


@pytest.mark.parametrize(("question", "ends"), [
    # the ending is said of something else in the case, not of the home care
    ("Mannen i Arvidsjaur saknar hemsjukvård och orkar numera inte kliva i badkaret längre. "
     "Vem förskriver badbräda?", False),
    ("Han har inte hemsjukvård, och han vill inte längre åka buss. Vem förskriver rollator?",
     False),
    ("Hemsjukvården för kvinnan i Boden avslutas efter jul. Vad händer då med hennes "
     "hjälpmedel?", True),
    ("Patienten i Kalix behöver inte längre hemsjukvård från kommunen. Vilken huvudman tar "
     "över hjälpmedlen nu?", True),
])
def test_home_care_ending_is_read_only_of_the_home_care(rulebase, question, ends):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    assert (facts.facts.get("topic") == "hemsjukvård upphör") is ends


@pytest.mark.parametrize(("earlier", "followup", "age"), [
    ("Min 20-åriga patient ber om HPV-vaccinering i februari 2026; jag har tre poäng i "
     "vaccinationsverksamhet.", "Hennes storasyster är 30 – omfattas även hon?", 30),
    ("Är distriktssköterskan behörig att ge en 23-åring HPV-vaccinet?",
     "Och hans lillebror fyller 15, då?", 15),
])
def test_a_relative_named_by_a_compound_gives_the_age(rulebase, earlier, followup, age):
    facts = extract_facts(followup, [earlier], as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("age") == age


@pytest.mark.parametrize("question", [
    "Jag är fysioterapeut i Täby och har aldrig arbetat med förflyttningshjälpmedel själv. "
    "Får jag delegera förskrivningen av dem till en kollega?",
    "Our physiotherapist has never worked with hoists herself. May she delegate prescribing "
    "them to an assistant?",
])
def test_one_who_never_worked_with_the_task_cannot_delegate_it(rulebase, question):
    facts = extract_facts(question, as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("delegator_competent") is False


@pytest.mark.parametrize("question", [
    "Patientavgiften 2025 för hjälpmedelsutprovningen som läkaren på ortopedkliniken i "
    "Växjö gör?",
    "What is the fee in Kronoberg in 2025 when a doctor on a hospital ward tries out an aid "
    "with the patient?",
])
def test_a_hospital_clinic_or_ward_is_hospital_care(rulebase, question):
    facts, decision = _decide(rulebase, question)
    assert facts.facts.get("setting") == "sjukhusvård"
    assert decision.verdict.startswith("400 kr")


@pytest.mark.parametrize("question", [
    "Kan en specialistsjuksköterska vaccinera hennes 52-årige make mot kikhosta i mars 2026?",
    "Is a specialist nurse allowed to give the pertussis vaccine to a man of 40 in January "
    "2026?",
])
def test_a_man_is_not_pregnant_so_the_adult_kikhosta_row_is_missing(rulebase, question):
    facts, decision = _decide(rulebase, question)
    assert facts.facts.get("pregnant") is False
    assert decision.verdict.startswith("tas inte upp")


def test_a_pregnancy_named_beside_a_man_still_counts(rulebase):
    facts = extract_facts("Mannen undrar om hans gravida sambo, 31 år, kan få kikhostevaccin "
                          "av distriktssköterskan i januari 2026.", as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("pregnant") is True


@pytest.mark.parametrize(("followup", "item"), [
    ("Men om sonden bara ger henne kring 70 procent av energin?", "halvnutrition"),
    ("What if it covers 30 percent of her energy?", "tilläggsnutrition"),
])
def test_a_followup_share_of_the_need_reprices_the_earlier_fee(rulebase, followup, item):
    earlier = "Hon är 58 och bor i Lessebo; all hennes näring går via sond. Egenavgiften 2025?"
    facts = extract_facts(followup, [earlier], as_of=TODAY, rulebase=rulebase)
    assert facts.facts.get("fee_item") == item
