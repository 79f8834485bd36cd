"""Course material for trainers: the rules of a topic, the passages behind them, a comparison
across regions and a short quiz, exported as Markdown or PDF.

Everything decisive comes from the rule base (`assistant/rules/`), so the material says what the
checker enforces, with each rule's verbatim source quote and validity; passages come from the
retriever. Long enumerations (Norrbotten's ~90 ISO rows, Kronoberg's fee table) become compact
tables instead of bullets.

Example:
    >>> course = build_course(RuleBase.load(), "gränsdragning", ["Norrbotten", "Kronoberg"])
    >>> len(course.iso_rows) > 50, course.comparison[0].situation
    (True, 'Barn under 18 år')
    >>> md = to_markdown(course)            # str; to_pdf(course) -> bytes
"""

from __future__ import annotations

import fnmatch
import random
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from assistant.rules.engine import Rule, RuleBase

if TYPE_CHECKING:
    from assistant.retrieve import HybridRetriever

NATIONAL = "nationell"
# A group of rules from one section with more rules than this is shown as a table.
TABLE_FROM = 6
MAX_CHOICES = 4  # quiz alternatives are offered only for closed answer sets up to this size


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


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class KeyRule:
    """One rule as course material (rules with the same statement and quote merged)."""

    rule_ids: tuple[str, ...]
    region: str
    statement: str
    verdict: str
    conditions: str
    doc: str
    doc_title: str
    section: str
    quote: str
    validity: str
    valid_now: bool
    warning: str = ""


@dataclass(frozen=True)
class RuleGroup:
    region: str
    section: str
    doc_title: str
    rules: tuple[KeyRule, ...]

    @property
    def as_table(self) -> bool:
        return len(self.rules) > TABLE_FROM


@dataclass(frozen=True)
class IsoRow:
    region: str
    code: str
    product: str
    use: str
    category: str  # "hembesök krävs" | "hembesök rekommenderas" | "vårdcentral i första hand"
    responsibility: str  # "kommunens ansvar", "i huvudsak landstingets (regionens) ansvar" …
    verdict: str
    quote: str
    rule_id: str
    validity: str


@dataclass(frozen=True)
class PassageRef:
    chunk_id: str
    doc: str
    title: str
    section: str
    location: str
    text: str
    regions: tuple[str, ...]


@dataclass(frozen=True)
class ComparisonRow:
    situation: str
    region: str
    verdict: str  # "" when no rule decides
    rule_id: str
    source: str  # "<title> – <section>"
    quote: str
    validity: str


@dataclass(frozen=True)
class QuizItem:
    question: str
    answer: str  # the short answer (decisive words of the rule's verdict)
    explanation: str  # the rule's full verdict
    choices: tuple[str, ...]
    rule_id: str
    source: str
    quote: str
    validity: str


