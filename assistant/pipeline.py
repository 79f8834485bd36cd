"""The assistant: understand → retrieve → answer → (rules) → cite, behind one `ask` call.

The CLI, the batch runner, the evaluation and the Streamlit app all use this class, so they all
answer the same way.

Usage (needs the built index, so not a doctest; see tests/test_assistant.py):

    a = Assistant.from_settings(Settings.load())   # builds the index if it is missing
    ans = a.ask("Vem förskriver en utomhusrollator i Norrbotten?")
    ans.refused                # False
    ans.citations[0].doc       # 'norrbotten-policy-hjalpmedelsforskrivning-2013.txt'

`settings.answer_mode` (or `answer_mode=` per call) picks the answerer: "extractive" (default,
verbatim sentences) or "generative" (a chat model proposes claims, code verifies them; see
assistant/generate). Refusal is decided in code before any model is asked, and the rule checker
has the last word in both modes.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from assistant.answer import ExtractiveAnswerer
from assistant.frame import (
    answered_only_by,
    frame_rule_topics,
    lead_decisions,
    never_answered_by,
)
from assistant.generate.local_server import BackendUnavailable
from assistant.privacy import mask_identifiers, masked_notice
from assistant.provenance import mark_citations, unreviewed_docs, unreviewed_warning
from assistant.query import readable_question, understand
from assistant.retrieve import HybridRetriever
from assistant.rules.check import CheckResult, RuleChecker, apply_to_answer
from assistant.rules.engine import RuleBase, files_a_product
from assistant.text import glossary_expansion, spell_out, stem
from core.embeddings import make_embeddings
from core.settings import AnswerMode, RetrievalMode, Settings
from core.store import IndexNotWritable, chroma_client, fresh_chroma_client, open_store
from core.text import split_sentences
from core.values import Answer, Turn

if TYPE_CHECKING:
    from ingest.pipeline import IngestControl

log = logging.getLogger(__name__)

@dataclass
class AnswerStream:
    """Text pieces of an answer as they come; `answer` holds the final, verified Answer.

    Iterate it to show the text while it is produced, then render `answer` (sources, badge):

        stream = assistant.ask_stream("Vem förskriver en utomhusrollator i Norrbotten?")
        text = "".join(stream)
        stream.answer.citations[0].n   # 1

    The streamed text is a draft: for generative answers the final `answer.text` may differ
    (unsupported claims dropped, a rule correction applied), so the UI must replace the draft.
    """

    pieces: Iterator[str] = field(default_factory=lambda: iter(()))
    answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self.pieces


@dataclass(frozen=True)
class IndexStatus:
    documents: int
    chunks: int
    last_ingest: str | None


class Assistant:
    """Answers questions over the indexed corpus with citations."""

    def __init__(self, settings: Settings, embeddings: Any, client: Any,
                 chat_model: Any = None) -> None:
        self.settings = settings
        # Generative mode: the chat model is made on first use (a local server takes seconds).
        self.chat_model = chat_model
        self.checker = RuleChecker(RuleBase.load()) if settings.rules_enabled else None
        self._rulebase: RuleBase | None = None  # rules switched off: loaded when first asked
        self.embeddings = embeddings
        self.client = client
        self.store = open_store(settings, embeddings, client)
        self._reload_lock = threading.Lock()
        self.reload()

    @classmethod
    def from_settings(cls, settings: Settings | None = None,
                      build_if_missing: bool = True, chat_model: Any = None) -> Assistant:
        from ingest.index import check_model

        settings = settings or Settings.load()
        check_model(settings)  # before the model loads: a mismatch is said at once
        embeddings = make_embeddings(settings)
        client = chroma_client(settings)
        assistant = cls(settings, embeddings, client, chat_model=chat_model)
        if build_if_missing and not assistant.retriever.chunks:
            assistant.ingest()
        return assistant

    def reload(self) -> None:
        """Rebuild the in-memory BM25 index from the store (after an ingest)."""
        from ingest.index import check_model, read_version

        # Read before the store: a change made meanwhile is noticed by the next question.
        version = read_version(self.settings)
        # Before index_version is kept: an index rebuilt with another model is refused at
        # every question, not once.
        check_model(self.settings, version)
        self.index_version = version
        self.retriever = HybridRetriever.from_store(self.store, self.settings)
        self.answerer = ExtractiveAnswerer(self.retriever, self.settings)
        self.known_regions = self.retriever.regions
        self.unreviewed = unreviewed_docs(self.retriever.chunks)
        self._generative: Any = None

    def follow_index(self) -> bool:
        """Reload when another process (a CLI ingest) changed the index since it was loaded;
        True if it did. Costs one small file read when nothing changed."""
        from ingest.index import read_version, written_here

        if read_version(self.settings) == self.index_version:
            return False
        with self._reload_lock:  # many sessions may notice at once; one reloads
            version = read_version(self.settings)
            if version == self.index_version:
                return False
            if not written_here(version):
                # A new client: the embedded one would not see the other process's vectors.
                self.client = fresh_chroma_client(self.settings, self.client)
                self.store = open_store(self.settings, self.embeddings, self.client)
            self.reload()
        log.info("Index changed since it was loaded; reloaded")
        return True

    def generative_answerer(self) -> Any:
        """The GenerativeAnswerer (made on first use); BackendUnavailable says what is missing."""
        if self._generative is None:
            from assistant.generate.answerer import GenerativeAnswerer
            from assistant.generate.backends import make_chat_model
            from assistant.generate.prompt import ANSWER_SCHEMA

            if self.chat_model is None:
                self.chat_model = make_chat_model(self.settings, ANSWER_SCHEMA)
            self._generative = GenerativeAnswerer(self.answerer, self.chat_model)
        return self._generative

    def ingest(self, paths: Sequence[Any] | None = None, progress: bool = True,
               max_chunks: int | None = None,
               control: IngestControl | None = None) -> Any:
        """Ingest (see ingest.pipeline.ingest; `control` follows and may cancel the run) and
        reload. A cancelled run raises IngestCancelled before it wrote anything."""
        from ingest.index import Indexer
        from ingest.pipeline import ingest

        indexer = Indexer(self.settings, embeddings=self.embeddings, client=self.client)
        try:
            report = ingest(self.settings, paths, progress=progress, indexer=indexer,
                            max_chunks=max_chunks, control=control)
        except IndexNotWritable as exc:
            if exc.kind == "full":
                # chromadb's embedded core can hang on the next write after a full disk; a
                # fresh client starts it anew (and sees what the failed run left).
                self.client = fresh_chroma_client(self.settings, self.client)
                self.store = open_store(self.settings, self.embeddings, self.client)
            self.reload()
            raise
        self.reload()
        return report

    def regions(self) -> list[str]:
        return list(self.known_regions)

    @property
    def rulebase(self) -> RuleBase:
        """The rule base the checker decides with, for whatever else reads the rules (the
        training material): one loaded rule base, so both say the same. With the rules
        switched off it is loaded on first use."""
        if self.checker is not None:
            return self.checker.rulebase
        if self._rulebase is None:
            self._rulebase = RuleBase.load()
        return self._rulebase

    def status(self) -> IndexStatus:
        from ingest.index import read_state

        self.follow_index()
        docs = {c.doc for c in self.retriever.chunks}
        return IndexStatus(documents=len(docs), chunks=len(self.retriever.chunks),
                           last_ingest=read_state(self.settings).get("last_ingest"))

    def ask(self, question: str, history: Sequence[Turn] = (), region: str | None = None,
            retrieval_mode: str = RetrievalMode.HYBRID, as_of: date | None = None, *,
            answer_mode: str | None = None, given: Mapping[str, Any] | None = None) -> Answer:
        """Answer one question (with earlier turns for follow-ups), checked by the rules.
        `retrieval_mode`: hybrid | dense | bm25 (evals compare them); `given`: facts the user
        chose in answer to the rule checker's question back (`answer.rule_check.question`),
        e.g. `{"age": 17}`."""
        stream = self.ask_stream(question, history, region, retrieval_mode, as_of,
                                 answer_mode=answer_mode, given=given)
        for _ in stream:
            pass
        assert stream.answer is not None
        return stream.answer

    def ask_stream(self, question: str, history: Sequence[Turn] = (),
                   region: str | None = None, retrieval_mode: str = RetrievalMode.HYBRID,
                   as_of: date | None = None, *, answer_mode: str | None = None,
                   given: Mapping[str, Any] | None = None) -> AnswerStream:
        """Like `ask`, but the text comes in pieces; see AnswerStream.

        `answer_mode` overrides `settings.answer_mode` for this call ("extractive"|"generative").
        """
        self.follow_index()  # a CLI ingest may have changed the index since the last question
        try:
            answer_mode = AnswerMode.from_str(answer_mode or self.settings.answer_mode)
        except ValueError as exc:
            raise ValueError(f"Okänt svarsläge / unknown answer mode: {exc}") from None
        stream = AnswerStream()
        stream.pieces = self._pieces(stream, question, history, region,
                                     RetrievalMode.from_str(retrieval_mode), as_of,
                                     answer_mode, given)
        return stream

    def _pieces(self, stream: AnswerStream, question: str, history: Sequence[Turn],
                region: str | None, retrieval_mode: RetrievalMode, as_of: date | None,
                answer_mode: AnswerMode = AnswerMode.EXTRACTIVE,
                given: Mapping[str, Any] | None = None) -> Iterator[str]:
        # Before anything reads it: a lone surrogate or a NUL would break the embedding model,
        # and a question of only invisible characters is an empty one.
        question = readable_question(question or "").strip()
        if not question:
            stream.answer = Answer(question="", refused=True, warnings=["Frågan var tom."],
                                   text="Skriv en fråga om förskrivning av hjälpmedel.")
            yield stream.answer.text
            return
        warnings: list[str] = []
        # Identifiers never reach retrieval, a model, a log or the feedback store.
        masked = mask_identifiers(question)
        if masked.changed:
            question = masked.text
            warnings.append(masked_notice(masked.kinds))
        # Chat shorthand ("pat", "vc", "kan ja") is read written out by every stage.
        question = spell_out(question)
        history = [Turn(question=spell_out(mask_identifiers(readable_question(t.question)).text),
                        answer=readable_question(t.answer))
                   for t in history]
        limit = self.settings.max_question_chars
        if len(question) > limit:
            question = question[:limit]
            warnings.append(f"Frågan kortades till {limit} tecken.")
        generative = None  # made before the clock starts: a local server's first load is slow
        if answer_mode is AnswerMode.GENERATIVE:
            try:
                generative = self.generative_answerer()
            except BackendUnavailable as exc:
                # The question is still answered, from the documents, and the user is told why.
                warnings.append(f"Generativt läge är inte tillgängligt ({exc}); svaret visar "
                                "utdrag ur källorna.")
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        query = understand(question, history, region, self.known_regions,
                           self.answerer.abbreviations)
        # Retrieve more than the answer uses: region scoping filters, and evals rank @10.
        passages = self.retriever.retrieve(query, k=max(10, 2 * self.settings.top_k),
                                           retrieval_mode=retrieval_mode)
        frame = self.answerer.frame_for(query)
        clauses = [a.clause for a in frame.asks] if len(frame.asks) >= 2 else []
        if len(frame.items) >= 2:
            # Each thing priced has its own fee row ("hearing aid" by its corpus name).
            clauses += [" ".join([*item, *glossary_expansion(list(item))])
                        for item in frame.items]
        if clauses and retrieval_mode is not RetrievalMode.DENSE:
            # Each part's evidence is looked for too, not only the whole question's.
            passages += self.retriever.for_parts(query, clauses, passages)
        t1 = time.perf_counter()
        timings["retrieve"] = (t1 - t0) * 1000
        drafted = False
        if generative is None:
            answer = self.answerer.run(query, passages)
        else:
            answer = None
            for item in generative.stream(query, passages):
                if isinstance(item, Answer):
                    answer = item
                else:
                    drafted = True
                    yield item
            assert answer is not None
        # Before the rule check: it reads which citations come from unreviewed uploads.
        mark_citations(answer, self.unreviewed)
        t2 = time.perf_counter()
        # Model time is reported as "generate" (and "first_token"), not twice in "answer".
        timings["answer"] = (t2 - t1) * 1000 - answer.timings_ms.get("generate", 0.0)
        timings.update(answer.timings_ms)
        rule_date = None
        if self.checker is not None and (not answer.refused or answer.rule_may_answer):
            earlier = [t.question for t in history] if query.is_followup else []
            # A rule speaks only to the kind of question it decides: a survey question is not
            # "corrected" by a prescribing-rights rule, a definition by none.
            try:
                result = self.checker.check(question, "" if answer.refused else answer.text,
                                            earlier, query.region, as_of,
                                            allowed_topics=frame_rule_topics(
                                                frame, self.checker.rulebase.topics),
                                            given=given, lead=lead_decisions(frame),
                                            only=answered_only_by(frame),
                                            never=never_answered_by(frame))
                if answer.refused:
                    # Only a focus named after the asking words is a thing (not the
                    # whole question's words).
                    answer = _answered_by_rule(answer, result,
                                               frame.focus if frame.focus_from_cue else ())
            except Exception as exc:  # noqa: BLE001 - a rule fault must not cost the answer
                log.exception("rule check failed")
                answer.warnings.append(f"Regelkontrollen kunde inte köras ({type(exc).__name__}); "
                                       "svaret är inte kontrollerat mot regelbasen.")
            else:
                # A refusal no rule could take over (for want of a party) stays a plain
                # refusal: a general rule's verdict is not shown beside it.
                if not (answer.refused and answer.rule_must_file):
                    apply_to_answer(answer, result, self.retriever.chunks,
                                    english=query.english)
                rule_date = result.facts.facts.get("date")
            timings["rules"] = (time.perf_counter() - t2) * 1000
        answer.timings_ms = timings
        if query.set_aside:
            warnings.append(f"Frågan gäller Region {query.region}, så svaret bygger på dess "
                            f"dokument och inte på Region {query.set_aside} som är vald i "
                            "sidopanelen.")
        answer.warnings = warnings + answer.warnings
        if (trust := unreviewed_warning(answer)) is not None:
            answer.warnings.append(trust)
        answer.as_of = str(rule_date or as_of or date.today())
        if not answer.conclusion:
            answer.conclusion = _first_sentence(answer.text)
        stream.answer = answer
        if drafted:
            return  # the draft went out as the model wrote it; the UI now shows answer.text
        # The extractive answer is complete at once; hand it out word by word for the chat.
        yield from _words(answer.text)


def _answered_by_rule(refusal: Answer, result: CheckResult,
                      focus: Sequence[str] = ()) -> Answer:
    """A refusal for want of the region's or the age's own passages becomes the answer of the
    rule that decides the case (its conclusion, cited to its source); otherwise it stands.
    One for want of a party needs a rule that files the thing, and the thing read for it must
    be the whole focus ("en rullstol med ståfunktion" is not filed as any rullstol)."""
    if result.rule is None or result.rule_check.status != "corrected":
        return refusal
    if refusal.rule_must_file:
        product = str(result.facts.facts.get("product") or "").lower()
        if not files_a_product(result.rule) or not all(
                stem(w)[:5] in product for w in focus if len(w) >= 5):
            return refusal
    # The refusal's reason and the passage it cited were about the missing evidence.
    return replace(refusal, text="", citations=[], refused=False, rule_may_answer=False,
                   rule_must_file=False,
                   warnings=[])


def _first_sentence(text: str) -> str:
    """The text's opening sentence, verbatim (a prefix of the text, so that the chat can set
    it apart), or its first line when that is shorter (a lead before a list)."""
    first = text.split("\n", 1)[0]
    sentences = split_sentences(first)
    lead = sentences[0] if sentences else first
    return lead if text.startswith(lead) else ""


def _words(text: str) -> Iterator[str]:
    words = text.split(" ")
    for i, word in enumerate(words):
        yield word if i == len(words) - 1 else word + " "
