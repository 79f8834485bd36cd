"""Answer (extractive): pick the sentences of the top passages that answer the question, or refuse.

No language model: every sentence of the answer is a verbatim sentence of a cited passage, so it
cannot invent. Refusal is decided in code before anything is composed:
- the question is scoped to a region that has no document;
- it names something specific (an ISO code, an "X-vaccin"-style term) that the corpus never
  mentions;
- too little of the question's key vocabulary (IDF-weighted) occurs in the best passages.

Example:
    >>> answerer = ExtractiveAnswerer(retriever, settings)
    >>> answerer.run(query, passages).text
    'Enligt Policy- och samverkansdokument …: 120606 Rollator … [1]'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.query import Query
from assistant.retrieve import HybridRetriever
from assistant.settings import Settings
from assistant.text import GENERIC, STOPWORDS, find_phrase, lexicon, words
from assistant.values import Answer, Citation, Passage
from ingest.chunk import AMOUNT_ROW, ISO_ROW, split_sentences

REFUSAL = "Det framgår inte av dokumenten."
OLD_SOURCE_YEARS = 5


@dataclass(frozen=True)
class Candidate:
    sentence: str
    passage: Passage
    score: float


class ExtractiveAnswerer:
    """Composes a short Swedish answer from verbatim sentences with [n] citation markers."""

    def __init__(self, retriever: HybridRetriever, settings: Settings) -> None:
        self.retriever = retriever
        self.settings = settings
        self.analyzer = retriever.analyzer
        # Every word the corpus uses, to tell a specific term the documents never mention.
        self.corpus_words = {w for c in retriever.chunks for w in words(c.text)}

    # --- refusal -------------------------------------------------------------------------
    def key_terms(self, query: Query) -> dict[str, float]:
        """Question terms worth checking, weighted by IDF; generic domain words are left out."""
        terms: dict[str, float] = {}
        # An English question's meaning is in its Swedish translations (the lexicon expansion).
        source = query.text if query.english else f"{query.question} {query.context}"
        for word in words(source):
            if word in STOPWORDS or len(word) < 3 or word in GENERIC:
                continue
            stems = self.analyzer.word_terms(word)
            known = [t for t in stems if t in self.retriever.doc_freq]
            if not known:
                # A word the corpus never uses cannot be covered by any passage; specific
                # entities among such words are checked separately (see refusal_reason).
                continue
            term = known[0]
            if term in GENERIC:
                continue
            terms[term] = self.retriever.idf(term)
        return terms

    def refusal_reason(self, query: Query, passages: list[Passage], terms: dict[str, float],
                       unscoped: list[Passage] | None = None) -> str | None:
        if query.region and not query.region_has_documents:
            return f"Det finns inget dokument från Region {query.region} i underlaget."
        if not passages:
            return "Inga relevanta textstycken hittades."
        for code in query.iso_codes:
            if code not in self.corpus_words:
                return f"ISO-koden {code} finns inte i dokumenten."
        for entity in re.findall(r"\b([A-Za-zÅÄÖåäö0-9]{2,})-[a-zåäö]{3,}", query.question):
            if entity.lower() not in self.corpus_words and not query.english:
                return f"'{entity}' nämns inte i dokumenten."
        coverage = self.coverage(terms, passages)
        if unscoped is not None and query.region:
            # The answer exists, but for another region: say so rather than borrow it.
            elsewhere = self.coverage(terms, unscoped)
            if elsewhere - coverage >= self.settings.region_gap:
                return (f"Dokumenten från Region {query.region} tar inte upp detta "
                        f"(det som finns gäller andra regioner).")
        if coverage < self.settings.min_term_coverage:
            return f"Frågans nyckelord täcks bara till {coverage:.0%} av de bästa textstyckena."
        return None

    def coverage(self, terms: dict[str, float], passages: list[Passage]) -> float:
        """IDF-weighted share of the question's key `terms` found in the best passages."""
        if not terms:
            return 1.0
        top_terms: set[str] = set()
        for p in passages[:3]:
            top_terms.update(self.retriever.chunk_terms[p.chunk.id])
        return sum(w for t, w in terms.items() if t in top_terms) / sum(terms.values())

    # --- selection -----------------------------------------------------------------------
    def candidates(self, query: Query, passages: list[Passage],
                   terms: dict[str, float]) -> list[Candidate]:
        expansion = set(self.analyzer.terms(query.text)) - set(terms)
        wants = _intent(query.question)
        out: list[Candidate] = []
        for p in passages:
            prior = 1.0 / (1 + 0.35 * (p.rank - 1))
            for sentence in passage_sentences(p.chunk.text):
                sentence_terms = set(self.analyzer.terms(sentence))
                if is_row(sentence):
                    # A row says what it says under its table's heading ("Egenavgift 2025").
                    heading = row_heading(p.chunk.text, p.chunk.section, sentence)
                    sentence_terms |= set(self.analyzer.terms(f"{p.chunk.section} {heading}"))
                if not sentence_terms or (_is_fragment(sentence) and not is_row(sentence)):
                    continue
                score = sum(w for t, w in terms.items() if t in sentence_terms)
                score += 0.3 * sum(self.retriever.idf(t) for t in expansion & sentence_terms)
                if wants is not None and wants.search(sentence):
                    score *= 1.6
                # Very long sentences are harder to read aloud to a patient.
                score = score * prior / (1 + max(0, len(sentence) - 300) / 300)
                out.append(Candidate(sentence, p, score))
        return sorted(out, key=lambda c: -c.score)

    def run(self, query: Query, passages: list[Passage]) -> Answer:
        unscoped = passages[: self.settings.top_k]
        if query.region and query.region_has_documents:
            # A question about one region is answered from that region's documents only.
            passages = [p for p in passages if query.region in p.chunk.regions]
        # A comparison reads more passages: each region needs its own.
        width = self.settings.top_k * (2 if len(query.regions) >= 2 else 1)
        passages = passages[:width]
        terms = self.key_terms(query)
        reason = self.refusal_reason(query, passages, terms, unscoped)
        if reason is not None:
            return Answer(question=query.question, text=REFUSAL, refused=True,
                          warnings=[reason], passages=passages, query=query.text,
                          region=query.region)
        chosen = self.select(query, passages, terms)
        citations: list[Citation] = []
        numbers: dict[str, int] = {}
        parts: list[str] = []
        for cand in chosen:
            chunk = cand.passage.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(citation_for(numbers[chunk.id], cand))
            n = numbers[chunk.id]
            parts.append(f"{_in_context(cand)} [{n}]")
        lead = _lead(citations)
        text = f"{lead}{' '.join(parts)}"
        return Answer(question=query.question, text=text, citations=citations,
                      warnings=source_warnings(citations), passages=passages, query=query.text,
                      region=query.region)

    def select(self, query: Query, passages: list[Passage],
               terms: dict[str, float]) -> list[Candidate]:
        ranked = self.candidates(query, passages, terms)
        if not ranked:
            return []
        best = ranked[0].score
        chosen: list[Candidate] = []
        if len(query.regions) >= 2 or _ASKS_FOR_REGIONS.search(query.question):
            # A comparison needs each region's own statement, not the three best of one.
            chosen = self._one_per_region(query, ranked, best)
        for cand in ranked:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if chosen and cand.score < 0.45 * best:
                break
            if any(_overlap(cand.sentence, c.sentence) > 0.6 for c in chosen):
                continue
            chosen.append(cand)
        chosen = chosen[: self.settings.max_answer_sentences + 1]
        # Read in document order within a passage, passages in rank order.
        return sorted(chosen, key=lambda c: (c.passage.rank,
                                             c.passage.chunk.text.find(c.sentence)))


    def _one_per_region(self, query: Query, ranked: list[Candidate],
                        best: float) -> list[Candidate]:
        wanted = list(query.regions) or self.retriever.regions
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


