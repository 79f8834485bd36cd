"""Facts: deterministic extraction of the rule checker's canonical facts from a question.

Reads the question (and, for a follow-up, the earlier questions of the conversation) in Swedish
or English: region, product and ISO code, indoor/outdoor use, age, housing, home care,
profession and licence, delegation, vaccine and who orders it, target group, date, fee item,
amount. Vocabulary lives in `assistant/data/facts.yaml`; the product names of the ISO list come
from the rules themselves. `normalize_facts` maps facts written in other words (e.g. the gold
set's `patient_age`, `nurse_category`) onto the canonical names of `rules/README.md`.

Example:
    >>> f = extract_facts("Vem förskriver en rollator för utomhusbruk till en 80-årig kvinna "
    ...                   "i Norrbotten? Hon har ingen hemsjukvård.", rulebase=RuleBase.load())
    >>> f.facts["iso_code"], f.facts["use"], f.facts["age"], f.facts["home_care"]
    ('120606', 'utomhus', 80, False)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from assistant.query import detect_regions
from assistant.rules.engine import RuleBase
from assistant.text import ISO_CODE, WORD, glossary_expansion, is_english, stem

VOCABULARY_PATH = Path(__file__).resolve().parent.parent / "data" / "facts.yaml"

TOPIC_PATTERNS: dict[str, re.Pattern[str]] = {
    "fees": re.compile(r"kostar|kosta\b|avgift|betala|\bpris|\bfee|\bcost|charge|\bpay|uteblir",
                       re.I),
    "vaccination": re.compile(r"vaccin|ordinera|\border", re.I),
    "delegation": re.compile(r"delegera|delegering|delegat", re.I),
    "boundary": re.compile(
        r"ansvar|vem (ska )?förskriv|vem står för|regionen eller|eller kommunen|kommunen eller"
        r"|vårdcentralen eller|responsible|who prescribes|gränsdragning|förskriver i det fallet"
        r"|vem som förskriver", re.I),
    "prescribing_rights": re.compile(
        r"förskrivningsrätt|förskrivare|behörighet|användarkonto|anställningskrav|kombikakod"
        r"|may prescribe|allowed to prescribe|får .{0,30}förskriva", re.I),
    "process": re.compile(r"följ\w* upp|uppföljning|särskild förskrivning|hur går|grundutrustning"
                          r"|utrustning (på|i) en", re.I),
    "survey": re.compile(r"enkät|survey", re.I),
}


@dataclass
class ExtractedFacts:
    facts: dict[str, Any] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # what the question asks about; empty = anything
    date_explicit: bool = False


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    with VOCABULARY_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def extract_facts(question: str, history: Sequence[str] = (), region: str | None = None,
                  as_of: date | None = None, rulebase: RuleBase | None = None) -> ExtractedFacts:
    """Facts of a question; a follow-up inherits the earlier questions' facts and topics."""
    merged = ExtractedFacts()
    for text in [*history, question]:
        # "den 20 november" in a follow-up is in the year the conversation speaks of.
        known = merged.facts.get("date")
        year = int(known[:4]) if known else (as_of or date.today()).year
        current = _extract_one(text, rulebase, year)
        merged.facts.update(current.facts)
        merged.topics = current.topics or merged.topics
        merged.date_explicit = merged.date_explicit or current.date_explicit
    if region:
        merged.facts["region"] = region
    if "date" not in merged.facts:
        merged.facts["date"] = (as_of or date.today()).isoformat()
    _derive(merged.facts, rulebase)
    return merged


