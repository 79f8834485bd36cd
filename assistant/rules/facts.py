"""Facts: deterministic extraction of the rule checker's canonical facts from a question.

Reads the question (and, for a follow-up, the earlier questions of the conversation) in Swedish
or English. The facts are those of the catalogue (`rules/catalogue/facts.yaml`); most are read by
a small engine over `rules/catalogue/phrasing.yaml` (a value per phrase, numbers by pattern). In
code stay only the readers that need position or arithmetic: region (the lexicon), dates, the
ISO code, professions (earliest mention), the delegation's receiver and duration, products (the
product names of the ISO list come from the rules themselves) and facts derived from others.
`normalize_facts` maps facts written in other words (e.g. the gold set's `patient_age`,
`nurse_category`) onto the catalogue's names.

Example:
    >>> f = extract_facts("Vem förskriver en rollator för utomhusbruk till en 80-årig kvinna "
    ...                   "i Norrbotten? Hon har ingen hemsjukvård.", rulebase=RuleBase.load())
    >>> f.facts["iso_code"], f.facts["use"], f.facts["age"], f.facts["home_care"]
    ('120606', 'utomhus', 80, False)
"""

from __future__ import annotations

import calendar
import difflib
import math
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Mapping, Sequence

from assistant.frame import read_frame
from assistant.qualifiers import Stance, asked_qualifiers, stance
from assistant.query import detect_regions
from assistant.rules.catalogue import Catalogue, CatalogueError, FactType, phrasing
from assistant.rules.engine import RuleBase, values_of
from assistant.text import (
    ISO_CODE,
    WORD,
    find_phrase,
    glossary_expansion,
    glossary_iso,
    glossary_matches,
    glossary_names,
    is_english,
    stem,
)
from core.text import lexicon


@dataclass
class ExtractedFacts:
    facts: dict[str, Any] = field(default_factory=dict)
    topics: tuple[str, ...] = ()  # what the question asks about; empty = anything
    date_explicit: bool = False
    notes: tuple[str, ...] = ()  # what was computed from the facts (a delegation's end date)
    # A follow-up that states no fact of its own ("… och vem förvarar beslutet?") asks something
    # new of the same case: the earlier question's decision is no answer to it.
    states_facts: bool = True


Phrase = str | list[str]


@dataclass(frozen=True)
class _Reading:
    """One fact's phrases (compiled): values in order, gates and number patterns."""

    fact: str
    values: tuple[tuple[Any, tuple[tuple[re.Pattern[str], ...], ...]], ...]
    only_if: tuple[re.Pattern[str], ...] = ()
    unless: tuple[re.Pattern[str], ...] = ()
    default: Any = None
    patterns: tuple[re.Pattern[str], ...] = ()
    as_written: bool = False  # negated phrases count too (see phrasing.yaml)
    first_said: bool = False  # of several values said, the one said first (its first part)

    def read(self, low: str, context: str = "") -> Any:
        """The value the text states; `context` (a follow-up's earlier questions) may open
        the gate (`only_if`), but then no default is read: the earlier turn gave it."""
        default = self.default
        if self.only_if and not any(p.search(low) for p in self.only_if):
            if not any(p.search(context) for p in self.only_if):
                return None
            default = None
        if any(p.search(low) for p in self.unless):
            return None
        for pattern in self.patterns:
            m = pattern.search(low)
            if m:
                value = re.sub(r"[\s.,]", "", m.group(1))
                return int(value) if value.isdigit() else _number(value)
        denied = False
        if self.first_said:
            said = [(at, value) for value, phrases in self.values
                    if (at := _first_said(phrases, low)) is not None]
            if said:
                return min(said, key=lambda s: s[0])[1]
        for value, phrases in self.values:
            if any(all(p.search(low) if self.as_written else _said(p, low) for p in phrase)
                   for phrase in phrases):
                return value
            if value is True and any(all(p.search(low) for p in phrase) for phrase in phrases):
                denied = True
        # A yes/no fact whose yes-words are there only negated ("har inte hunnit gå
        # utbildningen") is a no.
        return False if denied else default


# A value's words right after a negation do not state it ("utan en enda poäng i
# vaccinationskunskap" is no 3 hp); a phrase that holds the negation itself ("utan specialist")
# is read as written.
# Its reach (four words) ends at a word that starts another phrase ("utan legitimation till
# förskrivare").
_BREAK = (r"(?:till|som|och|men|att|för|eller|med|om|to|who|and|but|for|with"
          # a verb of the case that starts its next part ("utan hemsjukvård kör bil till …")
          r"|kör|åker|går|kommer|bor|behöver|vill|ska|tar|reser|drives|lives|needs|wants|comes"
          r"|goes)\b")
_VALUE_NEGATED = re.compile(
    rf"(\b(inte|ej|ingen|inget|inga|utan|not|no|without)\b|\wn['’]t\b)(\s+(?!{_BREAK})[\w-]+){{0,4}}\s*$")
_STARTS_PHRASE = re.compile(_BREAK)


def _first_said(phrases: tuple[tuple[re.Pattern[str], ...], ...], low: str) -> int | None:
    """Where a phrase of one word pattern is first said (not negated), or None."""
    places = [m.start() for phrase in phrases if len(phrase) == 1
              for m in phrase[0].finditer(low) if _said(phrase[0], low[:m.end()])]
    return min(places, default=None)


