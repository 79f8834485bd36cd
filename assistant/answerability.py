"""Answerability: do the passages answer *this* question, or only speak of its topic?

An answer needs evidence that holds the question's focus *and* an answer of the asked kind: an
amount for a cost question, a duration for "how long", a date for "from when", a party for
"who". When the documents speak of the topic but not of the asked fact, the question is refused
and the refusal cites what they do say. A region without a document, a focus the corpus never
uses and an off-topic question are the easy cases of the same test.

Usage (needs a retriever over the built index, so not a doctest):

    gate = AnswerabilityGate(retriever, vocabulary, settings)
    verdict = gate.judge(frame, query, passages, unscoped)   # "Vad kostar en peruk …?"
    verdict.answerable, verdict.reason   # (False, "Dokumenten nämner inte 'peruk'.")
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from assistant.frame import (
    Ask,
    Intent,
    QuestionFrame,
    Vocabulary,
    answer_kind,
    answer_pattern,
    asking_only,
    asks_category,
    config,
    matches_any,
    measure_choice,
    names_novel_thing,
)
from assistant.qualifiers import Stance, asked_qualifiers, is_qualifier, stance
from assistant.query import Query
from assistant.retrieve import RARE_IDF, HybridRetriever
from assistant.rules.catalogue import phrasing
from assistant.rules.facts import case_age
from assistant.text import (
    GENERIC,
    STOPWORDS,
    expand_query,
    glossary_expansion,
    glossary_words,
    is_english,
    stem,
    words,
)
from assistant.units import Unit, UnitKind, is_fragment, units_of
from core.settings import Settings
from core.text import lexicon
from core.values import Passage

# Parts a general rule can answer for a focus it does not name ("kommunerna ansvarar för …");
# a fee, a duration, a date or a count is answered only where the focus itself is named.
GENERAL = frozenset({Intent.WHO, Intent.MAY, Intent.PROFESSION, Intent.LIST, Intent.DEFINITION,
                     Intent.REASON, Intent.WHERE,
                     Intent.COMPARISON, Intent.SURVEY, Intent.OTHER})


@dataclass(frozen=True)
class Evidence:
    """A unit of a retrieved passage."""

    unit: Unit
    passage: Passage


@dataclass(frozen=True)
class Verdict:
    answerable: bool
    reason: str | None = None  # why not, in Swedish (shown as a warning)
    covered: Evidence | None = None  # what the documents do say on the topic, cited in a refusal
    open_parts: tuple[Intent, ...] = ()  # later parts of the question without evidence
    focus_terms: frozenset[str] = frozenset()
    # The passages speak of the matter, only not for this region or this age: a rule that
    # decides the case may answer it (the refusal is not that the documents are silent).
    rule_may_answer: bool = False
    rule_must_file: bool = False  # see core.values.Answer
    # Of the things a cost question prices (frame.items), those the documents give no fee
    # for, as written ("peruk"); the answer says so for each.
    unpriced: tuple[str, ...] = ()
    # Those they do, each as its frame (its own focus): the answer quotes a row for each.
    priced: tuple[QuestionFrame, ...] = ()


class AnswerabilityGate:
    """Decides whether retrieved passages answer a framed question (one job: the gate)."""

    def __init__(self, retriever: HybridRetriever, vocabulary: Vocabulary,
                 settings: Settings) -> None:
        self.retriever = retriever
        self.vocabulary = vocabulary
        self.settings = settings
        self.analyzer = retriever.analyzer
        # Units and their terms per chunk: computed once, read by every question.
        self._units: dict[str, list[tuple[Unit, frozenset[str]]]] = {}
        # A region or town named in a question sets its scope, which the passages already
        # have: it is not what the question asks about.
        self.region_terms = {region: tuple(t for n in names for t in self.analyzer.terms(n))
                             for region, names in lexicon()["regions"].items()}
        self.place_terms = frozenset(t for terms in self.region_terms.values() for t in terms)
        # Each term's kin (frame.yaml `kin`): terms that name the same matter.
        self.kin: dict[str, frozenset[str]] = {}
        for group in config().get("kin", ()):
            terms = {t for w in group for t in self.analyzer.word_terms(str(w))[:1]}
            for t in terms:
                self.kin[t] = self.kin.get(t, frozenset()) | (terms - {t})

    def units(self, passage: Passage) -> list[tuple[Unit, frozenset[str]]]:
        """The passage's units with their index terms (a row's with its section and header)."""
        chunk = passage.chunk
        cached = self._units.get(chunk.id)
        if cached is None:
            cached = []
            for unit in units_of(chunk.text, chunk.section):
                text = unit.with_heading
                if unit.kind.value == "row":
                    text = f"{chunk.section} {text}"
                cached.append((unit, frozenset(self.analyzer.terms(text))))
            self._units[chunk.id] = cached
        return cached

    # --- terms ---------------------------------------------------------------------------
    def focus_terms(self, frame: QuestionFrame) -> frozenset[str]:
        """Index terms of the focus: its own words the corpus knows, and the corpus words of
        glossary names in it ("hearing aid" → hörapparat)."""
        terms: set[str] = set()
        # A hyphenated focus ("TENS-apparat", "gånghjälp-app") is read by its parts too.
        for word in {p for w in frame.focus for p in (w, *w.split("-")) if p}:
            if word in STOPWORDS or word in GENERIC:
                continue
            known = [t for t in self.analyzer.word_terms(word) if t in self.retriever.doc_freq]
            if not known and (near := self.vocabulary.spelling(word)) is not None:
                # A typo ("rolator") stands for the corpus word it is close to.
                known = [t for t in self.analyzer.word_terms(near) if t in self.retriever.doc_freq]
            terms.update(known[:1] if known else ())
        # The corpus's own words need no glossary.
        for corpus in glossary_expansion(list(frame.phrase or frame.focus),
                                         skip=self.vocabulary.knows):
            terms.update(t for t in self.analyzer.terms(corpus) if t in self.retriever.doc_freq)
        return frozenset(t for t in terms if t not in GENERIC)

    def key_terms(self, query: Query, asking: bool = False) -> dict[str, float]:
        """Question terms worth checking, weighted by IDF; generic domain words are left out.
        `asking`: the terms of the sentences that ask, without the case description
        ("34-årig kvinna … hyr en etta …" describes the case; see frame.asking_only)."""
        terms: dict[str, float] = {}
        question = asking_only(query.question) if asking else query.question
        # An English question's meaning is in its Swedish translations (the lexicon expansion).
        # So is an English question's that a Swedish follow-up builds on.
        context = expand_query(query.context) if is_english(query.context) else query.context
        source = query.text if query.english else (
            f"{question} {context} {query.expansions}")
        # A hyphenated word is counted by its parts when they say it ("icke-legitimerad" by
        # "legitimerad"): its joined spelling is a rarer word the documents may not use in the
        # passages that still speak of it ("ej legitimerad"), and would weigh it twice.
        joined = {w.replace("-", "") for w in re.findall(r"\w+(?:-\w+)+", source.lower())
                  if any(len(part) >= 3 and part not in STOPWORDS and part not in GENERIC
                         for part in w.split("-"))}
        reporting = set(config().get("reporting_verbs", ()))
        for word in words(source):
            if (word in STOPWORDS or len(word) < 3 or word in GENERIC or word in joined
                    or word in reporting):
                continue
            known = [t for t in self.analyzer.word_terms(word) if t in self.retriever.doc_freq]
            if known and known[0] not in GENERIC:
                terms[known[0]] = self.retriever.idf(known[0])
        return terms

    def coverage(self, terms: dict[str, float], passages: list[Passage]) -> float:
        """IDF-weighted share of the question's key `terms` found in the best passages."""
        if not terms:
            return 1.0
        top_terms: set[str] = set()
        for p in passages[:COVERAGE_PASSAGES]:
            top_terms.update(self.retriever.chunk_terms[p.chunk.id])
        said = [w for t, w in terms.items() if t in top_terms or self.kin.get(t, set()) & top_terms]
        return sum(said) / sum(terms.values())

    # --- the gate ------------------------------------------------------------------------
    def judge(self, frame: QuestionFrame, query: Query, passages: list[Passage],
              unscoped: list[Passage] | None = None,
              pool: list[Passage] | None = None) -> Verdict:
        """`passages` are those an answer would quote; `pool` all that retrieval found for the
        scope, where the asked kind of answer is looked for before the question is refused.
        A cost question pricing several things is judged per thing: answerable when one of
        them has its fee, the others named as not priced."""
        if len(frame.items) < 2:
            return self._judge(frame, query, passages, unscoped, pool)
        # The region test reads the whole question's words, every thing's at once: each
        # thing is judged by its own fee in the region's passages instead.
        framed = [self.vocabulary.item_frame(frame, item) for item in frame.items]
        verdicts = [(one, self._judge(one, query, passages, None, pool)) for one in framed]
        # A thing answered but for its fee ("kan hon få X …, och vad blir avgiften" with no fee
        # for X) is one the documents do not price.
        judged = [(one, v, v.answerable and Intent.COST not in v.open_parts)
                  for one, v in verdicts]
        priced = [v for _, v, fee in judged if fee]
        if not priced:
            return verdicts[0][1]
        return replace(priced[0],
                       unpriced=tuple(" ".join(one.focus) for one, _, fee in judged if not fee),
                       priced=tuple(one for one, _, fee in judged if fee))

    def _judge(self, frame: QuestionFrame, query: Query, passages: list[Passage],
               unscoped: list[Passage] | None = None,
               pool: list[Passage] | None = None) -> Verdict:
        if query.region and not query.region_has_documents:
            return Verdict(False, f"Det finns inget dokument från Region {query.region} i "
                                  "underlaget.")
        if not passages:
            return Verdict(False, "Inga relevanta textstycken hittades.")
        for code in query.iso_codes:
            if code not in self.retriever.doc_freq:
                return Verdict(False, f"ISO-koden {code} finns inte i dokumenten.",
                               covered=self.best_unit(passages, set()))
        focus = self.focus_terms(frame)
        # English words are not the corpus's: an English focus is judged by its glossary
        # names (see focus_terms), and refused as unknown only when no word of it is one the
        # corpus or the glossary knows and no glossary name maps it ("stair climber").
        english_unknown = query.english and bool(frame.unknown) and (
            (not focus and set(frame.unknown) == set(frame.focus))
            or self.kind_unknown(frame))
        unknown = frame.unknown
        if frame.intent in GENERAL:
            # The rules decide whose responsibility a product is when they file it under a
            # category the documents decide ("sportrullstol" is a fritidshjälpmedel); what it
            # costs they do not.
            unknown = tuple(w for w in unknown if stem(w) not in rule_product_stems())
        if unknown and (not query.english or english_unknown):
            named = ", ".join(f"'{w}'" for w in unknown)
            if query.english:
                named = f"'{' '.join(unknown)}'"
            return Verdict(False, f"Dokumenten nämner inte {named}.",
                           covered=self.best_unit(passages, focus or set(self.key_terms(query))),
                           focus_terms=focus)
        terms = self.key_terms(query)
        if not terms and not focus:
            # Not one word of the question is one the documents use: off-topic.
            return Verdict(False, "Frågan gäller inget som dokumenten tar upp.")
        # A long case description ("34-årig kvinna … hyr en etta …") is judged by what
        # it asks as well: its case words need not stand in the documents.
        coverage = max(self.coverage(terms, passages),
                       self.coverage(self.key_terms(query, asking=True), passages))
        if query.region and coverage < self.settings.min_term_coverage:
            # The town of the case sets the scope the passages already have, and a thing the
            # question says the documents lack (frame.yaml `novel_focus`) cannot be in them:
            # neither counts against what the passages say of the rest.
            absent = {t for w in (frame.focus if names_novel_thing(query.question) else ())
                      for t in self.analyzer.word_terms(w)}
            rest = {t: w for t, w in terms.items() if t not in self.place_terms | absent}
            coverage = max(coverage, self.coverage(rest, passages) if rest else 0.0)
        if unscoped is not None and query.region:
            # The answer exists, but for another region: say so rather than borrow it. Only
            # passages whose regions were declared count: an untagged one never vetoes.
            declared = [p for p in unscoped if p.chunk.regions and not p.chunk.regions_inferred]
            # The words that ask ("vad anser", "hur resonerar") are not what the region's
            # passages must speak of; another region's may simply use the same verb.
            # Nor is the noun they ask for ("vilka skäl …"): the region may give its reasons
            # without that word.
            asking = {t for a in frame.asks for t in self.analyzer.terms(a.cue)} | set(
                self.asked_terms(frame))
            said = {t: w for t, w in terms.items() if t not in asking} or terms
            here = max(coverage, self.coverage(said, passages))
            elsewhere = self.coverage(said, declared) if declared else 0.0
            if elsewhere - here >= self.settings.region_gap:
                return Verdict(False, f"Dokumenten från Region {query.region} tar inte upp "
                                      "detta (det som finns gäller andra regioner).",
                               covered=self.best_unit(passages, set(terms)), focus_terms=focus,
                               rule_may_answer=True)
        # The asked kind of answer is looked for where the passages speak of the focus. A
        # focus they never name may still fall under a general rule: a who/may/list question
        # is then looked up anywhere (below), a fee, duration, date or count is not.
        anchor = self.anchor(focus) if frame.focus_from_cue else None
        wide = pool or passages
        scope = self.holding(wide, anchor)
        if query.region and query.region_has_documents and asks_category(query.question):
            # The category of a thing the region's passages never name: no row of theirs
            # answers, though another region's text may name the thing.
            thing = self.anchor(focus)
            if thing is not None and not self.holding(wide, thing):
                return Verdict(False, f"Dokumenten från Region {query.region} anger ingen "
                                      f"kategori för det som frågas om.",
                               covered=(self.best_unit(passages, set(focus))
                                        or self.best_unit(passages, set(terms))),
                               focus_terms=focus)
        # A compound focus the corpus never uses whole ("ledarutbildningen") is spoken of where
        # a unit names both its parts; a fee or a duration of it is looked for there only.
        parts = self.compound_parts(frame) if anchor is None and frame.focus_from_cue else ()
        # Key-word coverage of the best passages judges a question without a named focus; one
        # whose focus a retrieved passage names is judged by what that passage says.
        if coverage < self.settings.min_term_coverage and not (anchor and scope):
            return Verdict(False, f"Frågans nyckelord täcks bara till {coverage:.0%} av de "
                                  "bästa textstyckena.",
                           covered=self.best_unit(passages, set(terms)), focus_terms=focus)
        other_kind = self.other_kind_only(frame, query, scope) if anchor else None
        if other_kind is not None:
            return Verdict(False, "Dokumenten tar bara upp en annan sort av det som frågas om "
                                  f"({other_kind.unit.lead.strip()[:80]}).",
                           covered=other_kind, focus_terms=focus)
        if not scope and (anchor is None or frame.intent in GENERAL):
            scope = self.holding(wide, None)
        open_parts: list[Intent] = []
        years = set(re.findall(r"\b20\d\d\b", query.question))
        age = case_age(query.question) or (case_age(query.context) if query.is_followup
                                           else None)
        for i, ask in enumerate(frame.asks):
            kind = answer_kind(ask.intent)
            if kind is None or ask.intent in open_parts:
                continue
            pattern = answers(ask)
            own, named = (self.clause_evidence(ask, query, wide, pattern)
                          if anchor is None or ask.intent in GENERAL else ([], False))
            strange = self.unknown_in(ask, query) if anchor is None else ()
            if strange and ask.intent not in GENERAL and i == 0:
                # A fee or duration of a thing the corpus never names ("gånghjälp-app").
                named_words = ", ".join(f"'{w}'" for w in strange)
                return Verdict(False, f"Dokumenten nämner inte {named_words}.",
                               covered=(self.best_unit(passages, set(focus))
                                        or self.best_unit(passages, set(terms))),
                               focus_terms=focus)
            if parts and ask.intent not in GENERAL:
                found = [e for e in self.holding_all(wide, parts)
                         if pattern.search(e.unit.with_heading.lower())]
            elif anchor is None and named and ask.intent not in GENERAL:
                # Without a named focus, a fee, duration, date or count is looked for where the
                # documents speak of what the clause asks about ("hur länge pågår utbildningen"),
                # or, when the question names no thing after its cue ("vilken avgift debiteras
                # han"), where they say most of the whole question: its case names the thing.
                found = own or ([] if frame.focus_from_cue
                                else self.said_most(terms, wide, pattern))
            else:
                found = [e for e in scope if pattern.search(e.unit.with_heading.lower())]
            if not found and ask.intent in GENERAL and not (
                    anchor and holds(frozenset(self.analyzer.terms(ask.clause)), anchor)):
                # The case's product need not be what a who/may part asks about ("… behöver en
                # benprotes. Vem gör behovsprövningen?"): look where the clause's own word is.
                # A focus the clause itself names stays the test ("vem ansvarar för X").
                found = own
            if found and i == 0 and age is not None and ask.intent not in GENERAL:
                # A unit stating an age range that leaves out the patient's age ("990 kr
                # > 16 år" for a 14-year-old) does not answer for this patient.
                fits = [e for e in found if _age_fits(e.unit.with_heading.lower(), age)]
                if not fits:
                    said = set(terms) | set(focus)
                    nearest = max(found, key=lambda e: len(
                        said & set(self.analyzer.terms(e.unit.with_heading))))
                    return Verdict(False, f"Dokumenten anger detta bara för en annan ålder än "
                                          f"patientens ({age} år).",
                                   covered=nearest, focus_terms=focus, rule_may_answer=True)
                found = fits
            if found and ask.intent is Intent.COST and years:
                # A fee asked for a year is answered only by a table or text of that year.
                found = [e for e in found if any(
                    y in f"{e.passage.chunk.title} {e.passage.chunk.section} {e.passage.chunk.text}"
                    for y in years)]
            # (An English question's measures are not the table's Swedish words.)
            measures = (measure_choice(query.question)
                        if ask.intent is Intent.COST and not query.english else None)
            if found and measures and not any(_states_measure(e.unit.with_heading, measures)
                                              for e in found):
                return Verdict(False, "Dokumenten anger beloppet men inte om det gäller per "
                                      f"{measures[0]} eller per {measures[1]}.",
                               covered=found[0], focus_terms=focus)
            if found:
                continue
            if i == 0:
                # Whose task a thing is may be decided by a rule that files it (a product
                # area the documents give to the region) where no passage on it names a party.
                return Verdict(False, f"Dokumenten tar upp ämnet men anger inte "
                                      f"{frame.label(ask.intent)}.",
                               covered=(self.best_unit(passages, set(focus))
                                        or self.best_unit(passages, set(terms))),
                               focus_terms=focus, rule_may_answer=ask.intent is Intent.WHO,
                               rule_must_file=True)
            open_parts.append(ask.intent)
        other = self.fee_not_listed(frame, query, wide)
        if other is not None:
            reason, shown = other
            return Verdict(False, reason, covered=shown, focus_terms=focus)
        missing = self.asked_items_missing(frame, wide)
        if missing is not None:
            noun, naming = missing
            return Verdict(False, f"Dokumenten anger inte vilka {noun} det gäller.",
                           covered=naming or (self.best_unit(passages, set(focus))
                                              or self.best_unit(passages, set(terms))),
                           focus_terms=focus)
        counted = self.counted_but_unnamed(query, wide)
        if counted is not None:
            return Verdict(False, "Dokumenten anger hur många det är men inte vilka.",
                           covered=counted, focus_terms=focus)
        quoted = self.quoted_but_undefined(frame, query, wide)
        if quoted is not None:
            phrase, naming = quoted
            return Verdict(False, f"Dokumenten använder uttrycket '{phrase}' men anger inte "
                                  "vad det omfattar.", covered=naming, focus_terms=focus)
        vaguely = self.named_only_vaguely(frame, query, wide)
        if vaguely is not None:
            noun, naming = vaguely
            return Verdict(False, f"Dokumenten anger inte vilka {noun} det gäller.",
                           covered=naming, focus_terms=focus)
        ended = self.after_period(query, wide)
        if ended is not None:
            return Verdict(False, "Dokumenten anger bara till när det gäller, inte vad som "
                                  "gäller därefter.", covered=ended, focus_terms=focus)
        planned = self.outcome_not_reported(query, wide)
        if planned is not None:
            return Verdict(False, "Dokumenten säger att det ska göras, men inte vad det kom "
                                  "fram till.", covered=planned, focus_terms=focus)
        deferred = self.not_answered_here(frame, query, wide)
        if deferred is not None:
            # Whose task a thing is a rule may still decide, when it files that very thing.
            who = bool(frame.asks) and frame.asks[0].intent is Intent.WHO
            return Verdict(False, "Dokumenten tar upp frågan men besvarar den inte: det som står "
                                  "är att saken inte är avgjord eller finns i ett annat "
                                  "dokument.", covered=deferred, focus_terms=focus,
                           rule_may_answer=who, rule_must_file=who)
        return Verdict(True, open_parts=tuple(open_parts), focus_terms=focus)

    def other_kind_only(self, frame: QuestionFrame, query: Query,
                        scope: list[Evidence]) -> Evidence | None:
        """The unit naming the focus when every unit that names it is of another kind than
        the asked one (qualifiers.yaml: a ramp bolted to the steps where the only row is
        "Portabla ramper"), else None. A unit naming no kind at all speaks for every kind."""
        asked = asked_qualifiers(query.question, frame.focus)
        if not asked or not scope:
            return None
        stances = [(stance(asked, e.unit.with_heading), e) for e in scope]
        if any(s is not Stance.CONTRADICTS for s, _ in stances):
            return None
        return stances[0][1]

    def not_answered_here(self, frame: QuestionFrame, query: Query,
                          wide: list[Passage]) -> Evidence | None:
        """The unit to cite when the units that say most of what the question asks all say
        that it is not settled yet ("översynen pågår") or is found elsewhere ("se under …",
        "i riktlinjerna finns det angivet …"); None when any of them answers. A question about
        the work in progress itself, or one whose asked kind (a date, an amount) such a unit
        gives, is answered by it."""
        markers = config().get("not_answered_here", {})
        asked = asking_only(query.question).lower()
        # A follow-up's few words ("Och när hon blir vuxen?") do not tell which units
        # say most of what it asks: it is not judged so.
        if query.is_followup or matches_any(markers.get("status_asked", ()), asked):
            return None
        terms, scored, top = self.saying_most(query, wide)
        if not top:
            return None
        signs = (*markers.get("unsettled", ()), *markers.get("elsewhere", ()))
        first = frame.asks[0] if frame.asks else None
        if first is not None and first.intent is Intent.LIST and first.cue.startswith(
                ("vilka", "which")):
            # Items the documents list elsewhere ("i riktlinjerna finns det angivet för vilka
            # produkter …"): one unit pointing away, and no unit that lists. (Steps asked with
            # "hur går … till" are told in sentences.)
            away = [e for e in top if matches_any(markers.get("elsewhere", ()),
                                           e.unit.with_heading.lower())]
            if away and not any(e.unit.kind is UnitKind.LIST for e in top):
                return away[0]
        unsettled = markers.get("unsettled", ())
        if not all(matches_any(signs, e.unit.with_heading.lower()) for e in top):
            # A rare word of the question that the passages use only where they say the
            # matter is unsettled (an agreement asked about where the documents say it "är
            # under framtagande"): what is asked about does not exist yet.
            # An English question's own words that happen to be corpus words ("delegation")
            # are not what it asks in the corpus's words: only its glossary words count here.
            english_own: set[str] = set()
            if query.english:
                glossed = " ".join(glossary_expansion(words(query.question)))
                english_own = set(self.analyzer.terms(query.question)) - set(
                    self.analyzer.terms(glossed))
            for term in sorted(terms, key=lambda t: -terms[t]):
                if terms[term] < RARE_IDF:
                    break
                if term in english_own:
                    continue
                holding = [e for _, e, unit_terms in scored if holds(unit_terms, term)]
                if holding and all(matches_any(unsettled, e.unit.with_heading.lower())
                                   for e in holding):
                    return holding[0]
            return None
        # A unit pointing elsewhere may still give the asked kind ("Glasögon 400 kr … se under
        # hjälpmedelsbidrag"); a date in one saying the matter is unsettled is the review's,
        # not the asked thing's ("klar under 2025" is no date the revised agreement applies
        # from). Asked about the review itself, the question was let through above.
        if first is not None and answer_kind(first.intent) in _SPECIFIC and any(
                answers(first).search(e.unit.with_heading.lower())
                and not matches_any(unsettled, e.unit.with_heading.lower()) for e in top):
            return None
        return top[0]

    def outcome_not_reported(self, query: Query, wide: list[Passage]) -> Evidence | None:
        """The unit to cite when the question asks what a review or evaluation found and the
        units that say most of it only say that it is to be done; None when one reports a
        result or the question asks no outcome."""
        markers = config().get("outcome_not_reported", {})
        if query.is_followup or not matches_any(markers.get("asked", ()),
                                                asking_only(query.question).lower()):
            return None
        _, scored, _ = self.saying_most(query, wide)
        if not scored:
            return None
        # The asking words ("vilket resultat gav") weigh in the scores, so the unit that plans
        # the review may say less of the question than those around it.
        best = max(score for score, _, _ in scored)
        texts = [(e, e.unit.with_heading.lower())
                 for score, e, _ in sorted(scored, key=lambda s: -s[0]) if score >= 0.4 * best]
        if any(matches_any(markers.get("reported", ()), text) for _, text in texts):
            return None
        return next((e for e, text in texts if matches_any(markers.get("planned", ()), text)),
                    None)

    def asked_terms(self, frame: QuestionFrame) -> frozenset[str]:
        """The index terms of the nouns the question words ask for ("vilka risker" → risk)."""
        return frozenset(t for w in frame.asked for t in self.analyzer.word_terms(w)[:1])

    def asking_terms(self, query: Query) -> dict[str, float]:
        """The key terms of the sentences that ask; a follow-up's, or too few asking words
        ("bör hon remitteras dit?", "Är det förnyat?"), are read with the case they ask about."""
        terms = self.key_terms(query, asking=not query.is_followup)
        return terms if len(terms) >= 3 else self.key_terms(query)

    def saying_most(self, query: Query, wide: list[Passage]
                    ) -> tuple[dict[str, float], list[tuple[float, Evidence, frozenset[str]]],
                               list[Evidence]]:
        """The question's asking terms, every unit of the best passages scored by them, and
        the units that say most of them (at least 0.8 of the best)."""
        terms = self.asking_terms(query)
        if not terms:
            return terms, [], []
        scored = self.said_by_units(terms, wide[:6])
        if not scored:
            return terms, scored, []
        best = max(score for score, _, _ in scored)
        return terms, scored, [e for score, e, _ in scored if score >= 0.8 * best]

    def named_only_vaguely(self, frame: QuestionFrame, query: Query,
                           wide: list[Passage]) -> tuple[str, Evidence] | None:
        """The asked noun of a "vilka X …" question and the unit to cite, when the units that
        say most of the question name X only as "vissa X" or "en del X" and none lists: the
        documents say that there are such items, not which ("tagit bort vissa enklare
        hjälpmedel" does not say which were removed)."""
        first = frame.asks[0] if frame.asks else None
        if (first is None or first.intent is not Intent.LIST or query.is_followup
                or not first.cue.startswith(("vilka", "which"))):
            return None
        vague = config().get("not_answered_here", {}).get("unspecified", ())
        _, _, top = self.saying_most(query, wide)
        if not top or any(e.unit.kind is UnitKind.LIST for e in top):
            return None
        asked = first.cue.split()[1:3]  # "vilka nya hjälpmedel" → its noun phrase
        nouns = [" ".join(asked)] if asked else list(frame.asked)
        if query.english:
            # "which devices" by the documents' word for them
            nouns = [n for noun in nouns for n in glossary_expansion(noun.split()[-1:])]
        for noun in nouns:
            root = stem(noun.split()[-1])[:max(4, len(stem(noun.split()[-1])) - 1)]
            naming = [e for e in top if root in e.unit.with_heading.lower()]
            said = [e for e in naming if any(re.search(p.replace("{noun}", re.escape(root)),
                                                       e.unit.with_heading.lower())
                                             for p in vague)]
            if naming and len(said) == len(naming):
                return noun, said[0]
        return None

    def fee_not_listed(self, frame: QuestionFrame, query: Query,
                       wide: list[Passage]) -> tuple[str, Evidence] | None:
        """Why a cost question goes unanswered and a fee unit to cite, when the question names
        who charges or what is paid for ("tar kommunerna ut någon avgift …", "köpa en egen")
        and no unit with an amount names it: the fee tables price something else (frame.yaml
        `fee_not_listed`); None otherwise."""
        if not any(a.intent is Intent.COST for a in frame.asks):
            return None
        asked = asking_only(query.question).lower()
        for spec in config().get("fee_not_listed", {}).values():
            if not matches_any(spec.get("asked", ()), asked):
                continue
            amount = answer_pattern("amount")
            fees = [(Evidence(unit, p), terms) for p in wide for unit, terms in self.units(p)
                    if amount.search(unit.with_heading.lower())]
            if fees and not any(matches_any(spec.get("named", ()), e.unit.with_heading.lower()) or
                                matches_any(spec.get("named", ()), e.passage.chunk.section.lower())
                                for e, _ in fees):
                # the row sharing the question's rarest words: the asked thing's own row
                asked_terms = set(self.analyzer.terms(query.question)) | self.focus_terms(frame)
                return spec["reason"], max(fees, key=lambda f: sum(
                    self.retriever.idf(t) for t in asked_terms & f[1]))[0]
        return None

    def quoted_but_undefined(self, frame: QuestionFrame, query: Query,
                             wide: list[Passage]) -> tuple[str, Evidence] | None:
        """A phrase the question quotes from the documents ("vad avses med
        ”annan likvärdig utbildning”?") and the unit to cite, when the documents use the
        phrase but no unit says what it is (the phrase followed by "är", "avses", "innebär" …
        or after "med … avses"; frame.yaml `phrase_defined`): it stands there as an item,
        undefined."""
        first = frame.asks[0] if frame.asks else None
        if first is None or first.intent not in (Intent.LIST, Intent.DEFINITION):
            return None
        texts = [" ".join(p.chunk.text.lower().split()) for p in wide]
        for phrase in re.findall(r"[”“\"'‘’]([^”“\"'‘’]{4,80})[”“\"'‘’]", query.question):
            said = " ".join(phrase.lower().split())
            if len(said.split()) < 2:
                continue  # a quoted word is a term, defined or used in many ways
            naming = [Evidence(unit, p) for p in wide for unit, _ in self.units(p)
                      if said in " ".join(unit.with_heading.lower().split())]
            if not naming:
                continue
            if not any(defines_phrase(said, text) for text in texts):
                return phrase, naming[0]
        return None

    def asked_items_missing(self, frame: QuestionFrame,
                            wide: list[Passage]) -> tuple[str, Evidence | None] | None:
        """The noun a "vilka X …" list question asks for ("vilka diagnoser krävs"), when it is a
        specific word that no unit of the passages names, or that they name only to say the
        items are settled elsewhere or not yet ("ett förtydligande av vilka diagnoser som
        gäller"): they cannot list its items. With the unit to cite, if any."""
        first = frame.asks[0] if frame.asks else None
        if first is None or first.intent is not Intent.LIST or not first.cue.startswith(
                ("vilka", "which")):
            return None
        markers = config().get("not_answered_here", {})
        signs = (*markers.get("unsettled", ()), *markers.get("elsewhere", ()))
        for noun in frame.asked:
            if noun not in first.cue:
                continue
            term = next((t for t in self.analyzer.word_terms(noun)[:1]
                         if t not in GENERIC), None)
            if term is None or (term in self.retriever.doc_freq
                                and self.retriever.idf(term) < RARE_IDF):
                continue
            if term not in self.retriever.doc_freq and is_english(frame.question):
                # An English noun ("groups") is not the documents' word for anything: its
                # absence says nothing of theirs.
                continue
            kin = (term, *self.kin.get(term, ()))
            naming = [Evidence(unit, p) for p in wide for unit, unit_terms in self.units(p)
                      if any(holds(unit_terms, t) for t in kin)]
            if not naming:
                return noun, None
            if all(e.unit.kind is not UnitKind.LIST
                   and matches_any(signs, e.unit.with_heading.lower()) for e in naming):
                return noun, naming[0]
        return None

    def counted_but_unnamed(self, query: Query, wide: list[Passage]) -> Evidence | None:
        """The unit to cite when the question asks which N things ("vilka fyra kommuner …")
        and the passages say there are N of them ("fyra kommuner var inte intresserade") but
        no unit names them (a list, or a sentence with that many items); else None."""
        m = _WHICH_N.search(asking_only(query.question).lower())
        if m is None:
            return None
        n = _NUMBER_WORDS.get(m.group(1)) or int(m.group(1))
        term = next(iter(self.analyzer.word_terms(m.group(2))[:1]), None)
        if term is None or n < 2:
            return None
        said = re.compile(rf"\b{re.escape(m.group(1))}\s+(?:[\wåäö-]+\s+)?{re.escape(term)}")
        counting: list[Evidence] = []
        # Named where they are counted: a passage saying "fyra kommuner" names them there.
        for p in (p for p in wide if said.search(p.chunk.text.lower())):
            for unit, unit_terms in self.units(p):
                if not holds(unit_terms, term):
                    continue
                text = unit.with_heading.lower()
                if unit.kind is UnitKind.LIST or len(_ITEM_SEPARATOR.findall(text)) >= n - 1:
                    return None  # a unit that may name them
                if said.search(text):
                    counting.append(Evidence(unit, p))
        return counting[0] if counting else None

    def after_period(self, query: Query, wide: list[Passage]) -> Evidence | None:
        """The unit to cite when the question asks what holds after a period ends and the
        units that say most of what it asks give only that end ("gäller till och med
        2026-03-31"), none a start after it (frame.yaml `after_period`); else None."""
        data = config().get("after_period", {})
        asked = asking_only(query.question).lower()
        hits = [m for p in data.get("asked", ()) for m in re.finditer(p, asked)]
        if not hits:
            return None
        asked_years = [int(m.group("year")) for m in hits if m.groupdict().get("year")]
        terms = self.asking_terms(query)
        scored = self.said_by_units(terms, wide[:6])
        if not scored:
            return None
        # What ends is named in the asking words ("när överenskommelsen löpt ut"): the units
        # naming it; without a name ("efter 2015"), the units that say most of the question.
        # Only a name the units use: "är det förnyat" names no thing by its verb.
        named = {t for m in hits for t in self.analyzer.terms(m.group(0)) if t in terms
                 and any(holds(unit_terms, t) for _, _, unit_terms in scored)}
        best = max(score for score, _, _ in scored)
        ranked = sorted(scored, key=lambda s: -s[0])
        top = [e for score, e, unit_terms in ranked if (
            any(holds(unit_terms, t) for t in named) if named else score >= 0.6 * best)]
        ending: list[tuple[int, Evidence]] = []
        for e in top:
            text = e.unit.with_heading.lower()
            ends = [int(m.group("year")) for p in data.get("ends", ())
                    for m in re.finditer(p, text)]
            ends = [y for y in ends if not asked_years or y <= max(asked_years)]
            if ends:
                ending.append((max(ends), e))
        if not ending:
            return None
        end = min(y for y, _ in ending)
        later = [e for e in top for p in data.get("starts", ())
                 for m in re.finditer(p, e.unit.with_heading.lower())
                 if int(m.group("year")) > end]
        return None if later else ending[0][1]

    def said_most(self, terms: dict[str, float], passages: list[Passage],
                  pattern: re.Pattern[str]) -> list[Evidence]:
        """Of the units that say at least half as much of the terms as the best one, those
        with the asked kind of answer."""
        scored = self.said_by_units(terms, passages)
        if not scored:
            return []
        best = max(score for score, _, _ in scored)
        return [e for score, e, _ in scored
                if score >= 0.5 * best and pattern.search(e.unit.with_heading.lower())]

    def said_by_units(self, weights: dict[str, float], passages: list[Passage],
                      by_head: bool = False) -> list[tuple[float, Evidence, frozenset[str]]]:
        """(how much of the weighted terms it holds, the unit, its terms) for every unit of the
        passages that holds any; `by_head` counts a compound named by its last part too."""
        out: list[tuple[float, Evidence, frozenset[str]]] = []
        for p in passages:
            for unit, unit_terms in self.units(p):
                said = sum(w for t, w in weights.items() if holds(unit_terms, t)
                           or (by_head and refers_back(unit_terms, t)))
                if said:
                    out.append((said, Evidence(unit, p), unit_terms))
        return out

    def clause_evidence(self, ask: Ask, query: Query, wide: list[Passage],
                        pattern: re.Pattern[str]) -> tuple[list[Evidence], bool]:
        """Units holding the most specific word of the part's own clause (its cue left out)
        that the passages use, and of those the ones with the asked kind ("hur länge pågår
        utbildningen" → units naming utbildning); and whether the passages use any such word.
        An English clause is read through the glossary ("user account" → användarkonto)."""
        places = {n for names in lexicon().get("regions", {}).values() for n in names}
        clause = _without_cue(ask)
        tokens = [w for w in words(clause) if w not in STOPWORDS and len(w) >= 4
                  and w not in GENERIC and w not in places]
        if query.english:
            tokens = [*glossary_expansion(tokens), *(t for t in tokens if self.vocabulary.knows(t))]
        terms = {t for word in tokens for t in self.analyzer.word_terms(word)[:1]
                 if t in self.retriever.doc_freq and t not in GENERIC}
        terms.update(t for t in self.analyzer.particle_nouns(clause)
                     if t in self.retriever.doc_freq)
        if not terms:
            return [], False
        scored = self.said_by_units({t: self.retriever.idf(t) for t in terms}, wide,
                                    by_head=True)
        if not scored:
            return [], False
        # The units that say most of what the clause asks about: the answer must be there,
        # not in a unit that shares one general word with it.
        best = max(score for score, _, _ in scored)
        return [e for score, e, _ in scored if score >= 0.5 * best
                and pattern.search(e.unit.with_heading.lower())], True

    def kind_unknown(self, frame: QuestionFrame) -> bool:
        """An English focus that names an unknown kind of a thing the corpus tells apart by
        kinds: "pneumococcal vaccine" when the corpus has HPV-vaccin (see Vocabulary)."""
        synonyms = lexicon().get("synonyms", {})
        for word in frame.focus:
            if word in frame.unknown:
                continue
            swedish = synonyms.get(word) or glossary_expansion([word])
            for sv in [swedish] if isinstance(swedish, str) else list(swedish or []):
                if self.vocabulary.kinds_of(stem(sv)) >= 1:
                    return True
        return False

    def unknown_in(self, ask: Ask, query: Query) -> tuple[str, ...]:
        """Long words of the part's clause that the corpus never uses, not even as a form, a
        compound or a near spelling; capitalised words (names) are left out."""
        if query.english:
            return ()
        lowered = query.question.lower()
        start = lowered.find(ask.clause[:20])
        original = query.question[start:start + len(ask.clause)] if start >= 0 else ""
        names = {w.lower() for w in re.findall(r"\b[A-ZÅÄÖ][\wåäö-]+", original)}
        clause = _without_cue(ask)
        tokens = re.findall(r"[\wåäöéü-]+", clause)
        # An adjective ("godtagbar", "rimligt") judges the thing; it names none.
        judging = tuple(config().get("adjective_endings", ()))
        return tuple(dict.fromkeys(
            t for t in tokens if len(t.replace("-", "")) >= 7 and t not in names
            and not t.endswith(judging)
            and not t.isdigit() and not self.vocabulary.knows(t)
            # an everyday word the glossary gives the corpus's word for ("lasarettet")
            and t not in glossary_words()))

    def anchor(self, focus: frozenset[str]) -> str | None:
        """The focus's most specific term: a passage that lacks it is not about the focus."""
        known = [t for t in focus if t in self.retriever.doc_freq]
        # A ramp bolted to the steps is about ramps: a word that only tells the kind is no anchor.
        known = [t for t in known if not is_qualifier(t)] or known
        # Ties broken by the term itself: set order changes between processes.
        return max(known, key=lambda t: (self.retriever.idf(t), len(t), t)) if known else None

    def compound_parts(self, frame: QuestionFrame) -> tuple[str, ...]:
        """The index terms of the parts of the focus's compounds that no passage uses whole
        ("slangset" → slang, set); empty when every focus word is indexed or none splits."""
        out: list[str] = []
        for word in frame.focus:
            if any(t in self.retriever.doc_freq for t in self.analyzer.word_terms(word)):
                continue
            split = self.vocabulary.parts(word)
            if split is None:
                continue
            for part in split:
                known = [t for t in self.analyzer.word_terms(part) if t in self.retriever.doc_freq]
                out.extend(known[:1])
        return tuple(dict.fromkeys(out))

    def holding_all(self, passages: list[Passage], terms: tuple[str, ...]) -> list[Evidence]:
        """Units of the passages that hold every one of the terms."""
        return [Evidence(unit, p) for p in passages for unit, unit_terms in self.units(p)
                if all(holds(unit_terms, t) for t in terms)]

    def holding(self, passages: list[Passage], anchor: str | None) -> list[Evidence]:
        """Units of the passages that hold the anchor term (every unit when there is none)."""
        out: list[Evidence] = []
        for p in passages:
            if anchor is not None and not holds(self.retriever.chunk_terms[p.chunk.id], anchor):
                continue
            for unit, terms in self.units(p):
                if anchor is None or holds(terms, anchor) or refers_back(terms, anchor):
                    out.append(Evidence(unit, p))
        return out

    def best_unit(self, passages: list[Passage], terms: set[str]) -> Evidence | None:
        """The unit that says most about the terms: what a refusal cites as covered."""
        best: tuple[float, Evidence] | None = None
        for p in passages[:3]:
            for unit, unit_terms in self.units(p):
                if len(unit.text) < 40 or (unit.kind is UnitKind.SENTENCE
                                           and is_fragment(unit.lead)):
                    continue
                score = sum(self.retriever.idf(t) for t in terms & unit_terms)
                score /= (1 + p.rank * 0.3)
                if score > 0 and (best is None or score > best[0]):
                    best = (score, Evidence(unit, p))
        return best[1] if best else None


