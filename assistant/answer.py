"""Answer (extractive): the conclusion first, then the evidence as whole units, or a refusal.

No language model: every unit of the answer is verbatim text of a cited passage, so it cannot
invent. The question is read once (`assistant.frame`), the answerability gate
(`assistant.answerability`) decides before anything is composed, and the composer then
- leads with the unit that gives the first part's answer of the asked kind (the amount, the
  party, the duration …);
- quotes whole units: a sentence with the list it introduces, a table row under its header;
- answers every part of a question with several, or says which part the documents leave open;
- refuses with "Det framgår inte av dokumenten." and cites what the documents do say.

Usage (needs a retriever over the built index, so not a doctest):

    answerer = ExtractiveAnswerer(retriever, settings)
    answer = answerer.run(query, retriever.retrieve(query))
    answer.text, answer.citations   # verbatim units with [n] markers, and their sources
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from assistant.abbreviations import Abbreviations
from assistant.answerability import AnswerabilityGate, Verdict, answers, defines_phrase, holds
from assistant.frame import (
    Intent,
    QuestionFrame,
    Vocabulary,
    answer_kind,
    answer_pattern,
    config,
    read_frame,
)
from assistant.labels import TableLabels
from assistant.qualifiers import Stance, asked_qualifiers, stance
from assistant.query import Query
from assistant.retrieve import HybridRetriever
from assistant.text import GENERIC, find_phrase, product_names, stem, words
from assistant.units import Unit, UnitKind, is_fragment
from core.settings import Settings
from core.text import lexicon
from core.values import REFUSAL, Answer, Citation, Passage

OLD_SOURCE_YEARS = 5
MAX_LIST_CHARS = 900  # a needed list is quoted whole, up to this


@dataclass(frozen=True)
class Candidate:
    sentence: str  # the unit's text as quoted (verbatim in the passage)
    passage: Passage
    score: float
    unit: Unit | None = None
    terms: frozenset[str] = frozenset()  # the unit's index terms (with a row's header)


class ExtractiveAnswerer:
    """Composes a short Swedish answer from verbatim units with [n] citation markers."""

    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.analyzer = retriever.analyzer
        # Every word the corpus uses: what a question's focus is checked against.
        self.vocabulary = Vocabulary(w for c in retriever.chunks for w in words(c.text))
        self.gate = AnswerabilityGate(retriever, self.vocabulary, settings)
        # Documents that speak for several regions (a survey's answers): a unit of theirs is
        # read with the region it speaks for.
        regions: dict[str, set[str]] = {}
        for c in retriever.chunks:
            regions.setdefault(c.doc, set()).update(c.regions)
        self.multi_region_docs = {d for d, r in regions.items() if len(r) > 1}
        self.labels = TableLabels.from_chunks(retriever.chunks)
        self.abbreviations = Abbreviations.from_texts(c.text for c in retriever.chunks)
        self.region_terms = self.gate.region_terms
        self.place_terms = self.gate.place_terms

    def frame_for(self, query: Query) -> QuestionFrame:
        """The question's frame; an elliptic follow-up keeps the earlier question's parts and
        focus where it does not name its own ("Och för inomhusbruk?")."""
        frame = read_frame(query.question, self.vocabulary)
        if not query.is_followup or not query.context:
            return frame
        earlier = read_frame(query.context, self.vocabulary)
        asks = frame.asks or earlier.asks
        own = frame.focus_from_cue or not earlier.focus_from_cue
        if not own:
            # "Och en apnéskena, vad kostar den?", "Men badbrädan då?": a thing the documents
            # price or file, named now and not before (in any inflection), is what the
            # follow-up asks about; "samma sondnäring" names the earlier thing in other words.
            said = {stem(w) for w in words(query.context.lower())}
            things = tuple(w for w in frame.focus
                           if stem(w) in _product_stems() and stem(w) not in said
                           and not re.search(rf"\bsamma {re.escape(w)}", query.question.lower()))
            if things:
                return replace(frame, focus=things, focus_from_cue=True, phrase=things,
                               asks=asks)
        return replace(frame if own else earlier, question=frame.question, asks=asks)

    # --- selection -----------------------------------------------------------------------
    def candidates(self, query: Query, passages: list[Passage], terms: dict[str, float],
                   frame: QuestionFrame, verdict: Verdict) -> list[Candidate]:
        expansion = set(self.analyzer.terms(query.text)) - set(terms)
        kinds = [k for k in (answer_kind(a.intent) for a in frame.asks) if k]
        asked = {t for t in self.gate.asked_terms(frame) if t in self.retriever.doc_freq} - GENERIC
        # A unit that begins with the region's name starts the region's own row (a survey's
        # first answer): it still counts the name the scoped terms leave out.
        head = self._row_head(query, terms)
        kind = asked_qualifiers(query.question, frame.focus)
        # Asked what a term means, the unit that says what it is ("X avser …") answers;
        # one that only uses the term, or points to a definition elsewhere, does not.
        term = _defined_term(frame)
        out: list[Candidate] = []
        for p in passages:
            prior = 1.0 / (1 + 0.35 * (p.rank - 1))
            headings = {_plain(h) for h in (*p.chunk.section.split(" > "), p.chunk.title)}
            for unit, unit_terms in self.gate.units(p):
                if not unit_terms or (unit.kind is UnitKind.SENTENCE and (
                        is_fragment(unit.lead) or _plain(unit.lead) in headings)):
                    continue  # a heading names a topic, it does not answer
                score = sum(w for t, w in terms.items() if t in unit_terms)
                score += 0.3 * sum(self.retriever.idf(t) for t in expansion & unit_terms)
                if head and unit.lead.lower().startswith(head[0]):
                    score += head[1]
                if verdict.focus_terms & unit_terms:
                    score *= 1.3
                if asked & unit_terms:
                    score *= 1.5  # it names what the question word asks for
                text = unit.with_heading.lower()
                if any(answer_pattern(k).search(text) for k in kinds):
                    score *= 1.6
                # The row of another kind of the thing ("fristående" for one mounted on the
                # bowl) is not its answer. Naming the asked kind earns nothing: a short
                # sentence that does so is not thereby truer than a row naming both kinds.
                if stance(kind, text) is Stance.CONTRADICTS:
                    score *= 0.2
                if term and defines_phrase(term, text):
                    score *= 2.0
                # A long sentence is hard to read aloud to a patient; a list is as long as it is.
                length = len(unit.lead) if unit.kind is UnitKind.LIST else len(unit.text)
                score = score * prior / (1 + max(0, length - 300) / 300)
                out.append(Candidate(unit.text, p, score, unit, unit_terms))
        return sorted(out, key=lambda c: -c.score)

    def run(self, query: Query, passages: list[Passage]) -> Answer:
        unscoped = passages[: self.settings.top_k]
        if query.region and query.region_has_documents:
            # A question about one region is answered from that region's documents only.
            passages = [p for p in passages if query.region in p.chunk.regions]
        # A comparison reads more passages: each region needs its own.
        frame = self.frame_for(query)
        comparison = len(query.regions) >= 2 or frame.intent is Intent.COMPARISON
        width = self.settings.top_k * (2 if comparison else 1)
        pool, passages = passages, self._with_respondent(query, frame, passages[:width])
        pooled = {p.chunk.id for p in pool}
        pool = pool + [p for p in passages if p.chunk.id not in pooled]
        survey = _asks_survey(frame)
        respondent = self._respondent(query, passages) if survey else []
        if respondent:
            # The region answered the survey: that others said more in it is no sign that
            # the region's documents are silent.
            unscoped = None
        verdict = self.gate.judge(frame, query, passages, unscoped, pool)
        if not verdict.answerable:
            return self.refusal(query, passages, verdict)
        terms = self.gate.key_terms(query)
        if respondent:
            # Asked of the survey, the region's answer there is the answer: its other
            # documents did not answer the survey.
            passages, pool = respondent, self._respondent(query, pool)
        if query.region and query.region_has_documents:
            # The passages are the region's own already: its name picks no unit over another.
            terms = {t: w for t, w in terms.items() if t not in self.place_terms} or terms
        chosen = self.with_definitions(self.select(query, passages, terms, frame, verdict,
                                                   pool))
        if not chosen:
            # No unit of the passages says a word of the question: nothing to quote.
            return self.refusal(query, passages, replace(
                verdict, answerable=False, reason="Inget stycke i dokumenten säger något om "
                                                  "det som frågas."))
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        parts: list[str] = []
        for cand in chosen:
            chunk = cand.passage.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(citation_for(numbers[chunk.id], cand))
            parts.append(f"{self._speaker(cand)}{_in_context(cand)} [{numbers[chunk.id]}]")
        text = " ".join(parts)
        if verdict.open_parts:
            labels = ", ".join(frame.label(i) for i in verdict.open_parts)
            text = f"{text}\n\nDokumenten anger inte {labels}."
        if verdict.unpriced:
            named = [f"'{t}'" for t in verdict.unpriced]
            text += (f"\n\nThe documents give no fee for {' or '.join(named)}." if query.english
                     else f"\n\nDokumenten anger ingen avgift för {' eller '.join(named)}.")
        return Answer(question=query.question, text=text, citations=citations,
                      warnings=source_warnings(citations), passages=passages, query=query.text,
                      region=query.region)

    def _row_head(self, query: Query, terms: dict[str, float]) -> tuple[tuple[str, ...], float]:
        """The region's names and its name's weight, when the scoped terms left it out."""
        if not query.region or not query.region_has_documents:
            return (), 0.0
        names = tuple(lexicon()["regions"].get(query.region, [query.region.lower()]))
        own = self.region_terms.get(query.region) or tuple(self.analyzer.terms(names[0]))
        if not own or any(t in terms for t in own):
            return (), 0.0
        return names, self.retriever.idf(own[0])

    def _with_respondent(self, query: Query, frame: QuestionFrame,
                         passages: list[Passage]) -> list[Passage]:
        """A question about one region of a document that speaks for several (a survey) reads
        the whole of that region's answer: it is cut into several passages, and the asked risk
        may stand in one that retrieval did not bring."""
        own = self._respondent(query, passages)
        have = {p.chunk.id for p in passages}
        if not own:
            if not query.region or not _asks_survey(frame):
                return passages
            # Asked of the survey, the region's answer there is read even when its own
            # documents outranked it (what a region "svarade i enkäten").
            rank = len(passages) + 1
            return passages + [Passage(chunk=c, rank=rank) for c in self.retriever.chunks
                               if c.doc in self.multi_region_docs
                               and c.regions == (query.region,) and c.id not in have]
        top = own[0]
        return passages + [Passage(chunk=c, rank=top.rank) for c in self.retriever.chunks
                           if c.doc == top.chunk.doc and c.regions == top.chunk.regions
                           and c.id not in have]

    def _respondent(self, query: Query, passages: list[Passage]) -> list[Passage]:
        """The passages of the asked region's own answer in a document that speaks for
        several regions (a survey)."""
        if not query.region:
            return []
        return [p for p in passages if p.chunk.doc in self.multi_region_docs
                and p.chunk.regions == (query.region,)]

    def refusal(self, query: Query, passages: list[Passage], verdict: Verdict) -> Answer:
        """"Det framgår inte av dokumenten.", and with a citation what the documents do say."""
        citations: list[Citation] = []
        text = REFUSAL
        if verdict.covered is not None:
            cand = Candidate(verdict.covered.unit.text, verdict.covered.passage, 0.0,
                             verdict.covered.unit)
            citations.append(citation_for(1, cand))
            text = (f"{REFUSAL} Det som står närmast frågan: "
                    f"{_in_context(cand)} [1]")
        return Answer(question=query.question, text=text, refused=True, citations=citations,
                      warnings=[verdict.reason] if verdict.reason else [], passages=passages,
                      query=query.text, region=query.region,
                      rule_may_answer=verdict.rule_may_answer,
                      rule_must_file=verdict.rule_must_file)

    def select(self, query: Query, passages: list[Passage], terms: dict[str, float],
               frame: QuestionFrame, verdict: Verdict,
               pool: list[Passage] | None = None) -> list[Candidate]:
        # A part's answer may stand in any passage retrieved for the scope, not only the best;
        # the rest of the answer comes from the best. Scored once: a unit's score does not
        # depend on which list its passage is in.
        wider = self.candidates(query, pool or passages, terms, frame, verdict)
        best_ids = {p.chunk.id for p in passages}
        ranked = [c for c in wider if c.passage.chunk.id in best_ids]
        if not ranked:
            return []
        best = ranked[0].score
        chosen: list[Candidate] = []
        survey = self._respondents(query, ranked, terms, frame, verdict)
        steps = self._steps(query, frame, ranked)
        if steps:
            return steps
        if survey:
            # A survey compared without naming regions: every region it speaks for answers.
            chosen = survey
        elif frame.pair and len(query.regions) < 2:
            # Two terms side by side ("skillnaden mellan X och Y"): each term's own definition,
            # not two units of the first.
            chosen = self._one_per_term(frame.pair, wider)
        elif len(query.regions) >= 2 or frame.intent is Intent.COMPARISON:
            # A comparison needs each region's own statement, not the three best of one.
            chosen = self._one_per_region(query, ranked, best)
        elif term := _defined_term(frame):
            # What a term means: the unit that says what it is leads, wherever retrieval
            # ranked it (a glossary at the end of the document ranks low).
            defining = [c for c in wider if c.unit is not None
                        and defines_phrase(term, c.unit.with_heading.lower())]
            chosen = ([max(defining, key=lambda c: c.score)] if defining
                      else self._definition_of(term, query))
        # Every part of the question gets the best unit that gives its kind of answer; the
        # first part's answer leads.
        several = len(frame.asks) >= 2
        asked = self.gate.asked_terms(frame)
        # The part's own words ("hur länge gäller beslutet") pick among the units that give
        # its kind of answer. A part's abbreviation ("… respektive LOL-vårdgivare") reads as
        # its long form too.
        clauses = [{t for t in self.analyzer.terms(
            f"{a.clause} {self.abbreviations.expand(a.clause.upper())}") if t in terms}
            - self.place_terms for a in frame.asks]
        for n, ask in enumerate(frame.asks):
            kind = answer_kind(ask.intent)
            if ask.intent in verdict.open_parts or (kind is None and not several):
                continue
            pattern = answers(ask) if kind else None
            clause = clauses[n]
            if kind is None and not clause:
                continue
            # A unit already chosen for another part is not reused.
            taken = {c.sentence for c in chosen}
            # A unit naming the part's most specific word answers it however little it says
            # of the other parts ("vad menas med X, och vad kostar Y"); a word the other parts
            # share ("den främsta nackdelen respektive den främsta vinsten") tells none apart.
            shared = set().union(*(c for i, c in enumerate(clauses) if i != n))
            shared |= set(self.analyzer.terms(ask.cue))
            key = max(clause - shared or clause, key=lambda t: (terms[t], t)) if clause else None
            fitting = [c for c in wider if (c.score >= 0.2 * best
                                            or (several and key is not None and key in c.terms))
                       and c.unit and c.sentence not in taken
                       and (pattern is None or pattern.search(c.unit.with_heading.lower()))
                       and (kind or clause & c.terms)]
            if not fitting:
                continue

            total = 1 + sum(terms.values())
            # The noun the question word asks for ("vilken fördel") says most of the part.
            said = {id(c): sum(terms[t] * (2 if t in asked else 1) for t in clause & c.terms)
                    / total for c in fitting}
            if kind is None:  # a yes/no part: the unit that says most of the part's own words
                chosen.append(max(fitting, key=lambda c: (said[id(c)], c.score)))
            else:
                chosen.append(max(fitting, key=lambda c: c.score * (1 + 2 * said[id(c)])))
        chosen += self._item_rows(verdict, wider, chosen, frame)
        comparison = len(query.regions) >= 2 or frame.intent is Intent.COMPARISON
        lead = chosen[0] if chosen and frame.asks and not comparison else None
        # A comparison says one thing per region it compares.
        limit = max(self.settings.max_answer_sentences, len(chosen) if comparison else 0)
        for cand in ranked:
            if len(chosen) >= limit:
                break
            if chosen and cand.score < 0.45 * best:
                break
            if any(_overlap(cand.sentence, c.sentence) > 0.6 for c in chosen):
                continue
            if chosen and not comparison and sum(len(c.sentence) for c in chosen) + len(
                    cand.sentence) > self.settings.answer_fill_chars:
                continue
            chosen.append(cand)
        chosen = _trim(chosen[: limit + 1], MAX_LIST_CHARS * (2 if comparison else 1))
        rest = [c for c in chosen if c is not lead]
        # Read in document order within a passage, passages in rank order; the lead first.
        rest.sort(key=lambda c: (c.passage.rank, c.unit.position if c.unit else 0))
        rest = list({c.sentence: c for c in rest}.values())
        return ([lead] if lead in chosen else []) + rest

    def _steps(self, query: Query, frame: QuestionFrame,
               ranked: list[Candidate]) -> list[Candidate]:
        """For a question asking only the steps of a process, the units of the best passage
        whose sentences run as steps (two or more open with a step word: "När …", "Innan …",
        "Efter …"), in the passage's order, from its first step on; else none."""
        data = config().get("steps", {})
        asked = query.question.lower()
        if len(frame.asks) > 1 or not any(re.search(p, asked) for p in data.get("asked", ())):
            return []
        marks = re.compile("|".join(data.get("marks", ())) or "$^")
        passages = sorted({c.passage.chunk.id: c.passage for c in ranked}.values(),
                          key=lambda p: p.rank)
        for passage in passages[:4]:
            units = [c for c in ranked if c.passage.chunk.id == passage.chunk.id
                     and c.unit is not None]
            marked = [c for c in units if marks.search(c.unit.lead.lower())]
            if len(marked) < 2:
                continue
            start = min(c.unit.position for c in marked)
            run = sorted((c for c in units if c.unit.position >= start),
                         key=lambda c: c.unit.position)
            return _trim(run, MAX_LIST_CHARS)
        return []

    def _item_rows(self, verdict: Verdict, wider: list[Candidate],
                   chosen: list[Candidate], frame: QuestionFrame) -> list[Candidate]:
        """For a question pricing several things, the best unit giving an amount for each
        thing the documents price that no chosen unit prices yet, and the best unit on each
        thing they name but do not price ("tyngdtäcken förskrivs inte längre"): why it has
        no fee."""
        amount = answer_pattern("amount")

        def names(c: Candidate, anchor: str) -> bool:
            return c.unit is not None and holds(c.terms, anchor)

        def prices(c: Candidate, anchor: str) -> bool:
            return _prices(c, anchor, amount)

        wanted = [*((self.vocabulary.item_frame(frame, tuple(name.split())), names)
                    for name in verdict.unpriced),
                  *((item, prices) for item in verdict.priced)]
        out: list[Candidate] = []
        for item, gives in wanted:
            anchor = self.gate.anchor(self.gate.focus_terms(item))
            if anchor is None or any(gives(c, anchor) for c in [*chosen, *out]):
                continue
            best = max((c for c in wider if gives(c, anchor)), key=lambda c: c.score,
                       default=None)
            if best is not None:
                out.append(best)
        return out

    def with_definitions(self, chosen: list[Candidate]) -> list[Candidate]:
        """A quoted row whose label the document defines ("Hembesök krävs") is followed by
        the document's sentence that says what the label means (who is responsible)."""
        out: list[Candidate] = []
        seen = {c.sentence for c in chosen}
        for cand in chosen:
            out.append(cand)
            if cand.unit is None or cand.unit.kind is not UnitKind.ROW:
                continue
            doc = cand.passage.chunk.doc
            label = self.labels.label_of(doc, cand.unit.lead)
            definition = self.labels.definition(doc, label) if label else None
            if definition is None or definition.unit.text in seen:
                continue
            seen.add(definition.unit.text)
            passage = Passage(chunk=definition.chunk, rank=cand.passage.rank)
            out.append(Candidate(definition.unit.text, passage, 0.0, definition.unit))
        return out

    def _speaker(self, cand: Candidate) -> str:
        """"Gävleborg: " before a survey answer that does not name its region itself."""
        chunk = cand.passage.chunk
        if chunk.doc not in self.multi_region_docs or len(chunk.regions) != 1:
            return ""
        region = chunk.regions[0]
        return "" if region.lower() in cand.sentence.lower() else f"{region}: "

    def _respondents(self, query: Query, ranked: list[Candidate], terms: dict[str, float],
                     frame: QuestionFrame, verdict: Verdict) -> list[Candidate]:
        """For a comparison that names no region, asked of a document that speaks for several
        (a survey): each region's best unit from all of that document's passages."""
        if frame.intent is not Intent.COMPARISON or query.regions or not ranked:
            return []
        doc = ranked[0].passage.chunk.doc
        if doc not in self.multi_region_docs:
            return []
        own = [Passage(chunk=c, rank=1) for c in self.retriever.chunks
               if c.doc == doc and len(c.regions) == 1]
        pool = self.candidates(query, own, terms, frame, verdict)
        picked: list[Candidate] = []
        for region in dict.fromkeys(p.chunk.regions[0] for p in own):
            best = next((c for c in pool if c.passage.chunk.regions == (region,)
                         and c.score > 0), None)
            if best is not None:
                picked.append(best)
        return picked

    def _definition_of(self, term: str, query: Query) -> list[Candidate]:
        """The first unit of the documents in scope that says what the term is, when
        retrieval brought none (a glossary at the end of a long document)."""
        rank = self.settings.top_k + 1
        for chunk in self.retriever.chunks:
            if query.region and query.region_has_documents and query.region not in chunk.regions:
                continue
            passage = Passage(chunk=chunk, rank=rank)
            for unit, unit_terms in self.gate.units(passage):
                if defines_phrase(term, unit.with_heading.lower()):
                    return [Candidate(unit.text, passage, 0.0, unit, unit_terms)]
        return []

    def _one_per_term(self, pair: tuple[str, ...], ranked: list[Candidate]) -> list[Candidate]:
        """For each of two terms asked side by side, the best unit that names it and not the
        other, of those that say how the text defines it (frame.yaml `defines`) if any."""
        defines = re.compile("|".join(config().get("defines", ())) or "$^")
        picked: list[Candidate] = []
        for word in pair:
            term = next((t for t in self.analyzer.word_terms(word)
                         if t in self.retriever.doc_freq), None)
            if term is None:
                continue
            others = [t for w in pair if w != word
                      for t in self.analyzer.word_terms(w)[:1]]
            # An abbreviation is named by its long form too ("MAS": medicinskt ansvarig
            # sjuksköterska, every word of it).
            long = [t for t in self.analyzer.terms(self.abbreviations.expand(word.upper()))
                    if t in self.retriever.doc_freq]
            naming = [c for c in ranked if c.unit is not None and c not in picked and (
                holds(c.terms, term) or (long and all(holds(c.terms, t) for t in long)))]
            # A unit that names this term only says what it is, not how it differs.
            own = [c for c in naming if not any(holds(c.terms, t) for t in others)]
            naming = own or naming
            # Where the text defines the term, that is what the question asks.
            defining = [c for c in naming if defines.search(c.unit.with_heading.lower())]
            if naming:
                picked.append(max(defining or naming, key=lambda c: c.score))
        return picked

    def _one_per_region(self, query: Query, ranked: list[Candidate],
                        best: float) -> list[Candidate]:
        # Unnamed regions ("vilka regioner …"): those the retrieved passages speak for.
        wanted = list(query.regions) or list(dict.fromkeys(
            c.passage.chunk.regions[0] for c in ranked if len(c.passage.chunk.regions) == 1))
        picked: list[Candidate] = []
        for region in wanted:
            names = [region.lower(), *(n for n in lexicon()["regions"].get(region, []))]
            for cand in ranked:
                if cand.score < 0.25 * best or cand in picked:
                    continue
                text = cand.sentence.lower()
                own_doc = cand.passage.chunk.regions == (region,)
                if own_doc or any(find_phrase(text, n) for n in names):
                    picked.append(cand)
                    break
        return picked


