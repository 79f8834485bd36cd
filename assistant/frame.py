"""Question frame: what a question asks (its parts and their kinds) and what it asks about.

One reading of the question that the answerability gate, the answer composer and the generative
answerer share. The phrasings are data (`assistant/data/frame.yaml`); the vocabulary that
decides whether the documents know the focus is the corpus's own (plus the glossary's English
and everyday Swedish names, `assistant/data/glossary.yaml`).

- `asks`: the parts of the question in the order asked, each an `Intent` ("hur länge gäller
  beslutet och vem fattar det?" → duration, who);
- `focus`: the thing asked about, read after the word that asks ("vad kostar en peruk" →
  "peruk"); case conditions (ages, dates, diagnoses) are removed first, so "en 80-åring med
  MS-diagnos" is never the focus;
- `unknown`: focus words the corpus never uses, not even as a compound of words it uses,
  a close misspelling or a glossary name: the documents cannot answer about those.

Example:
    >>> vocab = Vocabulary.from_texts(["Rollator för utomhusbruk. Vaccin mot kikhosta."])
    >>> f = read_frame("Vad kostar en peruk för patienten?", vocab)
    >>> f.intent.value, f.focus, f.unknown
    ('cost', ('peruk',), ('peruk',))
    >>> read_frame("Vem förskriver rollatorer åt 75-åringar med MS-diagnos?", vocab).unknown
    ()
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from enum import Enum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import yaml

from assistant.text import (
    GENERIC,
    STOPWORDS,
    english_fold,
    glossary_names,
    glossary_words,
    stem,
    words,
)
from core.text import lexicon

FRAME_PATH = Path(__file__).with_name("data") / "frame.yaml"


class Intent(Enum):
    COST = "cost"
    DURATION = "duration"
    DATE = "date"
    PROFESSION = "profession"
    COUNT = "count"
    WHO = "who"
    LIST = "list"
    DEFINITION = "definition"
    COMPARISON = "comparison"
    SURVEY = "survey"
    REASON = "reason"
    WHERE = "where"
    MAY = "may"
    OTHER = "other"


@dataclass(frozen=True)
class Ask:
    """One part of a question: its intent and where in the question it is asked."""

    intent: Intent
    start: int
    cue: str
    clause: str = ""  # the words of the question that belong to this part
    counted: str = ""  # "hur många dagar …" → "dagar": the noun a number must count


@dataclass(frozen=True)
class QuestionFrame:
    question: str
    asks: tuple[Ask, ...]
    focus: tuple[str, ...]  # the focus phrase's words, as written (lower case)
    unknown: tuple[str, ...]  # focus words the corpus (and glossary) never use
    focus_from_cue: bool  # read after an asking word (reliable) or guessed from content words
    phrase: tuple[str, ...] = ()  # the focus phrase as written, fillers included ("hearing aid")
    asked: tuple[str, ...] = ()  # what the question words ask for: "vilka risker" → risker
    pair: tuple[str, ...] = ()  # two terms asked side by side ("skillnaden mellan X och Y")
    # What a cost question prices, when it names several things ("X och för Y", "X, and what
    # about Y"): the focus first, then each further thing, as written.
    items: tuple[tuple[str, ...], ...] = ()

    @property
    def intent(self) -> Intent:
        return self.asks[0].intent if self.asks else Intent.OTHER

    def label(self, intent: Intent) -> str:
        return str(config()["intents"].get(intent.value, {}).get("label", intent.value))


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    with FRAME_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@cache
def _pattern(kind: str) -> re.Pattern[str]:
    data = config()
    if kind == "conditions":
        return re.compile("|".join(f"(?:{p})" for p in data["conditions"]))
    if kind == "focus_after":
        return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{p})" for p in data["focus_after"])
                          + r")(?!\w)")
    raise KeyError(kind)


@cache
def intent_pattern(intent: str) -> re.Pattern[str]:
    cues = config()["intents"][intent]["cues"]
    return re.compile(r"(?<!\w)(?:" + "|".join(f"(?:{c})" for c in cues) + ")")


@cache
def answer_pattern(kind: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in config()["answer_kinds"][kind]))


def rule_topics(intent: Intent) -> frozenset[str] | None:
    """The rule topics that may decide a question of this kind; None: any."""
    topics = config().get("rule_topics", {}).get(intent.value)
    return None if topics is None else frozenset(topics)


def frame_rule_topics(frame: QuestionFrame,
                      known: Iterable[str] = ()) -> frozenset[str] | None:
    """The rule topics that may decide any part of the question ("vad kostar … och vem
    förskriver …" may be decided by a fee rule or a boundary rule); None: any of `known`.

    >>> frame = QuestionFrame("Vilka risker ser Skåne i enkäten?", (), (), (), False)
    >>> sorted(frame_rule_topics(frame, ["survey", "boundary"]))
    ['boundary']
    """
    allowed = _asked_topics(frame)
    question = frame.question.lower()
    excluded = {topic for topic, cues in config().get("not_decided_by", {}).items()
                if matches_any(cues["asked"], question)
                and not matches_any(cues.get("unless", ()), question)}
    if not excluded:
        return allowed
    if any(a.intent.value in excluded for a in frame.asks):
        return frozenset()  # asked of that kind itself (the survey): no decision rule answers
    return (frozenset(known) if allowed is None else allowed) - excluded


def matches_any(patterns: Iterable[str], text: str) -> bool:
    """Whether any of the (frame.yaml) patterns is found in the text."""
    return any(re.search(p, text) for p in patterns)


def _asked_topics(frame: QuestionFrame) -> frozenset[str] | None:
    allowed: set[str] = set()
    several = config().get("rule_topics_several_priced")
    for ask in frame.asks or (Ask(Intent.OTHER, 0, ""),):
        topics = rule_topics(ask.intent)
        if topics is None:
            if len(frame.items) >= 2 and several is not None:
                return frozenset(several)
            return None
        allowed |= topics
    if len(frame.items) >= 2 and several is not None:
        allowed &= set(several)
    return frozenset(allowed)


def lead_decisions(frame: QuestionFrame) -> frozenset[str]:
    """The rule decision kinds that answer the question's first part ("kan hon få
    förskriva, och när följs det upp …" is answered first by a ja/nej rule); empty: any."""
    if not frame.asks:
        return frozenset()
    return frozenset(config()["intents"].get(frame.asks[0].intent.value, {}).get("decides", ()))


def answered_only_by(frame: QuestionFrame) -> frozenset[str]:
    """The decision kinds that alone may answer the question when its words name no rule
    topic: a "may" part about another act than providing the aid ("får de byta typ?") is
    answered by yes or no, not by whose task it is (`party_acts` in frame.yaml); empty: any."""
    if not frame.asks:
        return frozenset()
    first = frame.asks[0]
    spec = config()["intents"].get(first.intent.value, {})
    acts = spec.get("party_acts")
    if not acts or any(re.search(a, first.clause) for a in acts):
        return frozenset()
    return frozenset(spec.get("decides", ()))


def never_answered_by(frame: QuestionFrame) -> frozenset[str]:
    """The decision kinds that answer none of the question's parts (`not_answered_by` in
    frame.yaml: which items a list holds is no yes or no); empty: any may.

    >>> frame = QuestionFrame("Vilka hjälpmedel omfattas?", (Ask(Intent.LIST, 0, "vilka"),),
    ...                       (), (), False)
    >>> sorted(never_answered_by(frame))
    ['ja_nej']
    """
    if not frame.asks:
        return frozenset()
    intents = config()["intents"]
    return frozenset.intersection(*(frozenset(intents.get(a.intent.value, {})
                                              .get("not_answered_by", ()))
                                    for a in frame.asks))


def answer_kind(intent: Intent) -> str | None:
    return config()["intents"].get(intent.value, {}).get("answer")


class Vocabulary:
    """The words a corpus uses, to tell whether a question's focus is something it speaks of."""

    def __init__(self, corpus_words: Iterable[str]) -> None:
        self.words = {w for w in corpus_words if not w.isdigit()}
        self.stems = {stem(w) for w in self.words}
        # Near spellings are looked for among words of the same first letter only: a typo
        # rarely hits the first letter, and the search stays fast.
        self._close: dict[str, list[str]] = {}
        for w in sorted(self.words):
            if len(w) >= 5:
                self._close.setdefault(w[0], []).append(w)
        self._cache: dict[str, bool] = {}
        self._kinds: dict[str, int] = {}
        # First parts of the corpus's compounds ("energi" of "energibehovet"): a word it uses
        # only inside a compound is still one it speaks of.
        self.heads = {w[:i] for w in self.words if len(w) >= 9
                      for i in range(4, len(w) - 4)
                      if w[i:] in self.words and w[i:] not in STOPWORDS}

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        return cls(w for t in texts for w in words(t))

    def knows(self, word: str) -> bool:
        """The corpus uses the word, a form of it, a compound of its words, or a near spelling."""
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = self._knows(word)
        return cached

    def _knows(self, word: str) -> bool:
        if word.isdigit() or word in self.words or self._stem_known(word):
            return True
        if "-" in word:
            return all(self.knows(p) for p in word.split("-") if p)
        if self._compound(word) or any(
                word[:len(word) - cut] in self.heads for cut in (0, 1, 2) if len(word) - cut >= 4):
            return True
        # A typo of a word the corpus uses ("rolator", "hörapparatt") is that word.
        return self.spelling(word) is not None

    def spelling(self, word: str) -> str | None:
        """The corpus word a typo stands for ("rolator" → "rollator"), or None."""
        if len(word) < 6:
            return None
        near = [w for w in self._close.get(word[0], ()) if abs(len(w) - len(word)) <= 2]
        close = difflib.get_close_matches(word, near, n=1, cutoff=0.88)
        return close[0] if close else None

    def _stem_known(self, word: str) -> bool:
        """A form of the word is the corpus's: its stem, the stem of the form that drops
        the last e of -er/-el/-en ("kalender" as in "kalendrar", "cykel" as in "cyklar"), or
        of an adjective's neuter without its -t ("dyrt" as in "dyrare")."""
        if stem(word) in self.stems:
            return True
        m = re.match(r"(.+)e([lnr])$", word)
        if m and stem(m.group(1) + m.group(2)) in self.stems:
            return True
        m = re.match(r"(.{2,}[^aeiouyåäöt])t$", word)
        return bool(m) and stem(m.group(1)) in self.stems

    def parts(self, word: str) -> tuple[str, str] | None:
        """A compound the corpus never uses whole, as two words it does use ("slangset" →
        slang, set; "ledarutbildningen" → ledar, utbildningen), or None."""
        if word in self.words or self._stem_known(word):
            return None
        return next(((head, tail) for head, tail in self._splits(word) if head), None)

    def _splits(self, word: str) -> Iterator[tuple[str | None, str]]:
        """Each split of the word whose last part the corpus uses, with its first part when
        the corpus uses that too (a linking -s dropped), else None."""
        for i in range(3, len(word) - 2):
            head, tail = word[:i], word[i:]
            if tail not in self.words and not self._stem_known(tail):
                continue
            known = next((h for h in (head, head[:-1] if head.endswith("s") else head)
                          if len(h) >= 3 and (h in self.words or stem(h) in self.stems)), None)
            yield known, tail

    def _compound(self, word: str) -> bool:
        # Every part known: "utomhusrollator" = utomhus + rollator; "influensavaccin" is not.
        for head, tail in self._splits(word):
            if head:
                return True
            # An unknown first part only describes a thing the corpus never tells apart by
            # such parts: "planeringskalender" is a kalender, but the corpus names vaccines by
            # what they prevent (HPV-vaccin), so "influensavaccin" is unknown.
            if len(tail) >= 5 and self.kinds_of(stem(tail)) == 0:
                return True
        return False

    def item_frame(self, frame: QuestionFrame, item: tuple[str, ...]) -> QuestionFrame:
        """The frame asking about one of the things the question prices (frame.items)."""
        unknown = tuple(w for w in item if not _names_a_thing(w, self))
        return replace(frame, focus=item, phrase=item, unknown=unknown, items=())

    def kinds_of(self, root: str) -> int:
        """How many corpus words are compounds ending in the root ("hpvvaccin", …)."""
        cached = self._kinds.get(root)
        if cached is None:
            cached = self._kinds[root] = sum(
                1 for w in self.words
                if len(w) > len(root) + 2 and stem(w).endswith(root) and not w.startswith(root))
        return cached


def names_novel_thing(question: str) -> bool:
    """Whether the question says its thing is new or missing from the documents ("ett nytt
    slags X som saknas i sortimentet", frame.yaml `novel_focus`)."""
    lowered = question.lower()
    return any(re.search(p, lowered) for p in config().get("novel_focus", ()))


def measure_choice(question: str) -> tuple[str, str] | None:
    """The two measures a fee question offers ("per styck eller för båda" → styck, båda), or
    None (frame.yaml `measure_choice`)."""
    m = re.search(config().get("measure_choice", "$^"), question.lower())
    return (m.group(1), m.group(2)) if m else None


def asks_category(question: str) -> bool:
    """Whether the question asks the category a thing has in a list ("hur är X klassade",
    frame.yaml `category_asked`)."""
    return matches_any(config().get("category_asked", ()), asking_only(question.lower()))


@lru_cache(maxsize=512)  # the query, the answerer and the rule check each read the question
def read_frame(question: str, vocabulary: Vocabulary | None = None) -> QuestionFrame:
    """Read what the question asks and about what (`unknown` needs the corpus's vocabulary)."""
    lowered = " ".join(question.lower().split())
    asks = _asks(asking_only(lowered))
    stripped = _pattern("conditions").sub(" ", lowered)
    candidates = _by_asking(_focus_candidates(stripped), asking_only(stripped))
    focus, phrase, from_cue, _ = candidates[0]
    if vocabulary is not None and from_cue:
        # "Hon har fått ont i höften och behöver en toalettförhöjning": the first phrase after
        # a cue may describe the case; a later one the documents know is the thing asked for.
        focus, phrase, from_cue, _ = next(
            (c for c in candidates if all(_known(w, vocabulary) for w in c[0])), candidates[0])
    novel = names_novel_thing(lowered)
    unknown = tuple(w for w in focus if not _known(w, vocabulary)) if (
        from_cue and vocabulary is not None and not novel) else ()
    if vocabulary is not None and not novel:
        unknown = (*unknown, *(a for a in _actors(lowered) if a not in unknown
                               and not _known(a, vocabulary)))
    asked = tuple(dict.fromkeys(m.group(1) for m in _ASKED.finditer(lowered)
                                if m.group(1) not in STOPWORDS))
    pair = next(((m.group("a"), m.group("b")) for p in config().get("term_pairs", ())
                 if (m := re.search(p, lowered))), ())
    items = _items(asking_only(stripped), focus, vocabulary) if (
        vocabulary is not None and from_cue and any(a.intent is Intent.COST for a in asks)) else ()
    return QuestionFrame(question=question, asks=asks, focus=focus, unknown=unknown,
                         focus_from_cue=from_cue, phrase=phrase, asked=asked, pair=pair,
                         items=items)


# A further thing coordinated with the first ("… och för en apnéskena", ", and what about a
# TENS unit", "… resp hörapparat", "… eller en Y" with its article); a coordinated question
# word starts a part, not a thing.
_ITEM = re.compile(r"(?:,\s*(?:och|and|samt|(?P<or1>eller|or))?"
                   r"|\b(?:och|and|samt|resp|respektive|plus|(?P<or2>eller|or)))\s+"
                   r"(?P<about>(?:vad|what)\s+(?:about|kostar|costs?)\s+)?(?:(?:för|for|of)\s+)?"
                   r"(?:(?:kanske|hellre|maybe|perhaps|rather)\s+)?(?P<article>(?:en|ett|a|an|the|some)\s+)?(?P<p>[\wåäöéü-]+(?:\s+[\wåäöéü-]+){0,2})")
_QUESTION_WORD = re.compile(r"(?:vilk|vad|hur|vem|när|var\b|which|what|how|who|when|where)")


def _items(asking: str, focus: tuple[str, ...], vocabulary: Vocabulary
           ) -> tuple[tuple[str, ...], ...]:
    stop = set(config()["focus_stop"])
    ignore = set(config()["focus_ignore"])
    regions = _place_names()
    found: list[tuple[str, ...]] = [focus]
    for m in _ITEM.finditer(asking):
        # "… och ingår slangar?", ", and will they …": a clause of its own, not a thing
        if _QUESTION_WORD.match(m.group("p")) or re.match(_CLAUSE_VERB, m.group("p")):
            continue
        phrase: list[str] = []
        for word in m.group("p").split():
            if word in stop or word in regions:
                break
            phrase.append(word)
        content = tuple(w for w in phrase if w not in STOPWORDS and w not in ignore
                        and w not in GENERIC)
        # A name of several words ("hearing aid") is the thing whole, though a word of it
        # alone is generic.
        named = next((phrase[:n] for n in range(len(phrase), 1, -1)
                      if " ".join(phrase[:n]) in glossary_names()), None)
        if named:
            content = tuple(named)
        if content and intent_pattern("cost").fullmatch(" ".join(content)):
            continue  # ", ut någon avgift": the fee asked, not a thing priced
        # A thing the corpus never names counts when the question marks it as one ("and
        # what about a wig"): the answer then says that the documents give it no fee.
        marked = bool(m.group("about") or m.group("article"))
        if (m.group("or1") or m.group("or2")) and not m.group("article"):
            continue  # "per styck eller per par": another measure; "eller en Y": a thing
        if content and not set(content) <= set(focus) and (marked or all(
                _names_a_thing(w, vocabulary) for w in content)) and content not in found:
            found.append(content)
    return tuple(found) if len(found) >= 2 else ()


def _actors(lowered: str) -> list[str]:
    """The professions a "may X do it" question names as the one who would do it."""
    shape = re.compile(config().get("actor_shape", "$^"))
    return [m.group(1) for p in config().get("actor_cues", ()) for m in re.finditer(p, lowered)
            if shape.search(m.group(1)) and m.group(1) not in STOPWORDS]


# The noun a question word asks for: "vilka risker", "vilken avgift", "vem är ordförande".
_ASKED = re.compile(r"(?<!\w)(?:vilka|vilken|vilket|vilkas|vem är|vad är|which|what)\s+"
                    r"(?:(?:typer|slags|sorters?) av\s+|av de\s+|de\s+)?([\wåäöé-]{4,})")


def _asks(lowered: str) -> tuple[Ask, ...]:
    found: list[Ask] = []
    for name in config()["intents"]:
        for m in intent_pattern(name).finditer(lowered):
            found.append(Ask(Intent(name), m.start(), m.group(0)))
    found.sort(key=lambda a: a.start)
    # One part per clause: cues of one clause ("vad kostar … avgift") are one ask; the first
    # cue of a clause in precedence order wins.
    order = list(config()["intents"])
    out: list[Ask] = []
    for ask in found:
        if out and _same_clause(lowered, out[-1].start, ask.start):
            # A clause opened by "hur …", "vem", "när" asks what that word asks ("hur sent
            # kan man avboka utan avgift" is no cost question); else precedence decides.
            if not _opens_clause(lowered, out[-1]) and (
                    order.index(ask.intent.value) < order.index(out[-1].intent.value)):
                out[-1] = Ask(ask.intent, out[-1].start, ask.cue)
            continue
        out.append(ask)
    # A coordinated yes/no clause ("… och har rådet en egen budget?") is a part of its own;
    # so is the clause before it when no cue marks what that one asks ("vad gör X, och
    # vilka Y …"): without it the second part would be the whole question.
    # A cue only in the later part ("Do nurses order it, and when does that apply?") leaves
    # the first a part of its own too when it opens as a question.
    coordinated = [m for m in _YES_NO_PART.finditer(lowered) if m.start() > 0]
    first = len(lowered) - len(lowered.lstrip())
    if coordinated and first < coordinated[0].start() and (not out or (
            out[0].start > coordinated[0].start() and _OPENS_QUESTION.match(lowered, first))):
        out.insert(0, Ask(Intent.OTHER, first, lowered[first:].split(" ", 1)[0]))
    for m in coordinated:
        if out and m.start() > out[0].start and not any(
                m.start() <= a.start < m.start() + 12 for a in out):
            out.append(Ask(Intent.OTHER, m.start() + 1, m.group(0).strip()))
    out.sort(key=lambda a: a.start)
    parts: list[Ask] = []
    for i, ask in enumerate(out):
        end = out[i + 1].start if i + 1 < len(out) else len(lowered)
        clause = lowered[ask.start:end]
        if ask.cue in ("respektive", "respectively"):
            # "X respektive Y med att …": the pair shares what follows Y; the part is Y.
            clause = _PAIRED_END.split(clause, maxsplit=1)[0]
        counted = re.match(r"(?:hur många|how many)\s+([\wåäö]+)", clause) or (
            re.match(r"(?:vilken|vilket|which|what)\s+([\wåäö]+)", clause)
            if ask.intent is Intent.COUNT else None)
        parts.append(Ask(ask.intent, ask.start, ask.cue, clause,
                         counted.group(1) if counted else ""))
    return tuple(parts)


# A coordinated clause ("… och finns det en blankett?", "… och vilket intyg behövs?") or a
# "respektive" pair ("vad gör förskrivaren respektive beställaren") asks a part of its own.
_CLAUSE_VERB = (r"(?:har|är|finns|kan|får|ska|gäller|behöver|ingår|omfattas|krävs|behövs|betalas|"
                r"ersätts|täcks|does|is|can|do|has|are|will|would|should)\b")
_YES_NO_PART = re.compile(rf" (?:(?:och|samt|and) (?:{_CLAUSE_VERB}|(?:vilken|vilket|vilka|"
                          r"när|when|vad|which|what)\b)"
                          r"|respektive\b|respectively\b)")
_ASKING_OPENER = re.compile(r"(?:hur|vem|när|how|who|when)\b")
_PAIRED_END = re.compile(r"[,?;:–]| (?:med|för|att|av|i|på|om|enligt|som|när|inom|with|for|of|"
                         r"in|if|when|according)\b")
_OPENS_QUESTION = re.compile(rf"(?:{_CLAUSE_VERB}|vad|vem|vilk|hur|när|var|what|who|which|how|"
                             r"when|where|may|must)")
_CLAUSE_BREAK = re.compile(r"[,?;–]| och (hur|vem|vilk|vad|när|var|har|är|finns|kan|får|ska)\b"
                           r"| and (how|who|which|what|when|where|does|is|can)\b")


def _opens_clause(text: str, ask: Ask) -> bool:
    """Whether the ask's cue is an asking word ("hur", "vem", "när") that opens its clause."""
    before = text[:ask.start].rstrip()
    return bool(_ASKING_OPENER.match(ask.cue)) and (
        not before.strip() or before[-1] in ",;:?.–" or before.endswith((" och", " and", " men")))


def _same_clause(text: str, a: int, b: int) -> bool:
    # The break may reach into the second cue (" och hur …" ends in "hur").
    return not _CLAUSE_BREAK.search(text, a, b + 6)


def asking_only(text: str) -> str:
    """The question with the sentences that ask nothing blanked out (positions kept): in
    "… kunderna står för allt själva. Får jag bli förskrivare?" the first sentence describes
    the case. A question with no "?" is all asked."""
    spans = []
    start = 0
    for m in re.finditer(r"[.!?](?=\s|$)", text):
        if m.group(0) == "?":
            spans.append((start, m.end()))
        start = m.end()
    if not spans:
        return text
    return "".join(ch if any(b <= i < e for b, e in spans) else " "
                   for i, ch in enumerate(text))


_Candidate = tuple[tuple[str, ...], tuple[str, ...], bool, int]


def _by_asking(candidates: list[_Candidate], asking: str) -> list[_Candidate]:
    """The phrases read in the sentences that ask, in order, then those of the case
    description from the last back: "… fick en remiss och ska nu få en CPAP. Vad
    får han betala?" asks about the CPAP, the thing named nearest the question."""
    def asks(c: _Candidate) -> bool:
        return c[3] < len(asking) and asking[c[3]] != " "
    return [c for c in candidates if asks(c)] + [c for c in reversed(candidates) if not asks(c)]


def _focus_candidates(stripped: str) -> list[_Candidate]:
    """Every phrase read after a focus cue, in order, with where its cue starts; without one,
    the content words."""
    data = config()
    skip = set(data["focus_skip"])
    stop = set(data["focus_stop"])
    join = set(data["focus_join"])
    ignore = set(data["focus_ignore"])
    regions = _place_names()
    found: list[_Candidate] = []
    for m in _pattern("focus_after").finditer(stripped):
        tail = re.findall(r"[\wåäöéü-]+|[?,.–—]", stripped[m.end():])
        phrase: list[str] = []
        for token in tail:
            if not phrase and token in skip:
                continue
            if token in join and phrase:
                phrase.append(token)
                continue
            if token in stop or token in regions or len(phrase) >= 4:
                break
            phrase.append(token)
        content = tuple(w for w in phrase if w not in join and w not in ignore
                        and w not in STOPWORDS and not w.isdigit() and len(w) >= 2)
        if content:
            found.append((content, tuple(phrase), True, m.start()))
    if found:
        return found
    content = tuple(w for w in words(stripped) if w not in STOPWORDS and w not in ignore
                    and w not in regions and len(w) >= 4 and not w.isdigit() and "-" not in w)
    return [(content, content, False, len(stripped))]


@cache
def _place_names() -> frozenset[str]:
    """The regions' names and their localities' (lower case): never a focus or a thing."""
    regions = lexicon().get("regions", {})
    return frozenset({n for names in regions.values() for n in names}
                     | {r.lower() for r in regions})


def _names_a_thing(word: str, vocabulary: Vocabulary) -> bool:
    """A word of a thing the question prices: one the corpus or glossary knows, in any
    English spelling ("apnoea" as "apnea")."""
    return _known(word, vocabulary) or english_fold([word]) in glossary_words()


def _known(word: str, vocabulary: Vocabulary) -> bool:
    if vocabulary.knows(word):
        return True
    # A word of an English or everyday name ("orthopaedic shoes", "rullator") is one the
    # documents speak of in their own words; a hyphenated one ("wall-mounted") by its parts.
    return word in glossary_words() or ("-" in word and all(
        p in glossary_words() or vocabulary.knows(p) for p in word.split("-") if p))