_ASKS_FOR_REGIONS = re.compile(r"\b(vilka regioner|which regions|vilka län)\b", re.IGNORECASE)


def is_row(text: str) -> bool:
    """A table row: ISO-coded product row or a short line with an amount."""
    return bool(ISO_ROW.match(text) or (AMOUNT_ROW.search(text) and len(text) < 200))


def row_heading(text: str, section: str, row: str) -> str:
    """The nearest line above `row` in a chunk that is not itself a row: its table's header."""
    heading = section.split(" > ")[-1].strip()
    for line in text.split("\n"):
        line = line.strip()
        if line == row:
            break
        if line and not is_row(line):
            heading = line
    return heading


def passage_sentences(text: str) -> list[str]:
    """Sentences of a chunk; table rows (ISO-coded or priced) stay whole."""
    out: list[str] = []
    for block in text.split("\n"):
        block = block.strip()
        if not block:
            continue
        if is_row(block):
            out.append(block)
        else:
            out.extend(split_sentences(block))
    return out


# What kind of statement a question asks for, and the pattern of a sentence that gives it.
_INTENTS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"\b(kostar|kosta|avgift\w*|betala|pris|hur mycket|fee|cost|charge|pay)\b", re.I),
     re.compile(r"\d[\d ]*\s?(kr|kronor|%)", re.I)),
    (re.compile(r"\b(hur ofta|hur länge|how often|how long|gäller i|giltig)", re.I),
     re.compile(r"\b(per år|gång|år|månad|vecka|dag|högst|minst)\b", re.I)),
    (re.compile(r"\b(när|från och med|datum|when|date)\b", re.I),
     re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2} (jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec))",
                re.I)),
]


def _intent(question: str) -> re.Pattern[str] | None:
    for asks, gives in _INTENTS:
        if asks.search(question):
            return gives
    return None


def _is_fragment(sentence: str) -> bool:
    """Headings and stray table cells read as answers but say nothing on their own."""
    has_verb_length = len(sentence) >= 45 or re.search(r"\d", sentence)
    return not has_verb_length or sentence.count(" ") < 4


def citation_for(n: int, cand: Candidate) -> Citation:
    chunk = cand.passage.chunk
    return Citation(n=n, doc=chunk.doc, title=chunk.title, section=chunk.section,
                    location=chunk.location, quote=cand.sentence, text=chunk.text,
                    date=chunk.date, publisher=chunk.publisher, page=chunk.page,
                    line_start=chunk.line_start, line_end=chunk.line_end,
                    copies=cand.passage.copies)


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


def _lead(citations: list[Citation]) -> str:
    if not citations:
        return ""
    titles = list(dict.fromkeys(c.title.split(":")[0].split("(")[0].strip() for c in citations))
    if len(titles) == 1:
        return f"Enligt {titles[0]}: "
    return "Enligt dokumenten: "


def _in_context(cand: Candidate) -> str:
    """A table row means little without its table's heading ("Hörapparat** 800 kr")."""
    sentence = _as_sentence(cand.sentence)
    chunk = cand.passage.chunk
    heading = row_heading(chunk.text, chunk.section, cand.sentence)
    if is_row(cand.sentence) and heading and heading.lower() not in sentence.lower():
        return f"{heading}: {sentence}"
    return sentence


def _as_sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":", "”", '"')) else f"{text}."


def _overlap(a: str, b: str) -> float:
    wa, wb = set(words(a)), set(words(b))
    return len(wa & wb) / max(1, min(len(wa), len(wb)))