@lru_cache(maxsize=1)
def _product_stems() -> frozenset[str]:
    return frozenset(stem(w) for w in product_names())


def _asks_survey(frame: QuestionFrame) -> bool:
    return any(a.intent is Intent.SURVEY for a in frame.asks)


# Where the asked term ends: a scope or a further part ("vad avses med X enligt Y", "…, och …").
_TERM_END = re.compile(r"\s+(?:enligt|i|hos|inom|för|när|och|samt|according|in|for|and)\b|[?,.;:]")


def _defined_term(frame: QuestionFrame) -> str:
    """The term a definition part asks about: after "med" ("vad menar de med X"), else right
    after the asking words ("vad innebär X"); "" when no part asks what a term means."""
    ask = next((a for a in frame.asks if a.intent is Intent.DEFINITION), None)
    if ask is None:
        return ""
    clause = " ".join(ask.clause.lower().split())
    after = clause[clause.find(ask.cue) + len(ask.cue):] if ask.cue in clause else clause
    named = re.search(r"\b(?:med|by)\s+(.+)", after)
    term = _TERM_END.split((named.group(1) if named else after).strip(), maxsplit=1)[0]
    term = re.sub(r"^(?:en|ett|ordet|begreppet|termen|a|an|the)\s+", "", term.strip(" ”“\"'"))
    return term if 1 <= len(term.split()) <= 4 else ""