@dataclass
class Course:
    topic: Topic
    regions: tuple[str, ...]
    as_of: date
    groups: list[RuleGroup] = field(default_factory=list)
    iso_rows: list[IsoRow] = field(default_factory=list)
    iso_source: str = ""
    passages: list[PassageRef] = field(default_factory=list)
    comparison: list[ComparisonRow] = field(default_factory=list)
    quiz: list[QuizItem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        where = ", ".join(self.regions) if self.regions else "alla regioner"
        return f"{self.topic.label} – {where}"


# --------------------------------------------------------------------------- selecting rules

def topic_regions(rule_base: RuleBase, topic_key: str) -> list[str]:
    """Regions with at least one rule of the topic (national rules apply everywhere)."""
    topic = TOPICS[topic_key]
    return sorted({r.region for r in rule_base.rules
                   if _in_topic(r, topic) and r.region != NATIONAL})


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


def key_rules(rules: Sequence[Rule], titles: Mapping[str, str], as_of: date
              ) -> tuple[list[RuleGroup], list[IsoRow]]:
    """Rules grouped by region and source section (duplicates merged); ISO rows apart."""
    iso_rows: list[IsoRow] = []
    merged: dict[tuple[str, str, str], KeyRule] = {}
    for rule in rules:
        if "iso_code" in rule.when:
            iso_rows.append(_iso_row(rule))
            continue
        statement = rule.answer or rule.then
        key = (rule.region, statement, rule.source.quote)
        if key in merged:
            old = merged[key]
            merged[key] = KeyRule(**{**old.__dict__, "rule_ids": (*old.rule_ids, rule.id)})
            continue
        merged[key] = KeyRule(
            rule_ids=(rule.id,), region=rule.region, statement=statement, verdict=rule.then,
            conditions=describe_conditions(rule.when), doc=rule.source.doc,
            doc_title=titles.get(rule.source.doc, rule.source.doc),
            section=rule.source.section, quote=rule.source.quote, validity=rule.validity,
            valid_now=rule.valid_on(as_of), warning=rule.warning)
    groups: dict[tuple[str, str], list[KeyRule]] = {}
    for item in merged.values():
        groups.setdefault((item.region, item.section), []).append(item)
    out = [RuleGroup(region, section, items[0].doc_title, tuple(items))
           for (region, section), items in groups.items()]
    iso_rows.sort(key=lambda r: (r.region, r.code, r.use))
    return out, iso_rows


def _iso_row(rule: Rule) -> IsoRow:
    product = rule.products[0] if rule.products else ""
    head, _, tail = rule.then.partition(" – ")
    return IsoRow(region=rule.region, code=str(rule.when["iso_code"]), product=product,
                  use=str(rule.when.get("use", "")), category=rule.category or head,
                  responsibility=_drop_parenthetical(tail), verdict=rule.then,
                  quote=rule.source.quote, rule_id=rule.id, validity=rule.validity)


def _drop_parenthetical(text: str) -> str:
    return re.sub(r"\s*\([^()]*\)$", "", text).strip() or text.strip()


# --------------------------------------------------------------------------- conditions in words

_BOOL_WORDS: dict[str, tuple[str, str]] = {
    "home_care": ("med hemsjukvård", "utan hemsjukvård"),
    "can_reach_vardcentral": ("som kan uppsöka vårdcentralen",
                              "som inte kan uppsöka vårdcentralen"),
    "licensed": ("som är legitimerad", "som inte är legitimerad"),
    "appointed_by_manager": ("utsedd av verksamhetschefen", "som inte är utsedd av "
                                                            "verksamhetschefen"),
    "training_completed": ("med genomgången förskrivarutbildning",
                           "utan genomgången förskrivarutbildning"),
    "care_agreement": ("med vårdavtal", "utan vårdavtal"),
    "receiver_licensed": ("till legitimerad personal", "till personal utan legitimation"),
    "receiver_has_task_competence": ("som har kompetens för uppgiften",
                                     "som saknar kompetens för uppgiften"),
    "pregnant": ("gravida", "som inte är gravida"),
}
_PREFIX: dict[str, str] = {
    "housing": "i ", "employer": "anställd av ", "product_area": "inom ", "setting": "i ",
    "staff": "hos ", "profession": "", "orderer": "", "request": "", "fee_item": "",
    "fee_type": "", "product": "", "topic": "", "use": "för ", "sex": "",
}
_NUMBER_UNITS = {"age": "år", "delegation_months": "månader", "amount_kr": "kr",
                 "school_year": "", "birth_year": ""}
_NUMBER_NAMES = {"school_year": "årskurs", "birth_year": "födda", "amount_kr": "värde"}
_VACCINES = {"hpv": "HPV-vaccin", "kikhosta": "vaccin mot kikhosta"}
_ORDERERS = {"sjuksköterska 3 hp": "sjuksköterska med minst 3 hp i vaccinationsverksamhet",
             "sjuksköterska": "sjuksköterska utan specialistutbildning och utan 3 hp i "
                              "vaccinationsverksamhet"}
# Keys whose `in:` lists are synonyms of one thing: name the first, not all of them.
_SYNONYM_KEYS = {"fee_item", "product", "request", "topic"}


def describe_conditions(when: Mapping[str, Any], skip: Iterable[str] = ("region",)) -> str:
    """A rule's conditions in Swedish words, e.g. 'under 18 år, med hemsjukvård'.

    >>> describe_conditions({"region": "Norrbotten", "age": {"gte": 18}, "home_care": True})
    '18 år eller äldre, med hemsjukvård'
    """
    skipped = set(skip)
    parts = [_describe(key, cond) for key, cond in when.items() if key not in skipped]
    return ", ".join(p for p in parts if p)


def _describe(key: str, cond: Any) -> str:
    if key in ("any", "all"):
        subs = [describe_conditions(sub, ()) for sub in cond]
        return (" eller " if key == "any" else ", ").join(s for s in subs if s)
    if key == "vaccine":
        return _VACCINES.get(str(cond).lower(), str(cond))
    if key == "orderer" and isinstance(cond, str):
        return _ORDERERS.get(cond, cond)
    if key in _BOOL_WORDS and isinstance(cond, bool):
        yes, no = _BOOL_WORDS[key]
        return yes if cond else no
    if key in _NUMBER_UNITS:
        return _number(key, cond)
    if key == "use":
        return f"för {cond}bruk"
    prefix = _PREFIX.get(key, "")
    if isinstance(cond, Mapping):
        if "in" in cond:
            values = [str(v) for v in cond["in"]]
            return prefix + (values[0] if key in _SYNONYM_KEYS else _or_list(values))
        if "not" in cond:
            return f"inte {cond['not']}"
        return ""
    return f"{prefix}{cond}"


def _number(key: str, cond: Any) -> str:
    unit = _NUMBER_UNITS[key]
    name = _NUMBER_NAMES.get(key, "")

    def fmt(n: Any) -> str:
        return " ".join(x for x in (name, str(n), unit) if x)

    if not isinstance(cond, Mapping):
        return fmt(cond)
    low = cond.get("gte", None if "gt" not in cond else f">{cond['gt']}")
    high = cond.get("lte", None if "lt" not in cond else f"<{cond['lt']}")
    if "gte" in cond and "lte" in cond:
        return " ".join(x for x in (name, f"{cond['gte']}–{cond['lte']}", unit) if x)
    if "lt" in cond:
        return f"under {fmt(cond['lt'])}"
    if "gt" in cond:
        return f"över {fmt(cond['gt'])}"
    if "gte" in cond:
        return f"{fmt(cond['gte'])} eller " + ("senare" if key == "birth_year" else
                                               "högre" if key == "school_year" else "äldre"
                                               if key == "age" else "mer")
    if "lte" in cond:
        return f"{fmt(cond['lte'])} eller " + ("tidigare" if key == "birth_year" else
                                               "lägre" if key == "school_year" else "yngre"
                                               if key == "age" else "mindre")
    return fmt(low or high or "")


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " eller " + items[-1]


# --------------------------------------------------------------------------- comparison

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
                r.then for r in decision.applicable)
            title = titles.get(rule.source.doc, rule.source.doc)
            rows.append(ComparisonRow(scenario.label, region, verdict, rule.id,
                                      f"{title} – {rule.source.section}", rule.source.quote,
                                      rule.validity))
    return rows