def _extract_one(text: str, rulebase: RuleBase | None,
                 default_year: int | None = None) -> ExtractedFacts:
    low = f" {text.lower()} "
    if is_english(text):
        # English names of products and terms read as the corpus's words ("insulin pump" →
        # insulinpump), so the Swedish vocabulary below decides them too.
        low = f"{low}{' '.join(glossary_expansion(WORD.findall(text.lower())))} "
    facts: dict[str, Any] = {}
    regions = detect_regions(text)
    if len(regions) == 1:
        facts["region"] = regions[0]
    found_date = _date(low, default_year)
    if found_date is not None:
        facts["date"] = found_date.isoformat()
    age = _age(low)
    if age is not None:
        facts["age"] = age
    codes = ISO_CODE.findall(text)
    if codes:
        facts["iso_code"] = codes[0]
    if re.search(r"inomhus|indoor", low):
        facts["use"] = "inomhus"
    elif re.search(r"utomhus|outdoor", low):
        facts["use"] = "utomhus"
    if re.search(r"särskil\w* boende|särskild boendeform|säbo\b|nursing home|care home", low):
        facts["housing"] = "särskilt boende"
    elif re.search(r"ordinärt boende|egen lägenhet|eget boende|egen bostad|eget hem|bor hemma"
                   r"|own home|at home|lives in (her|his) own|i sitt hem|i hemmet", low):
        facts["housing"] = "ordinärt boende"
    if re.search(r"(ingen|inte|utan|ej)\s+(\w+\s+)?hemsjukvård|no home care|without home care",
                 low):
        facts["home_care"] = False
    elif re.search(r"hemsjukvård|home care|home health", low):
        facts["home_care"] = True
    if re.search(r"(kan inte|kan ej|inte kan) ta sig|cannot get to|can't get to", low):
        facts["can_reach_vardcentral"] = False
    elif re.search(r"tar sig (själv )?till vårdcentral|kan ta sig till vårdcentral"
                   r"|gets? to the health", low):
        facts["can_reach_vardcentral"] = True
    _people(low, facts)
    _vaccination(low, facts)
    _fees(low, facts)
    amount = re.search(r"(\d[\d\s]{0,8}\d|\d)\s*(?:kr|kronor|sek)\b", low)
    if amount:
        facts["amount_kr"] = int(re.sub(r"\s", "", amount.group(1)))
    _topic(low, facts)
    _products(low, facts, rulebase)
    topics = tuple(t for t, pattern in TOPIC_PATTERNS.items() if pattern.search(low))
    return ExtractedFacts(facts, topics, found_date is not None)


def _people(low: str, facts: dict[str, Any]) -> None:
    vocab = vocabulary()
    delegation = re.search(r"delegera|delegering|delegat", low)
    found = _professions(low)
    if delegation:
        months = re.search(r"(\d+|\w+)\s+(år|years?|månader|months?)\b", low)
        if months:
            n = _number(months.group(1))
            if n is not None:
                facts["delegation_months"] = n * (12 if months.group(2).startswith(("år", "y"))
                                                  else 1)
        receiver = re.search(r"\btill (?:en |ett |vår |min )?([\wåäö ]+?)(?: utan| som|\?|,|$)",
                             low)
        receiver_text = low[receiver.start():] if receiver else ""
        if receiver_text:
            facts["receiver_licensed"] = not _unlicensed(receiver_text)
            rec = _professions(receiver_text)
            if rec and rec[0] in vocab["unlicensed_professions"]:
                facts["receiver_licensed"] = False
        if re.search(r"(har|med|som har) (\w+ ){0,2}kompetens|competen", low):
            facts["receiver_has_task_competence"] = True
        return
    if found:
        facts["profession"] = found[0]
    if _unlicensed(low) or (found and found[0] in vocab["unlicensed_professions"]):
        facts["licensed"] = False
    elif re.search(r"\blegitimerad\b|\blicensed\b", low):
        facts["licensed"] = True
    if re.search(r"utökad behörighet|behörighet att förskriva fler|förskriva fler", low):
        facts["request"] = "utökad behörighet"
    elif re.search(r"användarkonto|user account|konto i", low):
        facts["request"] = "användarkonto"
    elif "kombikakod" in low:
        facts["request"] = "kombikakod"
    elif re.search(r"förskrivningsrätt|till förskrivare|bli förskrivare|som förskrivare"
                   r"|prescribing right|få förskriva|may prescribe", low):
        facts["request"] = "förskrivningsrätt"
    if re.search(r"privat|private", low):
        facts["employer"] = "privat vårdgivare"
    elif re.search(r"anställd (av|i|hos) region", low):
        facts["employer"] = "region"
    elif re.search(r"anställd (av|i|hos) (en |ett )?kommun", low):
        facts["employer"] = "kommun"
    if re.search(r"utan vårdavtal|inget vårdavtal|no care agreement", low):
        facts["care_agreement"] = False
    elif re.search(r"vårdavtal|care agreement|ansluten|anslutna", low):
        facts["care_agreement"] = True
    if re.search(r"(innan|före|utan att ha|inte|ej) (jag |hen |hon |han )?(har )?(gått|genomgått)"
                 r"|not (yet )?(completed|taken)", low):
        facts["training_completed"] = False
    elif re.search(r"(har|efter att ha) (gått|genomgått)|(have|has) completed", low):
        facts["training_completed"] = True