# Answer kinds a unit gives in so many words (a date, an amount, a duration, a count): a unit
# saying "förväntas vara klar under 2025" answers "när blir den klar".
_ONE_ROW = 200  # characters: longer units hold several items
COVERAGE_PASSAGES = 4  # the best passages whose words a question's key words are looked for in


@lru_cache(maxsize=1)
def rule_product_stems() -> frozenset[str]:
    """Stems of the product words the rule base files under the documents' categories."""
    return frozenset(stem(w) for names in phrasing()["product_areas"].values()
                     for name in names for w in words(name))


def _age_fits(text: str, age: int) -> bool:
    """Whether every age range the text states (frame.yaml `age_ranges`) includes `age`. Only
    a single row or short sentence is judged so: in a longer unit a range may bind one item of
    several ("Glasögon 400 kr … barn 0-19 år se under …")."""
    if "\n" in text.strip() or len(text) > _ONE_ROW:
        return True
    for pattern in config().get("age_ranges", ()):
        for m in re.finditer(pattern, text):
            bounds = {k: int(v) for k, v in m.groupdict().items() if v is not None}
            if ("above" in bounds and age <= bounds["above"]) or (
                    "low" in bounds and age < bounds["low"]) or (
                    "below" in bounds and age >= bounds["below"]) or (
                    "high" in bounds and age > bounds["high"]):
                return False
    return True