# --------------------------------------------------------------------------- quiz

def short_answer(verdict: str) -> str:
    """The decisive words of a verdict: 'hembesök krävs – kommunens ansvar' → 'hembesök krävs'.

    >>> short_answer("200 kr (patientavgift vid utprovning)")
    '200 kr'
    """
    return _drop_parenthetical(verdict.split(" – ", 1)[0])


def quiz_answer(rule: Rule) -> str:
    """The answer a quiz expects: the decisive words, or for an ISO row category and owner."""
    if "iso_code" in rule.when:
        return _drop_parenthetical(rule.then)
    return short_answer(rule.then)


def quiz_question(rule: Rule, topic_key: str) -> str | None:
    """A question whose answer is the rule's verdict, or None if the rule cannot be asked."""
    when = dict(rule.when)
    where = f" i {rule.region}" if rule.region != NATIONAL else ""
    if "iso_code" in when:
        product = rule.products[0] if rule.products else "hjälpmedlet"
        use = f" för {when['use']}bruk" if "use" in when else ""
        return f"Vem ansvarar för {product} (ISO {when['iso_code']}){use}{where}?"
    if "topic" in when:
        subject = _describe("topic", when["topic"])
        extra = describe_conditions(when, ("region", "topic"))
        extra = f" ({extra})" if extra else ""
        if rule.topic == "survey":
            return f"Vad svarade {rule.region} i enkäten om {subject}{extra}?"
        return f"Vad gäller för {subject}{extra}{where}?"
    desc = describe_conditions(when)
    if topic_key == "gränsdragning":
        return f"Vem ansvarar för hjälpmedel till en patient {desc}{where}?" if desc else None
    if topic_key == "förskrivningsrätt":
        if "request" in when:
            rest = describe_conditions(when, ("region", "request"))
            return f"Vad gäller för {when['request']}{f' ({rest})' if rest else ''}{where}?"
        return f"Får personal {desc} förskriva hjälpmedel{where}?" if desc else None
    if topic_key == "delegering":
        if "delegation_months" in when:
            return f"Får ett delegeringsbeslut gälla {_describe('delegation_months', when['delegation_months'])}?"  # noqa: E501
        return f"Kan en arbetsuppgift delegeras {desc}{where}?" if desc else None
    if topic_key == "vaccination":
        who = _describe("orderer", when.get("orderer", "")) or "vem som helst"
        vaccine = _describe("vaccine", when.get("vaccine", ""))
        target = describe_conditions(when, ("region", "orderer", "vaccine"))
        if target[:1].isdigit():
            target = "personer " + target
        period = (f" (t.o.m. {rule.valid_to.isoformat()})" if rule.valid_to else
                  f" (från {rule.valid_from.isoformat()})" if rule.valid_from else "")
        return (f"Får en {who} ordinera {vaccine}"
                f"{f' till {target}' if target else ''}{period}?")
    if topic_key == "avgifter":
        any_first = when.pop("any", [{}])[0]
        when.update({k: v for k, v in any_first.items() if k not in when})
        noun = f"{when['fee_type']}en" if isinstance(when.get("fee_type"), str) else "avgiften"
        item = when.get("fee_item")
        item_text = f" för {_describe('fee_item', item)}" if item else ""
        staff = f" för utprovning av hjälpmedel hos {when['staff']}" if "staff" in when else ""
        setting = f" i {when['setting']}" if "setting" in when else ""
        age = f" ({_number('age', when['age'])})" if "age" in when else ""
        year = f" ({rule.valid_from.year})" if rule.valid_from else ""
        return f"Vad är {noun}{item_text}{staff}{setting}{age}{where}{year}?"
    return None