def _professions(text: str) -> list[str]:
    hits: list[tuple[int, str]] = []
    for name, words in vocabulary()["professions"].items():
        for word in words:
            # Definite forms count too: "fysioterapeuten", "sjuksköterskan".
            m = re.search(rf"(?<!\w){re.escape(word)}(?:en|n|et|erna|arna|na)?(?!\w)", text)
            if m:
                hits.append((m.start(), name))
                break
    # "distriktssköterska" also contains "sköterska": the earliest, longest mention wins.
    hits.sort()
    names = [n for _, n in hits]
    if "distriktssköterska" in names and "sjuksköterska" in names:
        names.remove("sjuksköterska")
    return names


def _unlicensed(text: str) -> bool:
    return bool(re.search(r"utan legitimation|icke[- ]legitimerad|ej legitimerad|inte legitimerad"
                          r"|olegitimerad|unlicensed|non-licensed|without (a )?licen", text))


def _vaccination(low: str, facts: dict[str, Any]) -> None:
    if "hpv" in low:
        facts["vaccine"] = "hpv"
    elif re.search(r"kikhost|pertussis|whooping", low):
        facts["vaccine"] = "kikhosta"
    if "vaccine" not in facts and not re.search(r"vaccin|ordinera", low):
        return
    if re.search(r"3 hp|3 högskolepoäng|tre högskolepoäng|3 credits", low) and re.search(
            r"utan specialist|inte specialist|ingen specialist|without specialist", low):
        facts["orderer"] = "sjuksköterska 3 hp"
    elif re.search(r"(?<!utan )(distriktssköterska|specialistsjuksköterska|specialistutbildad"
                   r"|barnsjuksköterska|specialist nurse|district nurse|paediatric|pediatric)",
                   low):
        facts["orderer"] = "specialistsjuksköterska"
    elif re.search(r"3 hp|3 högskolepoäng|vaccinationskunskap", low):
        facts["orderer"] = "sjuksköterska 3 hp"
    elif re.search(r"jag är läkare|som läkare|as a doctor|i'm a doctor|i am a doctor", low):
        facts["orderer"] = "läkare"
    elif re.search(r"sjuksköterska|nurse", low):
        facts["orderer"] = "sjuksköterska"
    if re.search(r"\b(kvinna|flicka|tjej|dotter|woman|girl|henne)\b", low):
        facts["sex"] = "flicka" if facts.get("age", 99) < 18 else "kvinna"
    elif re.search(r"\b(pojke|kille|son|boy|honom)\b", low):
        facts["sex"] = "pojke"
    # "född 2011", "född år 2011", "född i mars 2011", "born in March 2013"
    born = re.search(r"(?:född|födda|born)(?: år| i| in| on)?(?:\s+(?:den\s+)?\d{1,2})?"
                     r"(?:\s+[a-zåäö]+)?\s+((?:19|20)\d\d)\b", low)
    if born:
        facts["birth_year"] = int(born.group(1))
    school = re.search(r"\b(?:årskurs|åk|year|grade)\s*(\d{1,2})\b", low)
    if school:
        facts["school_year"] = int(school.group(1))
    if re.search(r"gravid|pregnant", low):
        facts["pregnant"] = True


def _fees(low: str, facts: dict[str, Any]) -> None:
    if not TOPIC_PATTERNS["fees"].search(low):
        return
    for item, words in vocabulary()["fee_items"].items():
        if any(re.search(rf"(?<!\w){re.escape(w)}(?:en|er|ar|na|n)?(?!\w)", low)
               for w in words):
            facts["fee_item"] = item
            break
    if re.search(r"uteblir|uteblivande|no-show|miss", low):
        facts["fee_type"] = "uteblivandeavgift"
    elif "patientavgift" in low:
        facts["fee_type"] = "patientavgift"
    elif re.search(r"\bhyr|\blån|\brent", low):
        facts["fee_type"] = "hyra"
    else:
        facts["fee_type"] = "egenavgift"
    if re.search(r"läkare|doctor", low):
        facts["staff"] = "läkare"
    elif _professions(low):
        facts["staff"] = "annan vårdpersonal"
    if re.search(r"vårdcentral|primärvård|health cent", low):
        facts["setting"] = "primärvård"
    elif re.search(r"sjukhus|hospital", low):
        facts["setting"] = "sjukhusvård"