def _said(pattern: re.Pattern[str], low: str) -> bool:
    return any(_STARTS_PHRASE.match(m.group(0))
               or not _VALUE_NEGATED.search(low[max(0, m.start() - 40):m.start()])
               for m in pattern.finditer(low))


def _compile(phrase: str) -> list[re.Pattern[str]]:
    """A phrase, with "@professions" and "@question_topics.<topic>" spelled out."""
    data = phrasing()
    if phrase.startswith("@question_topics."):
        return [re.compile(p) for p in data["question_topics"][phrase.split(".", 1)[1]]]
    words = sorted({w for ws in data["professions"].values() for w in ws}, key=len, reverse=True)
    return [re.compile(phrase.replace("@professions", "|".join(map(re.escape, words))))]


def _alternatives(phrases: Sequence[Phrase]) -> tuple[tuple[re.Pattern[str], ...], ...]:
    out: list[tuple[re.Pattern[str], ...]] = []
    for phrase in phrases:
        if isinstance(phrase, list):
            out.append(tuple(re.compile(p) for p in phrase))
        else:
            out.extend((p,) for p in _compile(phrase))
    return tuple(out)


@lru_cache(maxsize=1)
def readings() -> tuple[_Reading, ...]:
    """The phrase readers of `phrasing.yaml`, checked against the catalogue."""
    catalogue = Catalogue.load()
    out: list[_Reading] = []
    for fact, entry in phrasing()["reading"].items():
        spec = catalogue.spec(fact)
        if spec is None:
            raise CatalogueError(f"phrasing.yaml: {fact!r} finns inte i facts.yaml.")
        raw = entry.get("values") or {}
        pairs = ([next(iter(d.items())) for d in raw] if isinstance(raw, list)
                 else list(raw.items()))
        values = []
        for value, phrases in pairs:
            value = value.strip() if isinstance(value, str) else value
            if spec.type is FactType.ENUM and spec.canonical(value) != value:
                raise CatalogueError(f"phrasing.yaml: {value!r} är inget värde för {fact!r}.")
            values.append((value, _alternatives(phrases)))
        gate = [p for phrase in entry.get("only_if") or () for p in _compile(phrase)]
        out.append(_Reading(fact, tuple(values), tuple(gate),
                            tuple(p for phrase in entry.get("unless") or ()
                                  for p in _compile(phrase)),
                            entry.get("default"),
                            tuple(re.compile(p) for p in entry.get("patterns") or ()),
                            bool(entry.get("as_written")), bool(entry.get("first_said"))))
    return tuple(out)


@lru_cache(maxsize=1)
def _topic_patterns() -> dict[str, tuple[re.Pattern[str], ...]]:
    return {topic: tuple(re.compile(p) for p in phrases)
            for topic, phrases in phrasing()["question_topics"].items()}


def question_topics(low: str) -> tuple[str, ...]:
    """The rule topics a (lower-cased) question speaks of, in the phrasing's order."""
    return tuple(t for t, patterns in _topic_patterns().items()
                 if any(p.search(low) for p in patterns))


def _another_person(low: str, conversation: str) -> bool:
    """Whether a follow-up turns to another person than the patient as the one treated."""
    return (any(re.search(p, low) for p in phrasing()["another_person"])
            and any(re.search(p, conversation) for p in phrasing()["another_person_only_if"]))


def extract_facts(question: str, history: Sequence[str] = (), region: str | None = None,
                  as_of: date | None = None, rulebase: RuleBase | None = None) -> ExtractedFacts:
    """Facts of a question; a follow-up inherits the earlier questions' facts and topics."""
    merged = ExtractedFacts()
    seen: list[str] = []
    for text in [*history, question]:
        # "den 20 november" in a follow-up is in the year the conversation speaks of.
        known = merged.facts.get("date")
        year = int(known[:4]) if known else (as_of or date.today()).year
        current = _extract_one(text, rulebase, year, context=" ".join(seen))
        seen.append(text.lower())
        if merged.facts.get("product") and "product" not in current.facts and _names_a_thing(text):
            # A follow-up about another thing ("Och en duschpall?") does not inherit the
            # earlier product, whose ISO row or area would then decide it.
            for key in _PRODUCT_FACTS:
                merged.facts.pop(key, None)
        if seen[:-1] and _another_person(text.lower(), " ".join(seen)):
            # "… och hennes sambo?": the case is another person's; the facts about the patient
            # (age, pregnancy, housing) do not hold for them.
            for key in phrasing()["person_facts"]:
                merged.facts.pop(key, None)
        merged.facts.update(current.facts)
        merged.states_facts = bool(current.facts)
        # A follow-up goes on with the earlier question's topics ("… byter han förskrivare
        # då?" after a boundary question is still about the boundary).
        merged.topics = tuple(dict.fromkeys((*merged.topics, *current.topics))) if (
            merged.topics and current.topics) else (current.topics or merged.topics)
        merged.date_explicit = merged.date_explicit or current.date_explicit
    if history and "delegation" in merged.topics:
        # A follow-up may change one of a delegation's days: its period is read from the
        # whole conversation.
        whole: dict[str, Any] = {}
        _delegation_dates(digits_for_numbers(" ".join(t.lower() for t in [*history, question])),
                          whole)
        if "delegation_months" in whole:
            merged.facts.update(whole)
    if region:
        merged.facts["region"] = region
    if "date" not in merged.facts:
        merged.facts["date"] = (as_of or date.today()).isoformat()
    _providers([*history, question], merged.facts)
    if merged.topics and merged.facts.get("topic") and rulebase is not None:
        # A process topic read from the text brings the rule topics that decide it.
        named = {r.topic for r in rulebase.rules
                 if merged.facts["topic"] in values_of(r.when, "topic")}
        merged.topics = tuple(dict.fromkeys((*merged.topics, *sorted(named))))
    merged.notes = _delegation_period(merged.facts)
    _derive(merged.facts, rulebase)
    return merged