def make_quiz(rules: Sequence[Rule], topic_key: str, titles: Mapping[str, str],
              size: int = 5, seed: int = 0) -> list[QuizItem]:
    """`size` questions from the rules, the same ones for the same seed, spread over regions.

    A question that two rules would answer differently is left out (it would be ambiguous).
    """
    candidates: dict[str, list[Rule]] = {}
    for rule in rules:
        question = quiz_question(rule, topic_key)
        if question:
            candidates.setdefault(question, []).append(rule)
    unambiguous = {q: rs[0] for q, rs in candidates.items()
                   if len({quiz_answer(r) for r in rs}) == 1}
    # Choices only where the answers form a small closed set (ja/nej, the three ISO
    # categories): among open answers a "wrong" alternative may say the same in other words.
    kinds: dict[tuple[str, bool], set[str]] = {}
    for rule in unambiguous.values():
        kinds.setdefault(_kind(rule), set()).add(quiz_answer(rule))
    rng = random.Random(seed)
    order = sorted(unambiguous)
    rng.shuffle(order)
    # Round-robin over regions so that every chosen region gets a question.
    by_region: dict[str, list[str]] = {}
    for question in order:
        by_region.setdefault(unambiguous[question].region, []).append(question)
    picked: list[str] = []
    while len(picked) < size and any(by_region.values()):
        for region in sorted(by_region):
            if by_region[region] and len(picked) < size:
                picked.append(by_region[region].pop(0))
    items = []
    for question in picked:
        rule = unambiguous[question]
        right = quiz_answer(rule)
        closed = sorted(kinds[_kind(rule)])
        choices = closed if 1 < len(closed) <= MAX_CHOICES else []
        rng.shuffle(choices)
        title = titles.get(rule.source.doc, rule.source.doc)
        items.append(QuizItem(question=question, answer=right, explanation=rule.then,
                              choices=tuple(choices), rule_id=rule.id,
                              source=f"{title} – {rule.source.section}",
                              quote=rule.source.quote, validity=rule.validity))
    return items