def _plain(text: str) -> str:
    return " ".join(words(text))


def _trim(chosen: list[Candidate], budget: int) -> list[Candidate]:
    """Keep the answer short: a long list counts for its length, the first one is kept whole."""
    out: list[Candidate] = []
    total = 0
    for cand in chosen:
        size = len(cand.sentence)
        if out and total + size > budget:
            continue
        out.append(cand)
        total += size
    return out


def citation_for(n: int, cand: Candidate) -> Citation:
    chunk = cand.passage.chunk
    return Citation(n=n, doc=chunk.doc, title=chunk.title, section=chunk.section,
                    location=chunk.location, quote=cand.sentence, text=chunk.text,
                    date=chunk.date, publisher=chunk.publisher, page=chunk.page,
                    line_start=chunk.line_start, line_end=chunk.line_end,
                    copies=cand.passage.copies, chunk_id=chunk.id)


def source_warnings(citations: list[Citation], today: date | None = None) -> list[str]:
    """Warn when an answer rests on an old source, once per document."""
    today = today or date.today()
    warnings: list[str] = []
    seen: set[str] = set()
    for c in citations:
        year = _year(c.date)
        if c.doc in seen or year is None:
            continue
        seen.add(c.doc)
        if today.year - year >= OLD_SOURCE_YEARS:
            warnings.append(f"Källan [{c.n}] är från {year} ({today.year - year} år gammal); "
                            "kontrollera att den fortfarande gäller.")
    return warnings


def _year(value: str | None) -> int | None:
    m = re.match(r"(\d{4})", value or "")
    return int(m.group(1)) if m else None


def _in_context(cand: Candidate) -> str:
    """A table row means little without its table's header ("Hörapparat** 800 kr")."""
    unit = cand.unit
    text = unit.with_heading if unit is not None else cand.sentence
    return _as_sentence(text)


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":", "”", '"')) else f"{text}."


def _prices(cand: Candidate, anchor: str, amount: re.Pattern[str]) -> bool:
    """The unit names the thing (its anchor term) and gives an amount."""
    return cand.unit is not None and holds(cand.terms, anchor) and bool(
        amount.search(cand.unit.with_heading.lower()))


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))