def _topic(low: str, facts: dict[str, Any]) -> None:
    if re.search(r"(följ\w* upp|uppföljning)", low) and "uppdrag" in low:
        facts["topic"] = "uppföljning av förskrivningsuppdrag"
    elif "särskild förskrivning" in low:
        facts["topic"] = "särskild förskrivning"
    elif re.search(r"grundutrustning|utrustning (på|i) (en |ett )?(avdelning|verksamhet)", low):
        facts["topic"] = "grundutrustning"
    elif re.search(r"enkät|survey", low) and re.search(r"legitim|licen", low):
        facts["topic"] = ("delegering till ej legitimerad personal" if "delegering" in low
                          else "icke-legitimerad förskrivning")


def _products(low: str, facts: dict[str, Any], rulebase: RuleBase | None) -> None:
    """The longest product phrase the question mentions, from the rules and the vocabulary."""
    best: tuple[int, str] | None = None
    phrases: set[str] = set()
    if rulebase is not None:
        for rule in rulebase.rules:
            phrases.update(rule.products)
    for words in vocabulary()["product_areas"].values():
        phrases.update(words)
    for phrase in phrases:
        if _mentions(low, phrase) and (best is None or len(phrase) > best[0]):
            best = (len(phrase), phrase)
    if best is not None:
        facts.setdefault("product", best[1])


def _mentions(low: str, phrase: str) -> bool:
    # Every word of the phrase, by its stem, inside the text ("utomhusrollator" → "rollator").
    for word in phrase.split():
        root = stem(word)
        if len(root) >= 5:
            if root not in low:
                return False
        elif not re.search(rf"(?<!\w){re.escape(word)}(?!\w)", low):
            return False
    return True


def _derive(facts: dict[str, Any], rulebase: RuleBase | None) -> None:
    """Facts that follow from others: an ISO code from a product, a product area, a fee item."""
    product = facts.get("product")
    if product:
        area = entry_for(product, "product_areas", loose=True)
        if area:
            facts.setdefault("product_area", area)
    if product and "iso_code" not in facts and rulebase is not None and facts.get(
            "region") in (None, "Norrbotten"):
        codes = {str(r.when.get("iso_code")) for r in rulebase.rules
                 if product in r.products and r.when.get("iso_code")}
        if len(codes) == 1:
            facts["iso_code"] = codes.pop()
    if "fee_type" in facts and "fee_item" not in facts and product:
        item = entry_for(product, "fee_items")
        if item:
            facts["fee_item"] = item


def entry_for(product: str, table: str, loose: bool = False) -> str | None:
    """The vocabulary entry (product area, fee item) a product word belongs to."""
    for key, words in vocabulary()[table].items():
        if product == key or product in words or (
                loose and any(_mentions(product, w) for w in words)):
            return key
    return None


def _age(low: str) -> int | None:
    for pattern in (r"(\d{1,3})\s*-\s*år(?:ing|ig)", r"(\d{1,3})\s*år(?:ing|ig)\b",
                    r"(\d{1,3})-year-old", r"(\d{1,3}) years? old", r"fyller (\d{1,3})",
                    r"\bär (\d{1,3}) år\b", r"\b(\d{1,3}) år(?:,| och| gammal)"):
        m = re.search(pattern, low)
        if m:
            return int(m.group(1))
    return None