def _providers(texts: Sequence[str], facts: dict[str, Any]) -> None:
    """Which provider already prescribes, and whether the one asked about is the same
    profession at the other provider (see `provider_mentions` in phrasing.yaml)."""
    already, patterns = _provider_patterns()
    mentions: list[tuple[str, str, bool]] = []
    for text in texts:
        low = text.lower()
        found: list[tuple[int, str, str, bool]] = []
        for profession, provider, regex in patterns:
            for m in regex.finditer(low):
                # Within its own sentence: "already" of the next one is not its.
                near = _sentence_at(low, m.start(), m.end())
                found.append((m.start(), provider, profession, bool(already.search(near))))
        mentions.extend((provider, profession, past)
                        for _, provider, profession, past in sorted(set(found)))
    if len(mentions) < 2:
        return
    existing = next((m for m in mentions if m[2]), mentions[0])
    asked = next((m for m in reversed(mentions) if m[0] != existing[0]), None)
    if asked is None:
        return
    facts["existing_provider"] = existing[0]
    facts["same_profession_at_both"] = existing[1] == asked[1]


@lru_cache(maxsize=1)
def _provider_patterns() -> tuple[re.Pattern[str], tuple[tuple[str, str, re.Pattern[str]], ...]]:
    """The "already" words and, per profession and provider, its mention patterns, compiled
    once (phrasing.yaml `provider_already`, `provider_mentions`)."""
    data = phrasing()
    already = re.compile("|".join(rf"\b{w}\b" for w in data["provider_already"]))
    out = []
    for profession, words in data["professions"].items():
        alternation = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
        for provider, patterns in data["provider_mentions"].items():
            for pattern in patterns:
                # A profession word starts a word ("ot" is not the end of "not").
                out.append((profession, provider,
                            re.compile(pattern.replace("{p}", rf"\b(?:{alternation})"))))
    return already, tuple(out)


_CLAUSE_ENDS = (". ", "? ", "! ", "; ")


def _sentence_at(low: str, start: int, end: int) -> str:
    """The sentence (or ';'-clause) of the text that holds low[start:end]."""
    begin = max(low.rfind(mark, 0, start) for mark in _CLAUSE_ENDS)
    stops = [i for i in (low.find(mark, end) for mark in _CLAUSE_ENDS) if i >= 0]
    return low[begin + 1:min(stops) if stops else len(low)]


def _delegation_period(facts: dict[str, Any]) -> tuple[str, ...]:
    """Whether a delegation issued on one day for some months still holds on the day asked
    about; the dates go into the explanation."""
    issued, months = facts.get("delegation_issued"), facts.get("delegation_months")
    if not issued:
        return ()
    start = date.fromisoformat(issued)
    if not months:
        # With no period stated, a decision holds a year at most: later than that it has
        # lapsed whatever it said.
        day = date.fromisoformat(facts["date"])
        if day > _last_day(start, 12):
            facts["delegation_expired"] = True
            return (f"Beslutet utfärdades {start.isoformat()}; ett delegeringsbeslut gäller högst "
                    f"ett år, så den {day.isoformat()} hade det gått ut.",)
        return ()
    end = _last_day(start, int(months))
    day = date.fromisoformat(facts["date"])
    if day == start:
        # No day of the task was named: the period itself is what is asked about.
        return (f"Beslutet utfärdades {start.isoformat()} och gäller till och med "
                f"{end.isoformat()}, {months} månader.",)
    facts["delegation_expired"] = day > end
    state = "hade giltighetstiden gått ut" if day > end else "gällde beslutet fortfarande"
    return (f"Beslutet utfärdades {start.isoformat()} för {months} månader och gäller till och "
            f"med {end.isoformat()}; den {day.isoformat()} {state}.",)


def _add_months(day: date, months: int) -> date:
    """`day` plus `months` (the last day of a shorter month); a period that runs past year
    9999 ("i 99999999 månader") ends on the last day there is."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    if year > date.max.year:
        return date.max
    # calendar knows the century rule: 2100 is no leap year (a plain `year % 4` test would not).
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _last_day(start: date, months: int) -> date:
    """The last day of a period of `months` that begins on `start`; one that runs past the
    calendar's end holds to its last day."""
    end = _add_months(start, months)
    return end if end == date.max else end - timedelta(days=1)