# --------------------------------------------------------------------------- passages

def _kind(rule: Rule) -> tuple[str, bool]:
    return rule.topic, "iso_code" in rule.when


def relevant_passages(retriever: HybridRetriever, topic_key: str, regions: Sequence[str] = (),
                      k: int = 5) -> list[PassageRef]:
    """The retriever's best passages for the topic's terms, from the chosen regions' documents.

    One search per region (so that each region is represented), merged by fused score.
    """
    from assistant.query import understand

    topic = TOPICS[topic_key]
    known = list(retriever.regions)
    wanted = set(regions)
    scored: dict[str, tuple[float, Any]] = {}
    first_of_region: list[str] = []
    for region in list(regions) or [None]:
        query = understand(topic.terms, region=region if region in known else None,
                           known_regions=known)
        found = retriever.retrieve(query, k=max(10, 2 * k))
        kept = [p for p in found if not wanted or wanted & set(p.chunk.regions)]
        own = [p for p in kept if region is None or region in p.chunk.regions]
        if own:
            first_of_region.append(own[0].chunk.id)
        for p in kept:
            if p.chunk.id not in scored or scored[p.chunk.id][0] < p.fused:
                scored[p.chunk.id] = (p.fused, p.chunk)
    best = list(dict.fromkeys(first_of_region))
    best += [cid for cid, _ in sorted(scored.items(), key=lambda kv: -kv[1][0])
             if cid not in best]
    out = []
    for cid in best[:k]:
        chunk = scored[cid][1]
        out.append(PassageRef(chunk_id=chunk.id, doc=chunk.doc, title=chunk.title or chunk.doc,
                              section=chunk.section, location=chunk.location, text=chunk.text,
                              regions=chunk.regions))
    return out


# --------------------------------------------------------------------------- the course

def build_course(rule_base: RuleBase, topic_key: str, regions: Sequence[str] = (),
                 retriever: HybridRetriever | None = None, as_of: date | None = None,
                 quiz_size: int = 5, seed: int = 0, passages: int = 5) -> Course:
    """Everything the trainer page shows for one topic and some regions."""
    if topic_key not in TOPICS:
        raise ValueError(f"Okänt ämne {topic_key!r}; välj ett av: {', '.join(TOPICS)}.")
    as_of = as_of or date.today()
    titles = _titles(retriever)
    rules = rules_for(rule_base, topic_key, regions)
    course = Course(topic=TOPICS[topic_key], regions=tuple(regions), as_of=as_of)
    course.groups, course.iso_rows = key_rules(rules, titles, as_of)
    iso_rules = [r for r in rules if "iso_code" in r.when]
    if iso_rules:
        src = iso_rules[0].source
        course.iso_source = f"{titles.get(src.doc, src.doc)} – {src.section}"
    course.comparison = compare_regions(rule_base, topic_key, regions, as_of, titles)
    course.quiz = make_quiz(rules, topic_key, titles, quiz_size, seed)
    if retriever is not None and passages:
        course.passages = relevant_passages(retriever, topic_key, regions, passages)
    course.warnings = list(dict.fromkeys(r.warning for r in rules if r.warning))
    if not rules:
        course.warnings.insert(0, "Regelbasen har inga regler i detta ämne för de valda "
                                  "regionerna; se de relevanta textavsnitten nedan.")
    return course


def _titles(retriever: HybridRetriever | None) -> dict[str, str]:
    """Document titles for citations: from the index, else from the bundled manifest."""
    if retriever is not None:
        return {c.doc: c.title for c in retriever.chunks if c.title}
    from assistant.settings import PROJECT_ROOT
    from ingest.load import LoadError, read_manifest

    try:
        return {doc: meta.title for doc, meta in read_manifest(PROJECT_ROOT / "corpus").items()
                if meta.title}
    except LoadError:
        return {}


# --------------------------------------------------------------------------- export