def defines_phrase(phrase: str, text: str) -> bool:
    """Whether the lower-cased text (in any spacing) says what the phrase is: the phrase
    followed by "är", "avser", "innebär" … or after "med … avses" (frame.yaml
    `phrase_defined`)."""
    marks = config().get("phrase_defined", {})
    said = re.escape(" ".join(phrase.lower().split()))
    text = " ".join(text.split())
    return any(re.search(said + after, text) for after in marks.get("after", ())) or any(
        re.search(before + said, text) for before in marks.get("before", ()))


def holds(terms: frozenset[str], anchor: str) -> bool:
    """The terms hold the anchor, also in another inflection: Snowball stems "apparat" to
    "appar" but "apparater" to "apparat", so a stem that begins the other and is at most two
    letters longer counts too ("form" does not hold "formgjut")."""
    if anchor in terms:
        return True
    return len(anchor) >= 4 and any(
        len(t) >= 4 and abs(len(t) - len(anchor)) <= 2 and (t.startswith(anchor)
                                                            or anchor.startswith(t))
        for t in terms)


def _without_cue(ask: Ask) -> str:
    """The part's clause without the words that ask ("hur länge pågår utbildningen" →
    "pågår utbildningen"); only a cue that opens the clause is cut, never one inside a word."""
    return ask.clause[len(ask.cue):] if ask.clause.startswith(ask.cue) else ask.clause


