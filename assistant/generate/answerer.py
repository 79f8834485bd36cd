"""Generative answers: the model proposes claims, code verifies them and builds the answer.

`GenerativeAnswerer` has the contract of `assistant.answer.ExtractiveAnswerer`
(`run(query, passages) -> Answer`) and a streaming variant. Refusal stays in code: the
extractive answerer runs first (region without documents, unknown terms, too little coverage)
and the model is only asked when it would answer. The model sees the top passages (trimmed), as
delimited data; its JSON claims are verified (see grounding); the answer text is built from the
surviving claims with [n] markers and citations made exactly as the extractive answerer makes
them. If no claim survives, or the model fails, the extractive answer is returned with a note.

Usage (needs a retriever over the built index and a chat model, so not a doctest):

    gen = GenerativeAnswerer(ExtractiveAnswerer(retriever, settings), chat_model)
    answer = gen.run(query, passages)
    answer.answer_mode, answer.claims, answer.unsupported_claims   # 'generative', proposed, dropped
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import replace
from typing import Any, Iterator

from assistant.answer import (
    Candidate,
    ExtractiveAnswerer,
    _as_sentence,
    citation_for,
    source_warnings,
)
from assistant.generate.grounding import Verification, parse_output, verify
from assistant.generate.prompt import PROMPT_VERSION, build_messages
from assistant.query import Query
from assistant.text import GENERIC, STOPWORDS, words
from core.values import Answer, Citation, Passage

# Short prompts: on a small CPU the local 1.5B model reads its prompt slowly.
MAX_PASSAGES = 3
PASSAGE_CHARS = 500
FALLBACK_NOTE = ("Modellens svar kunde inte beläggas ordagrant i dokumenten; "
                 "svaret visar i stället utdrag ur källorna.")
FAILED_NOTE = "Språkmodellen kunde inte svara ({error}); svaret visar utdrag ur källorna."

log = logging.getLogger(__name__)

# A claim's "text" value, complete (closing quote seen), in the raw JSON stream.
_TEXT_VALUE = re.compile(r'"text"\s*:\s*"((?:[^"\\]|\\.)*)"')


class GenerativeAnswerer:
    """Asks a chat model for claims over the top passages and keeps only verified ones."""

    def __init__(self, extractive: ExtractiveAnswerer, model: Any,
                 max_passages: int = MAX_PASSAGES, passage_chars: int = PASSAGE_CHARS,
                 prompt_version: str = PROMPT_VERSION) -> None:
        self.extractive = extractive
        self.model = model
        self.max_passages = max_passages
        self.passage_chars = passage_chars
        self.prompt_version = prompt_version

    def run(self, query: Query, passages: list[Passage]) -> Answer:
        answer = None
        for item in self.stream(query, passages):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def stream(self, query: Query, passages: list[Passage]) -> Iterator[str | Answer]:
        """Yield text pieces as claims arrive (a draft), then the final verified Answer last."""
        base = self.extractive.run(query, passages)
        if base.refused:
            yield base
            return
        shown = base.passages[: self.max_passages]  # region-scoped, in rank order
        messages = build_messages(query, shown, self.passage_chars, self.prompt_version)
        topic = self._topic(query)
        timings: dict[str, float] = {}
        raw = ""
        sent = 0
        t0 = time.perf_counter()
        try:
            for chunk in self.model.stream(messages):
                piece = _content(chunk)
                if not piece:
                    continue
                if "first_token" not in timings:
                    timings["first_token"] = (time.perf_counter() - t0) * 1000
                raw += piece
                texts = _TEXT_VALUE.findall(raw)
                for value in texts[sent:]:
                    yield _unescape(value) + " "
                sent = len(texts)
        except Exception as exc:  # noqa: BLE001 - any backend failure falls back, never a traceback
            # Output cut off (length limit, dropped connection) still keeps its complete claims.
            verification = verify(parse_output(raw), shown, topic)
            timings["generate"] = (time.perf_counter() - t0) * 1000
            if not verification.claims:
                yield self._fallback(base, verification, timings,
                                     FAILED_NOTE.format(error=type(exc).__name__))
                return
            yield self._compose(query, base, verification, timings)
            return
        verification = verify(parse_output(raw), shown, topic)
        timings["generate"] = (time.perf_counter() - t0) * 1000
        for text, reason in verification.dropped:
            log.info("claim dropped (%s): %s", reason, text)
        if not verification.claims:
            yield self._fallback(base, verification, timings, FALLBACK_NOTE)
            return
        yield self._compose(query, base, verification, timings)

    def _topic(self, query: Query) -> list[str]:
        """The question's content words (not stop words or generic domain words)."""
        source = query.text if query.english else f"{query.question} {query.context}"
        # A region's name is in every passage of that region: it says nothing about the topic.
        regions = {w[:5] for r in query.regions for w in words(r)}
        return [w for w in words(source) if w not in STOPWORDS and w not in GENERIC
                and len(w) >= 4 and w[:5] not in regions]

    def _compose(self, query: Query, base: Answer, verification: Verification,
                 timings: dict[str, float]) -> Answer:
        numbers: dict[str, int] = {}
        citations: list[Citation] = []
        parts: list[str] = []
        for claim in verification.claims:
            chunk = claim.passage.chunk
            if chunk.id not in numbers:
                numbers[chunk.id] = len(numbers) + 1
                citations.append(citation_for(numbers[chunk.id],
                                              Candidate(claim.quote, claim.passage, 0.0)))
            parts.append(f"{_as_sentence(claim.text)} [{numbers[chunk.id]}]")
        text = " ".join(parts)
        return Answer(question=query.question, text=text, citations=citations,
                      warnings=source_warnings(citations), timings_ms=timings,
                      passages=base.passages, query=base.query, region=base.region,
                      claims=verification.proposed,
                      unsupported_claims=verification.proposed - len(verification.claims),
                      answer_mode="generative")

    @staticmethod
    def _fallback(base: Answer, verification: Verification, timings: dict[str, float],
                  note: str) -> Answer:
        return replace(base, warnings=[note, *base.warnings], timings_ms=timings,
                       claims=verification.proposed,
                       unsupported_claims=verification.proposed - len(verification.claims),
                       answer_mode="extractive")


def _content(chunk: Any) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return content if isinstance(content, str) else ""


def _unescape(value: str) -> str:
    try:
        return json.loads(f'"{value}"')
    except json.JSONDecodeError:
        return value