def to_markdown(course: Course) -> str:
    """The course as a Markdown document (headings, bullets, tables, quiz with answers)."""
    out: list[str] = [f"# Utbildning: {course.title}", "", course.topic.intro, "",
                      f"*Regler enligt regelbasen, giltighet bedömd per {course.as_of}.*", ""]
    if course.warnings:
        out += ["> **Observera**", *[f"> - {_md(w)}" for w in course.warnings], ""]
    out += ["## Nyckelregler", ""]
    if not course.groups and not course.iso_rows:
        out += ["Inga regler i regelbasen för detta urval.", ""]
    for group in course.groups:
        region = "Nationellt" if group.region == NATIONAL else group.region
        out += [f"### {_md(region)}: {_md(group.section)}", "", f"Källa: {_md(group.doc_title)}",
                ""]
        if group.as_table:
            out += ["| Villkor | Svar | Giltighet | Citat |", "| --- | --- | --- | --- |"]
            out += [f"| {_cell(r.conditions)} | {_cell(r.verdict)} | {_cell(_validity(r))} | "
                    f"{_cell(r.quote)} |" for r in group.rules]
            out.append("")
        else:
            for r in group.rules:
                out += [f"- {_md(r.statement)}",
                        f"  - Källa: {_md(r.doc_title)}, {_md(r.section)}: ”{_md(r.quote)}”",
                        f"  - Giltighet: {_validity(r)} (regel {', '.join(r.rule_ids)})"]
            out.append("")
    if course.iso_rows:
        out += [f"### Översikt per ISO-kod ({len(course.iso_rows)} rader)", "",
                f"Källa: {_md(course.iso_source)}. Principerna ovan (ålder, hemsjukvård, "
                "särskilt boende, specialistenheter) går före raderna.", "",
                "| ISO | Hjälpmedel | Användning | Kategori | Ansvar | Giltighet |",
                "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| {r.code} | {_cell(r.product)} | {_cell(r.use or '–')} | {_cell(r.category)} "
                f"| {_cell(r.responsibility)} | {_cell(r.validity)} |" for r in course.iso_rows]
        out.append("")
    if course.comparison:
        out += ["## Jämförelse mellan regioner", "",
                "| Situation | Region | Svar enligt regel | Källa |", "| --- | --- | --- | --- |"]
        out += [f"| {_cell(c.situation)} | {_cell(c.region)} | "
                f"{_cell(c.verdict or 'Ingen regel i dokumenten')} | "
                f"{_cell(c.source + (': ”' + c.quote + '”' if c.quote else '') or '–')} |"
                for c in course.comparison]
        out.append("")
    if course.passages:
        out += ["## Relevanta textavsnitt", ""]
        for n, p in enumerate(course.passages, 1):
            where = ", ".join(x for x in (p.section, p.location) if x)
            out += [f"**[{n}] {_md(p.title)}**" + (f" – {_md(where)}" if where else ""), "",
                    *[f"> {_md(line)}" for line in p.text.splitlines() if line.strip()], ""]
    if course.quiz:
        out += ["## Quiz", ""]
        for n, q in enumerate(course.quiz, 1):
            out += [f"{n}. {_md(q.question)}"]
            if len(q.choices) > 1:
                out += [f"   - {_md(c)}" for c in q.choices]
            out.append("")
        out += ["### Facit", ""]
        for n, q in enumerate(course.quiz, 1):
            out += [f"{n}. **{_md(q.answer)}** – {_md(q.explanation)}",
                    f"   Källa: {_md(q.source)}: ”{_md(q.quote)}” (giltighet {q.validity})", ""]
    return "\n".join(out).rstrip() + "\n"


def _validity(rule: KeyRule) -> str:
    return rule.validity if rule.valid_now else f"{rule.validity} (gäller inte längre)"


def _md(text: str) -> str:
    # Corpus text inside our Markdown: keep it literal (no emphasis, links or HTML).
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(str(text).split()))


def _cell(text: str) -> str:
    return _md(text) or "–"


# PDF: fpdf2 with a Unicode TTF (core fonts cannot write å, ä, ö).
_FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/TTF/DejaVuSans.ttf"),
)