def _date(low: str, default_year: int | None = None) -> date | None:
    months = vocabulary()["months"]
    names = "|".join(sorted(months, key=len, reverse=True))
    if default_year is not None:
        # A day and a month without a year ("den 20 november") take the given year.
        low = re.sub(rf"\b(\d{{1,2}})\s+({names})\b(?!\w*\.?\s+\d{{4}})",
                     lambda m: f"{m.group(1)} {m.group(2)} {default_year}", low)
    m = re.search(r"(\d{4})-(\d{2})-(\d{2})", low)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    # A date that describes the case ("född i mars 2011", "diabetes sedan 2020") is not the
    # date the rules are applied on; the first date bound to the act asked about is.
    m = next((m for m in re.finditer(rf"(?:(\d{{1,2}})\s+)?({names})\w*\.?\s+(\d{{4}})", low)
              if not _describes_case(low, m.start())), None)
    if m:
        year, month = int(m.group(3)), months[m.group(2)]
        window = low[max(0, m.start() - 20):m.start()]
        before = re.search(r"(före|innan|before|prior to|till och med|t\.o\.m\.?)\s+"
                           r"(den\s+|the\s+)?$", window)
        after = re.search(r"(efter|after|sedan|since)\s+(den\s+|the\s+)?$", window)
        if m.group(1):
            day = date(year, month, int(m.group(1)))
            if before and not before.group(1).startswith(("till", "t.o.m")):
                return day - timedelta(days=1)
            return day + timedelta(days=1) if after else day
        first = date(year, month, 1)
        if before:
            return first - timedelta(days=1)
        return date(year, month, 15)
    m = next((m for m in re.finditer(r"\b(20\d\d)\b", low)
              if not _describes_case(low, m.start())), None)
    if m:
        return date(int(m.group(1)), 7, 1)
    return None


_CASE_DATE = re.compile(r"(född|födda|föddes|born|sedan|since|haft|had|diagnos\w*|"
                        r"diagnosed)\s+(i\s+|in\s+|år\s+|den\s+|the\s+)?$")


def _describes_case(low: str, start: int) -> bool:
    return bool(_CASE_DATE.search(low[max(0, start - 25):start]))


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return vocabulary()["numbers"].get(token)


# --- facts written in other words -----------------------------------------------------------

_ALIASES = {
    "patient_age": "age",
    "patient_sex": "sex",
    "role": "profession",
    "vardavtal_with_region": "care_agreement",
    "validity_months": "delegation_months",
    "nurse_category": "orderer",
    "category": "product_area",
}


def normalize_facts(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical facts (rules/README.md) from facts that may use other names and words."""
    facts: dict[str, Any] = {}
    for key, value in raw.items():
        facts[_ALIASES.get(key, key)] = value.lower() if isinstance(value, str) and key not in (
            "region", "date", "iso_code") else value
    if "orderer" in facts:
        orderer = str(facts["orderer"])
        facts["orderer"] = ("specialistsjuksköterska" if "specialist" in orderer
                            else "sjuksköterska 3 hp" if "3 hp" in orderer or "högskole" in orderer
                            else orderer)
    group = str(facts.pop("patient_group", ""))
    if "gravid" in group:
        facts["pregnant"] = True
    if "housing" in facts:
        facts["housing"] = ("särskilt boende" if "särskil" in str(facts["housing"])
                            else "ordinärt boende")
    if "staff" in facts:
        # "annan vårdpersonal än läkare" is how the fee table names everyone but doctors.
        facts["staff"] = "annan vårdpersonal" if "annan" in str(facts["staff"]) else "läkare"
    if "action" in facts and "användarkonto" in str(facts["action"]):
        facts.setdefault("request", "användarkonto")
    if "year" in facts and "date" not in facts:
        facts["date"] = f"{int(facts['year'])}-07-01"
    if "year" in facts or "fee_type" in facts:
        facts.setdefault("fee_type", "egenavgift")
        product = facts.get("product")
        if product and "fee_item" not in facts:
            item = entry_for(product, "fee_items")
            if item:
                facts["fee_item"] = item
    if facts.get("product") and "product_area" not in facts:
        area = entry_for(facts["product"], "product_areas")
        if area:
            facts["product_area"] = area
    return facts


def infer_topics(facts: Mapping[str, Any]) -> tuple[str, ...]:
    """What canonical facts are about, when there is no question text to read."""
    if "fee_type" in facts or "fee_item" in facts:
        return ("fees",)
    if "vaccine" in facts:
        return ("vaccination",)
    if "delegation_months" in facts or "receiver_licensed" in facts:
        return ("delegation",)
    if facts.get("topic"):
        return ("process", "survey", "prescribing_rights", "delegation")
    if "request" in facts or "licensed" in facts or "care_agreement" in facts:
        return ("prescribing_rights",)
    return ()