def _calendar_day(year: int, month: int, day: int) -> date | None:
    """The date, or None for one that does not exist ("2024-02-30", "31 februari", year 0):
    a question may name any numbers, and an impossible date names no day to apply rules on."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _shifted(day: date, days: int) -> date:
    """`day` moved by `days`, staying on the calendar at its ends ("efter den 31 december
    9999" is that day)."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return day


_PRODUCT_FACTS = ("product", "product_area", "iso_code", "fee_item")


def _names_a_thing(text: str) -> bool:
    """The text asks about a thing of its own (its frame has a focus read after a cue)."""
    frame = read_frame(text)
    return frame.focus_from_cue and bool(frame.focus)


def _extract_one(text: str, rulebase: RuleBase | None,
                 default_year: int | None = None, context: str = "") -> ExtractedFacts:
    low = digits_for_numbers(f" {text.lower()} ")
    # A year the question names ("2025 års avgifter") is the year of a day named without one.
    year = next((m for m in re.finditer(r"\b(20\d\d)\b", low) if _bare_year_applies(low, m)),
                None)
    if year is not None:
        default_year = int(year.group(1))
    english = is_english(text)
    ordered = low
    if english:
        # English names of products and terms read as the corpus's words ("insulin pump" →
        # insulinpump), so the Swedish vocabulary below decides them too.
        ordered = _with_corpus_names(low, in_place=True)
        low = _with_corpus_names(low)
    facts: dict[str, Any] = {}
    regions = detect_regions(text)
    if len(regions) == 1:
        facts["region"] = regions[0]
    found_date = _date(low, default_year)
    if found_date is not None:
        facts["date"] = found_date.isoformat()
    codes = ISO_CODE.findall(text)
    if codes:
        facts["iso_code"] = codes[0]
    for reading in readings():
        value = reading.read(low, context)
        if value is not None:
            facts[reading.fact] = value
    _people(low, facts)
    _fees(low, facts, ordered, context)
    if "fee_type" in facts:
        _period(low, facts, default_year)
    _products(low, facts, rulebase)
    if "product" not in facts and not english:
        # An everyday name the rules do not use ("käpp" for stödkäppar)
        _products(_with_corpus_names(low), facts, rulebase)
    # "… efter att avtalet gått ut" names no day but asks past the end: a date was asked.
    after_end = any(re.search(p, low) for p in phrasing()["after_expiry"])
    # A day named without a year ("från den 3 maj") is placed in this year, but it does not
    # ask for this year's rules: without newer ones the latest apply, with a warning.
    year_named = bool(re.search(r"\b(?:19|20)\d\d\b", low))
    return ExtractedFacts(facts, question_topics(low),
                          (found_date is not None and year_named) or after_end)


def _with_corpus_names(low: str, in_place: bool = False) -> str:
    """The text with the corpus's words for the glossary names in it. Each sentence's names
    are added at its own end, so the phrasings still read the sentence as written and a thing
    the patient already has stays in the sentence that says so (see _without_owned).
    `in_place`: each right after its name instead, so the things keep the order the question
    names them in (its first part prices the first)."""
    if not in_place:
        return re.sub(r"(?:[^.?!;]|[.?!;](?!\s|$))+", _sentence_with_corpus_names, low)
    tokens = list(WORD.finditer(low))
    after: dict[int, list[str]] = {}
    for last, corpus in glossary_matches([t.group(0) for t in tokens]):
        after.setdefault(tokens[last].end(), []).append(corpus)
    out, at = [], 0
    for end in sorted(after):
        out += [low[at:end], " ", " ".join(dict.fromkeys(after[end]))]
        at = end
    return "".join([*out, low[at:]])


def _sentence_with_corpus_names(sentence: re.Match[str]) -> str:
    """One sentence with its names' corpus words at its end. A name said negated ("was never
    signed up for home healthcare") adds its word negated, last, so that the negation reaches
    no other word."""
    text = sentence.group(0)
    tokens = list(WORD.finditer(text))
    said, negated = [], []
    for last, corpus in glossary_matches([t.group(0) for t in tokens]):
        start = tokens[last].start()
        (negated if _VALUE_NEGATED.search(text[max(0, start - 40):start]) else said).append(corpus)
    added = [*said, *(f"inte {corpus}" for corpus in dict.fromkeys(negated))]
    return f"{text.rstrip()} {' '.join(added)} "


def _people(low: str, facts: dict[str, Any]) -> None:
    """Who does what: the profession asked about, or a delegation's receiver and duration."""
    vocab = phrasing()
    if any(p.search(low) for p in _topic_patterns()["delegation"]):
        months = re.search(r"(\d+|\w+)\s+(år|years?|månader|months?)\b", low)
        if months:
            n = _number(months.group(1))
            if n is not None:
                facts["delegation_months"] = n * (12 if months.group(2).startswith(("år", "y"))
                                                  else 1)
        _delegation_dates(low, facts)
        receiver = re.search(r"\btill (?:en |ett |vår |min )?([\wåäö ]+?)(?: utan| som|\?|,|$)",
                             low)
        receiver_text = low[receiver.start():] if receiver else ""
        if receiver_text:
            facts["receiver_licensed"] = not _unlicensed(receiver_text)
            rec = _professions(receiver_text)
            if rec and rec[0] in vocab["unlicensed_professions"]:
                facts["receiver_licensed"] = False
        if any(p in vocab["unlicensed_professions"] for p in _professions(low)) or (
                not receiver_text and _unlicensed(low)):
            # The one who delegates is licensed; an unlicensed profession or person named is
            # the receiver ("… to an unlicensed assistant").
            facts["receiver_licensed"] = False
        return
    found = _professions(low)
    if found:
        facts["profession"] = found[0]
        if found[0] in vocab["unlicensed_professions"]:
            facts["licensed"] = False


def _period(low: str, facts: dict[str, Any], year: int | None) -> None:
    """How many months a loan or rent runs: "i fem månader", "i två år", or the months begun
    between two days ("från 5 april till 12 juni" → 3 begun months)."""
    data = phrasing()
    about = "|".join(data["approximately"])
    before = "|".join(data["period_before"])
    for unit in data["period_units"].values():
        words = "|".join(sorted(unit["words"], key=len, reverse=True))
        found = re.search(rf"\b(?:{before})\s+(?:(?:{about})\s+)?(\d+(?:[,.]\d+)?|\w+)\s+"
                          rf"(?:{words})\b", low)
        if found and (n := _amount_of(found.group(1))):
            # A loan is charged by the months it begins: "3,5 månader" begins 4, six weeks 2.
            days = n * unit["days"]
            facts["period_months"] = max(1, math.ceil(days / 30.4375 - 1e-9))
            return
    names = "|".join(sorted(phrasing()["months"], key=len, reverse=True))
    span = re.search(rf"(?:från|from|mellan|between)\s+(?:den\s+)?(\d{{1,2}})\s+({names})\w*"
                     rf"(?:\s+(\d{{4}}))?\s+(?:till|to|until|och|and)\s+(?:\w+\s+)?(?:den\s+)?"
                     rf"(\d{{1,2}})\s+({names})\w*(?:\s+(\d{{4}}))?", low)
    if not span:
        return
    table = phrasing()["months"]
    this_year = year or date.today().year
    start = _calendar_day(int(span.group(3) or this_year), table[span.group(2)],
                          int(span.group(1)))
    end = _calendar_day(int(span.group(6) or span.group(3) or this_year), table[span.group(5)],
                        int(span.group(4)))
    if start is None or end is None or end < start:
        return
    begun = (end.year - start.year) * 12 + end.month - start.month + (end.day >= start.day)
    facts["period_months"] = max(1, begun)


def _delegation_dates(low: str, facts: dict[str, Any]) -> None:
    """The date a delegation was issued (a date soon after an issuing word) and, when another
    date follows, the day the task is done on."""
    issue_words = "|".join(phrasing()["delegation_issued"])
    dates = _all_dates(low)
    # A date the decision is said to hold until ("gäller till och med 30 juni 2026") is
    # its end, not the day issued or the day the task is done: it gives the months it runs.
    until = re.compile(rf"(?:{'|'.join(phrasing()['delegation_until'])})\s+(?:den\s+|the\s+)?$")
    ends = [(pos, d) for pos, d in dates if until.search(low[max(0, pos - 40):pos])]
    dates = [item for item in dates if item not in ends]
    # Up to eight words of the same sentence between ("delegerades av arbetsterapeuten på
    # avdelningen (legitimerad) den 1 juni").
    before = re.compile(rf"(?:{issue_words})\s+(?:[^\s.?!]+\s+){{0,8}}"
                        r"(?:den\s+|the\s+|on\s+|i\s+|in\s+)?$")
    # … or the sentence opens with the day ("Den 1 mars skrev jag …", "On 1 March I signed …")
    after = re.compile(rf"^[\wåäö ]{{0,30}}?\s(?:\w+\s+){{0,2}}(?:{issue_words})\b")
    issued = next(((pos, d) for pos, d in dates if before.search(low[max(0, pos - 100):pos])
                   or after.match(low[pos:pos + 60])), None)
    if issued is None:
        return
    facts["delegation_issued"] = issued[1].isoformat()
    later = [d for pos, d in dates if pos > issued[0]]
    if later:
        facts["date"] = later[0].isoformat()
    # The last end said counts: a follow-up may change it ("Om slutdatumet blir …").
    end = next((d for _, d in reversed(ends) if d >= issued[1]), None)
    if end is not None and "delegation_months" not in facts:
        start = issued[1]
        facts["delegation_months"] = ((end.year - start.year) * 12 + end.month - start.month
                                      + (end.day >= start.day))
        if not later:
            facts["date"] = start.isoformat()


def _all_dates(low: str) -> list[tuple[int, date]]:
    """Every full date in the text ("1 mars 2025", "2025-03-01"), with its position."""
    months = phrasing()["months"]
    names = "|".join(sorted(months, key=len, reverse=True))
    found = [(m.start(), _calendar_day(int(m.group(1)), int(m.group(2)), int(m.group(3))))
             for m in re.finditer(r"(\d{4})-(\d{2})-(\d{2})", low)]
    found += [(m.start(), _calendar_day(int(m.group(3)), months[m.group(2)], int(m.group(1))))
              for m in re.finditer(rf"(\d{{1,2}})\s+({names})\w*\.?\s+(\d{{4}})", low)]
    # "i juni 2026", "in March 2026": the middle of the month.
    found += [(m.start(), _calendar_day(int(m.group(2)), months[m.group(1)], 15))
              for m in re.finditer(rf"(?<!\d )(?<!\d)\b({names})\w*\.?\s+(\d{{4}})", low)
              if not re.search(r"\d\s+$", low[max(0, m.start() - 4):m.start()])]
    return sorted((pos, day) for pos, day in found if day is not None)


def _professions(text: str) -> list[str]:
    hits: list[tuple[int, str]] = []
    for name, words in phrasing()["professions"].items():
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
    reading = next(r for r in readings() if r.fact == "licensed")
    phrases = dict(reading.values)[False]
    return any(all(p.search(text) for p in phrase) for phrase in phrases)


def _fees(low: str, facts: dict[str, Any], ordered: str | None = None,
          context: str = "") -> None:
    """The fee item: a fee table's item named in the question, by its catalogue spellings, or
    told by the share of a need it covers (`fee_item_shares` in phrasing.yaml). `ordered`: the
    text with each corpus name where its English name stands, for the order they are named.
    `context`: the earlier turns, when one of them asked a fee ("Och om den bara täcker 60
    procent?")."""
    if "fee_type" not in facts and "fees" not in question_topics(context.lower()):
        return
    spec = Catalogue.load().facts["fee_item"]

    def where(text: str, item: str) -> int | None:
        found = [m.start() for w in spec.spellings(item) for m in
                 [re.search(rf"(?<!\w){re.escape(w.lower())}(?:en|er|ar|na|n)?(?!\w)", text)]
                 if m]
        return min(found) if found else None

    def names(text: str, item: str) -> bool:
        return where(text, item) is not None

    # In the order the question names them: its first part prices the first.
    at = {item: where(ordered or low, item) for item in spec.values}
    named = sorted((item for item, place in at.items() if place is not None), key=at.__getitem__)
    # A thing the patient already has is not the one priced when another is named.
    unowned = _without_owned(low)
    fresh = [item for item in named if names(unowned, item)]
    if fresh:
        facts["fee_item"] = fresh[0]
        return
    if named:
        # Only a thing already had is named: the product read below decides (see _derive).
        return
    shares = phrasing().get("fee_item_shares") or {}
    m = re.search(shares.get("pattern", r"$^"), low)
    fractions = shares.get("fractions", {})
    words = "|".join(sorted(map(re.escape, fractions), key=len, reverse=True))
    said = re.search(shares.get("fraction_pattern", r"$^").replace("{fractions}", words or "$^"),
                     low)
    share: float | None = None
    if m:
        # The middle of a stated range ("60–70 procent") picks the table's band.
        share = (int(m.group(1)) + int(m.group(2) or m.group(1))) / 2
    elif said:
        share = float(fractions[said.group(1)])
    elif any(re.search(p, low) for p in shares.get("whole", ())):
        share = 100.0
    if share is not None:
        for item, (lowest, highest) in shares.get("items", {}).items():
            if lowest <= share < highest or (share == highest == 100):
                facts["fee_item"] = item
                return


def _products(low: str, facts: dict[str, Any], rulebase: RuleBase | None) -> None:
    """The product the question asks about: the longest product phrase it mentions, from the
    rules and the vocabulary, leaving out one it says is not needed ("inte duschstolen utan en
    stödkäpp" → stödkäpp)."""
    named: set[str] = set()
    if rulebase is not None:
        for rule in rulebase.rules:
            named.update(rule.products)
    phrases = set(named)
    for words in phrasing()["product_areas"].values():
        phrases.update(words)
    found = [(phrase, at) for phrase in phrases if (at := _mentions(low, phrase)) is not None]
    wanted = [(p, at) for p, at in found if not _NEGATED.search(low[max(0, at - 30):at])]
    unowned = _without_owned(low)
    fresh = [(p, at) for p, at in wanted if _mentions(unowned, p) is not None]
    chosen = fresh or wanted or found
    # The rules' own name for a thing ("duschstolar", added for an English "shower chair")
    # is more precise than an area's word for the same thing, however long that is.
    own = {p for p, _ in chosen if p in named}
    chosen = [(p, at) for p, at in chosen
              if p in named or not set(glossary_expansion(p.split())) & own]
    best = max(chosen, key=lambda item: len(item[0]), default=None)
    if best is not None:
        # Of two things offered as alternatives ("en gåstol eller ett gåbord"), the one
        # named first is asked about first.
        best = next((p for p in sorted(chosen, key=lambda c: c[1])
                     if p[1] < best[1] and _ALTERNATIVE.fullmatch(low[p[1]:best[1]])), best)
        facts.setdefault("product", best[0])
        if best[0] not in named:
            _listed_row(low, best[0], facts)


# From one thing's name to the next's when they are offered as alternatives.
_ALTERNATIVE = re.compile(r"[\wåäö-]+(?:\s+[\wåäö-]+)?,?\s+(?:eller|or)\s+"
                          r"(?:(?:en|ett|a|an|kanske|maybe|perhaps)\s+)*")


def _listed_row(low: str, product: str, facts: dict[str, Any]) -> None:
    """The ISO row of an everyday product word the glossary gives one row for
    ("toalettförhöjning" → 091218 Toalettstolsförhöjningar, fasta), unless the question asks
    for another kind than the row's ("en fristående …": qualifiers.yaml)."""
    if "iso_code" in facts:
        return
    # The longest glossary name holding the word that the question says ("fristående
    # toalettförhöjning" before "toalettförhöjning").
    names = [n for n in glossary_names()
             if product in n.split() and find_phrase(low, n) is not None]
    corpus = glossary_names()[max(names, key=len)] if names else None
    codes = glossary_iso().get(corpus or "", ())
    if len(codes) != 1:
        return
    if stance(asked_qualifiers(low, [product]), corpus or "") is Stance.CONTRADICTS:
        return
    facts["iso_code"] = codes[0]


def _without_owned(low: str) -> str:
    """The text with what the patient already has blanked out (same length, so places hold):
    from an owned marker (phrasing.yaml `product_owned`, "har redan", "already has") to its
    sentence's end or a word that turns to what is needed now (`product_turn`: "har redan X
    men behöver Y")."""
    owned, turn = _owned_patterns()
    out = list(low)
    for m in owned.finditer(low):
        ends = [low.find(c, m.end()) for c in ".?!;\n"]
        stop = min((e for e in ends if e >= 0), default=len(low))
        turned = turn.search(low, m.end(), stop)
        for i in range(m.end(), turned.start() if turned else stop):
            out[i] = " "
    return "".join(out)


@lru_cache(maxsize=1)
def _owned_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    data = phrasing()
    return (re.compile("|".join(rf"\b{w}\b" for w in data["product_owned"])),
            re.compile("|".join(rf"\b{w}\b" for w in data["product_turn"])))


# "inte behöver duschstolen", "ingen rollator", "not a walker": a product declined.
_NEGATED = re.compile(r"\b(inte|ej|ingen|inget|inga|not|no)\b(\s+\w+){0,2}\s*$")


def _mentions(low: str, phrase: str) -> int | None:
    """Where the text mentions every word of the phrase by its stem ("utomhusrollator" →
    "rollator", "stödkäpp" → "stödkäppar"), or None."""
    first: int | None = None
    for word, root in _roots(phrase):
        if len(root) >= 5:
            at = low.find(root)
            if at < 0 and len(root) >= 9:
                at = _misspelt(low, root)
        else:
            m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", low)
            at = m.start() if m else -1
        if at < 0:
            return None
        first = at if first is None else min(first, at)
    return first


@lru_cache(maxsize=4096)
def _roots(phrase: str) -> tuple[tuple[str, str], ...]:
    return tuple((word, stem(word)) for word in phrase.split())


def _misspelt(low: str, root: str) -> int:
    """Where a long product word stands misspelt by a letter ("kompressionstrumpor"), or -1.
    Only words of about the root's length and with its first letters are compared."""
    for m in _long_words(low):
        word = m.group(0)
        if word[:3] == root[:3] and abs(len(word[:len(root) + 1]) - len(root)) <= 1:
            matcher = difflib.SequenceMatcher(None, word[:len(root)], root)
            if matcher.quick_ratio() >= 0.92 and matcher.ratio() >= 0.92:
                return m.start()
    return -1


@lru_cache(maxsize=64)
def _long_words(low: str) -> tuple[re.Match[str], ...]:
    return tuple(re.finditer(r"[\wåäö]{8,}", low))


def _derive(facts: dict[str, Any], rulebase: RuleBase | None) -> None:
    """Facts that follow from others: an ISO code from a product, a product area, a fee item."""
    if "age" not in facts and "school_year" in facts:
        # Swedish school year n is the year a child turns n + 6 (årskurs 6 → 12 år).
        facts["age"] = int(facts["school_year"]) + 6
    if facts.get("sex") == "kvinna" and facts.get("age", 99) < 18:
        facts["sex"] = "flicka"
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
    if table == "fee_items":
        spec = Catalogue.load().facts["fee_item"]
        return next((item for item in spec.values
                     if product.lower() in (w.lower() for w in spec.spellings(item))), None)
    for key, words in phrasing()[table].items():
        if product == key or product in words or (
                loose and any(_mentions(product, w) is not None for w in words)):
            return key
    return None


def case_age(text: str) -> int | None:
    """The patient's age as the question states it (the `age` reading of phrasing.yaml)."""
    reading = next(r for r in readings() if r.fact == "age")
    value = reading.read(text.lower())
    return value if isinstance(value, int) else None


def _date(low: str, default_year: int | None = None) -> date | None:
    months = phrasing()["months"]
    names = "|".join(sorted(months, key=len, reverse=True))
    if default_year is not None:
        # A day and a month without a year ("den 20 november") take the given year.
        low = re.sub(rf"\b(\d{{1,2}})\s+({names})\b(?!\w*\.?\s+\d{{4}})",
                     lambda m: f"{m.group(1)} {m.group(2)} {default_year}", low)
    iso = next((d for m in re.finditer(r"(\d{4})-(\d{2})-(\d{2})", low)
                if (d := _calendar_day(int(m.group(1)), int(m.group(2)), int(m.group(3))))),
               None)
    if iso is not None:
        return iso
    # A date that describes the case ("född i mars 2011", "diabetes sedan 2020") is not the
    # date the rules are applied on; the first date bound to the act asked about is.
    m = next((m for m in re.finditer(rf"(?:(\d{{1,2}})\s+)?({names})\w*\.?\s+(\d{{4}})", low)
              if not _describes_case(low, m.start())
              and _calendar_day(int(m.group(3)), months[m.group(2)], int(m.group(1) or 1))),
             None)
    if m:
        year, month = int(m.group(3)), months[m.group(2)]
        window = low[max(0, m.start() - 20):m.start()]
        before = re.search(r"(före|innan|before|prior to|till och med|t\.o\.m\.?)\s+"
                           r"(den\s+|the\s+)?$", window)
        after = re.search(r"(efter|after|sedan|since)\s+(den\s+|the\s+)?$", window)
        if m.group(1):
            day = date(year, month, int(m.group(1)))
            if before and not before.group(1).startswith(("till", "t.o.m")):
                return _shifted(day, -1)
            return _shifted(day, 1) if after else day
        first = date(year, month, 1)
        if before:
            return _shifted(first, -1)
        return date(year, month, 15)
    m = next((m for m in re.finditer(r"\b(20\d\d)\b", low) if _bare_year_applies(low, m)),
             None)
    if m:
        return date(int(m.group(1)), 7, 1)
    return None


# A bare year is the year the rules apply on when a preposition binds it to the act ("i 2025",
# "under 2026", "2025 års avgifter") or when it stands in the sentence that asks; in a sentence
# that tells the case ("skadades i en olycka 2017", "har en kurs från 2021") it does not.
_YEAR_BOUND = re.compile(r"(?:\b(?:i|under|år|efter|före|från|inför|fr\.o\.m\.?|t\.o\.m\.?|in|"
                         r"during|for|from|after|before|by|until)\s+(?:år\s+|the\s+year\s+)?)$")


def _bare_year_applies(low: str, m: re.Match[str]) -> bool:
    if _describes_case(low, m.start()):
        return False
    names = "|".join(phrasing()["months"])
    before = low[max(0, m.start() - 12):m.start()]
    if _YEAR_BOUND.search(before) or re.search(rf"\b(?:{names})\w*\.?\s+$", before) or re.match(
            r"\s*(?:års|'s)\b", low[m.end():]):
        # bound by a preposition, or the year of a day ("den 15 april 2025")
        return True
    end = min((i for i in (low.find(c, m.end()) for c in ".?!") if i >= 0), default=len(low))
    return low[end:end + 1] == "?" or end == len(low)


_CASE_DATE = re.compile(r"(född|födda|föddes|born|sedan|since|haft|had|diagnos\w*|"
                        r"diagnosed)\s+(i\s+|in\s+|år\s+|den\s+|the\s+)?$")


def _describes_case(low: str, start: int) -> bool:
    return bool(_CASE_DATE.search(low[max(0, start - 25):start]))


@lru_cache(maxsize=2)
def _cardinal_pattern(followed: bool = True) -> re.Pattern[str]:
    """A spelled number; `followed`: only before a word of an age or credits ("-åring",
    " hp"), where a spelled number is surely one."""
    table = phrasing()["cardinals"]
    units = "|".join(table["units"])
    teens = "|".join(table["teens"])
    tens = "|".join(table["tens"])
    before = "|".join(table["before"]) if followed else ""
    return re.compile(rf"\b(?:(?P<tens>{tens})(?P<unit>{units})?|(?P<teen>{teens})|"
                      rf"(?P<one>{units}))" + (rf"(?=(?:{before}))" if followed else ""))


def digits_for_numbers(low: str) -> str:
    """Spelled numbers of an age or of credits as digits: "en fyraåring" → "en 4-åring",
    "tre hp" → "3 hp" (phrasing.yaml `cardinals`), so the age and credit patterns read them."""
    def value(m: re.Match[str]) -> str:
        n = _cardinal_value(m)
        following = low[m.end():m.end() + 1]
        return f"{n}-" if following.isalpha() else str(n)

    return _cardinal_pattern().sub(value, low)


def _cardinal_value(m: re.Match[str]) -> int:
    table = phrasing()["cardinals"]
    if m.group("teen"):
        return table["teens"][m.group("teen")]
    if m.group("tens"):
        return table["tens"][m.group("tens")] + table["units"].get(m.group("unit") or "", 0)
    return table["units"][m.group("one")]


def _amount_of(token: str) -> float | None:
    """A count that may have decimals ("3,5"), spelled or in digits."""
    if re.fullmatch(r"\d+[,.]\d+", token):
        return float(token.replace(",", "."))
    return _number(token)


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    if token in phrasing()["numbers"]:
        return phrasing()["numbers"][token]
    spelled = _cardinal_pattern(followed=False).fullmatch(token)
    return _cardinal_value(spelled) if spelled else None


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


# --- what the reader can produce -------------------------------------------------------------

_COMPUTED = {"same_profession_at_both", "existing_provider", "delegation_expired",
             "delegation_issued", "delegation_months", "receiver_licensed", "region", "date",
             "iso_code", "profession", "product", "product_area", "fee_item", "licensed", "sex"}


def reachable_values(fact: str) -> set[Any] | None:
    """The values a question can give `fact`: a set for enum and boolean facts, None for a
    number, date or code fact that has a reader, and an empty set when nothing reads it."""
    catalogue = Catalogue.load()
    spec = catalogue.spec(fact)
    if spec is None:
        return set()
    found: set[Any] = set()
    for reading in readings():
        if reading.fact == fact:
            if reading.patterns:
                return None
            found |= {value for value, _ in reading.values}
            if reading.default is not None:
                found.add(reading.default)
    if fact in _COMPUTED:
        if spec.type in (FactType.INTEGER, FactType.DATE, FactType.CODE, FactType.AMOUNT):
            return None
        data = phrasing()
        found |= {
            "region": set(spec.values) & {str(r) for r in _lexicon_regions()},
            "profession": set(data["professions"]),
            "product_area": set(data["product_areas"]),
            "fee_item": set(spec.values),
            "existing_provider": set(data["provider_mentions"]),
            "sex": {"flicka"},
            "licensed": {False},
        }.get(fact, {True, False} if spec.type is FactType.BOOLEAN else set())
    if spec.type is FactType.TEXT:
        return None if fact in _COMPUTED else set()
    return found


def _lexicon_regions() -> list[str]:
    return list(lexicon().get("regions", {}))