def unicode_font() -> Path | None:
    """DejaVuSans from the system, else the copy matplotlib ships; None if neither exists."""
    for candidate in _FONT_CANDIDATES:
        if candidate.is_file():
            return candidate
    try:
        import matplotlib
    except ImportError:
        return None
    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return bundled if bundled.is_file() else None


class PdfUnavailable(RuntimeError):
    """PDF export needs fpdf2 and a Unicode font; the message says what to install."""


def to_pdf(course: Course) -> bytes:
    """The course as a PDF (the Markdown's content, laid out with fpdf2's markdown support)."""
    try:
        from fpdf import FPDF
    except ImportError as exc:
        raise PdfUnavailable("PDF-export kräver paketet fpdf2 (pip install fpdf2).") from exc
    font = unicode_font()
    if font is None:
        raise PdfUnavailable("PDF-export kräver typsnittet DejaVuSans (apt-get install "
                             "fonts-dejavu-core eller pip install matplotlib).")
    pdf = FPDF()
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(font))
    # DejaVuSans has no bold/italic file here: register the regular face for every style.
    for style in ("B", "I", "BI"):
        pdf.add_font("DejaVu", style, str(font))
    pdf.set_title(f"Utbildning: {course.title}")
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int) -> None:
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, size * 0.55, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def para(text: str, size: int = 10) -> None:
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(width, 5, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)

    def table(headers: Sequence[str], rows: Iterable[Sequence[str]],
              widths: Sequence[int]) -> None:
        pdf.set_font("DejaVu", "", 8)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4,
                       first_row_as_headings=True) as tbl:
            row = tbl.row()
            for h in headers:
                row.cell(h)
            for values in rows:
                row = tbl.row()
                for v in values:
                    row.cell(v or "–")
        pdf.ln(2)

    heading(f"Utbildning: {course.title}", 16)
    para(course.topic.intro)
    para(f"Regler enligt regelbasen, giltighet bedömd per {course.as_of}.", 9)
    for warning in course.warnings:
        para(f"Observera: {warning}", 9)
    heading("Nyckelregler", 13)
    for group in course.groups:
        region = "Nationellt" if group.region == NATIONAL else group.region
        heading(f"{region}: {group.section}", 11)
        para(f"Källa: {group.doc_title}", 9)
        if group.as_table:
            table(("Villkor", "Svar", "Giltighet", "Citat"),
                  ((r.conditions, r.verdict, _validity(r), r.quote) for r in group.rules),
                  (3, 4, 2, 4))
        else:
            for r in group.rules:
                para(f"• {r.statement}")
                para(f"   Källa: {r.doc_title}, {r.section}: ”{r.quote}” – giltighet "
                     f"{_validity(r)}", 8)
    if course.iso_rows:
        heading(f"Översikt per ISO-kod ({len(course.iso_rows)} rader)", 11)
        para(f"Källa: {course.iso_source}", 9)
        table(("ISO", "Hjälpmedel", "Användning", "Kategori", "Ansvar"),
              ((r.code, r.product, r.use, r.category, r.responsibility)
               for r in course.iso_rows), (2, 4, 2, 3, 4))
    if course.comparison:
        heading("Jämförelse mellan regioner", 13)
        table(("Situation", "Region", "Svar enligt regel", "Källa"),
              ((c.situation, c.region, c.verdict or "Ingen regel i dokumenten", c.source)
               for c in course.comparison), (3, 2, 5, 4))
    if course.passages:
        heading("Relevanta textavsnitt", 13)
        for n, p in enumerate(course.passages, 1):
            where = ", ".join(x for x in (p.section, p.location) if x)
            para(f"[{n}] {p.title}" + (f" – {where}" if where else ""), 9)
            para(p.text, 9)
    if course.quiz:
        heading("Quiz", 13)
        for n, q in enumerate(course.quiz, 1):
            para(f"{n}. {q.question}")
            if len(q.choices) > 1:
                para("   Alternativ: " + " / ".join(q.choices), 9)
        heading("Facit", 11)
        for n, q in enumerate(course.quiz, 1):
            para(f"{n}. {q.answer} – {q.explanation}", 9)
            para(f"   Källa: {q.source}: ”{q.quote}” (giltighet {q.validity})", 8)
    return bytes(pdf.output())
