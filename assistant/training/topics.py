"""The topic table: what a course is about, which rules belong to it, scenarios to compare.

Example:
    >>> TOPICS["delegering"].label
    'Delegering'
    >>> sorted({rule.region for rule in rules_for(RuleBase.load(), "delegering", ["Dalarna"])})
    ['Dalarna', 'nationell']
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from assistant.rules.engine import Rule, RuleBase

NATIONAL = "nationell"


@dataclass(frozen=True)
class Scenario:
    """A situation to compare across regions: facts without the region."""

    label: str
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class Topic:
    key: str
    label: str
    intro: str
    rule_topics: tuple[str, ...]  # the rule base's `topic` values
    include: tuple[str, ...] = ()  # extra rule-id patterns (fnmatch)
    exclude: tuple[str, ...] = ()
    terms: str = ""  # the retrieval query for the topic's passages
    scenarios: tuple[Scenario, ...] = ()


TOPICS: dict[str, Topic] = {t.key: t for t in (
    Topic(
        "gränsdragning", "Gränsdragning",
        "Vem ansvarar för hjälpmedlet – regionen (landstinget) eller kommunen? Avgörs av ålder, "
        "hemsjukvård, boende, produktområde och, i Norrbotten, av översikten per ISO-kod.",
        rule_topics=("boundary",), include=("norrbotten.process.*",),
        terms="gränsdragning ansvar kommun region landsting hjälpmedel hembesök hemsjukvård "
              "vårdcentral ålder",
        scenarios=(
            Scenario("Barn under 18 år", {"age": 10}),
            Scenario("Vuxen med hemsjukvård", {"age": 80, "home_care": True}),
            Scenario("Vuxen i särskilt boende", {"age": 80, "housing": "särskilt boende"}),
            Scenario("Hörselhjälpmedel till en vuxen", {"age": 70, "product_area": "hörsel"}),
            Scenario("Rollator för utomhusbruk, vuxen som tar sig till vårdcentralen",
                     {"age": 80, "iso_code": "120606", "product": "rollator", "use": "utomhus",
                      "home_care": False, "can_reach_vardcentral": True,
                      "housing": "ordinärt boende"}),
        ),
    ),
    Topic(
        "förskrivningsrätt", "Förskrivningsrätt",
        "Vem får förskriva hjälpmedel: legitimation, uppdrag från verksamhetschefen, "
        "förskrivarutbildning, anställning och vårdavtal – och hur regionerna ser på "
        "förskrivning av icke-legitimerad personal.",
        rule_topics=("prescribing_rights",),
        include=("survey.icke_legitimerad.*", "dalarna.process.*"),
        terms="förskrivningsrätt förskrivare legitimation verksamhetschef förskrivarutbildning "
              "vårdavtal icke legitimerad personal",
        scenarios=(
            Scenario("Icke legitimerad personal vill förskriva",
                     {"licensed": False, "topic": "icke-legitimerad förskrivning"}),
            Scenario("Anställd hos privat vårdgivare utan vårdavtal",
                     {"employer": "privat vårdgivare", "care_agreement": False}),
        ),
    ),
    Topic(
        "delegering", "Delegering",
        "När en arbetsuppgift får delegeras, till vem och hur länge ett delegeringsbeslut gäller.",
        rule_topics=("delegation",), include=("survey.delegering.*",),
        terms="delegering delegeringsbeslut arbetsuppgift legitimation kompetens högst ett år",
        scenarios=(
            Scenario("Delegering till personal utan legitimation",
                     {"receiver_licensed": False,
                      "topic": "delegering till ej legitimerad personal"}),
        ),
    ),
    Topic(
        "vaccination", "Vaccination",
        "Vem får ordinera vaccin mot HPV och kikhosta, före och efter ändringen av "
        "sjuksköterskors behörighet den 1 november 2025.",
        rule_topics=("vaccination",),
        terms="ordinera vaccin HPV kikhosta sjuksköterska specialistsjuksköterska behörighet",
    ),
    Topic(
        "avgifter", "Avgifter",
        "Egenavgifter, patientavgifter, uteblivandeavgifter och hyror för hjälpmedel.",
        rule_topics=("fees",),
        terms="egenavgift patientavgift uteblivandeavgift hjälpmedel avgift kr hyra",
    ),
)}



def topic_regions(rule_base: RuleBase, topic_key: str) -> list[str]:
    """Regions with at least one rule of the topic (national rules apply everywhere)."""
    topic = TOPICS[topic_key]
    return sorted({r.region for r in rule_base.rules
                   if _in_topic(r, topic) and r.region != NATIONAL})


def course_regions(rule_base: RuleBase, indexed: Iterable[str] = ()) -> list[str]:
    """Regions a course can be made for: those with rules of their own, and those with
    indexed documents (`indexed`), which the passages can cover without a rule."""
    return sorted({r.region for r in rule_base.rules if r.region != NATIONAL} | set(indexed))


def rules_for(rule_base: RuleBase, topic_key: str, regions: Iterable[str] = ()) -> list[Rule]:
    """The topic's rules for these regions, national rules included (all regions if none)."""
    topic = TOPICS[topic_key]
    wanted = {r.casefold() for r in regions}
    return [r for r in rule_base.rules if _in_topic(r, topic)
            and (not wanted or r.region == NATIONAL or r.region.casefold() in wanted)]


def _in_topic(rule: Rule, topic: Topic) -> bool:
    if any(fnmatch.fnmatchcase(rule.id, p) for p in topic.exclude):
        return False
    return rule.topic in topic.rule_topics or any(
        fnmatch.fnmatchcase(rule.id, p) for p in topic.include)