def refers_back(terms: frozenset[str], anchor: str) -> bool:
    """In a passage that names the anchor, a unit may name it by its last part: "Rådet träffas
    fyra gånger per år" after "Hjälpmedelsrådet …" (the compound's head, at least 3 letters)."""
    return any(len(t) >= 3 and len(anchor) - len(t) >= 4 and anchor.endswith(t) for t in terms)


# "vilka fyra kommuner", "which three regions": a number of things asked by name.
_NUMBER_WORDS = {"två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7, "åtta": 8, "nio": 9,
                 "tio": 10, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                 "eight": 8, "nine": 9, "ten": 10}
_WHICH_N = re.compile(r"\b(?:vilka|which)\s+(" + "|".join(_NUMBER_WORDS) + r"|\d{1,2})\s+"
                      r"([\wåäö-]{3,})")
_ITEM_SEPARATOR = re.compile(r",\s|\s(?:och|samt|and)\s")


def _states_measure(text: str, measures: tuple[str, str]) -> bool:
    """Whether the text names either measure, in any inflection ("paret" as "per par")."""
    low = text.lower()
    return any(re.search(rf"\b{re.escape(stem(m))}", low) for m in measures)


def answers(ask: Ask) -> re.Pattern[str]:
    """What a unit must hold to answer the part: its kind's pattern, or for "hur många X" a
    number that counts X ("fyra gånger", "2 år", "tre typer")."""
    kind = answer_kind(ask.intent)
    if ask.counted and not is_english(ask.clause):
        # The counted noun's stem, less an inflection's letters: "ledamöter" counts as
        # "ledamot…", but "utbildningsdagar" is not counted by "ett utbildningspaket".
        root = stem(ask.counted)
        head = root[:max(5, len(root) - 2)]
        number = "|".join(config()["answer_kinds"]["count"])
        # "fyra gånger", or with the number after its unit ("graviditetsvecka 16", "ålder 12")
        return re.compile(rf"(?:{number})\s+(?:[\wåäö-]+\s+)?{re.escape(head)}"
                          rf"|{re.escape(head)}[\wåäö]*\s+\d+")
    lead = config().get("lead_time_cues", ())
    if ask.intent is Intent.DURATION and any(re.match(c, ask.clause or ask.cue) for c in lead):
        return answer_pattern("lead_time")
    return answer_pattern(kind or "")


_SPECIFIC = frozenset({"date", "amount", "duration", "count"})
