"""The small typed values that cross stage boundaries (ingest → retrieve → answer → app/evals).

Every stage hands the next one of these; the CLI's JSON and the Streamlit app read the same
values, so there is one definition of what an answer is.

Example:
    >>> c = Chunk(id="ab12", doc="x.txt", text="Rollator ...", title="X", section="Bilaga",
    ...           regions=("Norrbotten",), date="2013-02-01", doc_type="policy",
    ...           line_start=10, line_end=12)
    >>> Passage(chunk=c, rank=1, fused=0.05).chunk.doc
    'x.txt'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal, Mapping

RuleStatus = Literal["verified", "corrected", "conflict", "not_checkable"]


# What every refusal begins with: the answer, the rule checker and the UI all say it so.
REFUSAL = "Det framgår inte av dokumenten."


@dataclass(frozen=True)
class Chunk:
    """A piece of one document, the unit that is embedded, indexed and cited."""

    id: str  # content hash (doc + text), stable across runs
    doc: str  # corpus file name
    text: str
    title: str = ""
    section: str = ""  # heading path, " > "-joined
    regions: tuple[str, ...] = ()
    date: str | None = None
    doc_type: str = ""
    publisher: str = ""
    page: int | None = None  # 1-based, PDFs only
    line_start: int | None = None  # 1-based, in the source file (text) or page (PDF)
    line_end: int | None = None
    regions_inferred: bool = False  # regions read from the text, not declared (ingest.infer)
    # Provenance: a bundled or editor-reviewed document is trusted; an upload is not until an
    # editor marks it reviewed (assistant.library). The rule checker never verifies on it.
    reviewed: bool = True

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for a vector store (scalars only; regions joined by '|')."""
        meta: dict[str, Any] = {
            "chunk_id": self.id,
            "doc": self.doc,
            "title": self.title,
            "section": self.section,
            "regions": "|".join(self.regions),
            "date": self.date or "",
            "doc_type": self.doc_type,
            "publisher": self.publisher,
        }
        for key in ("page", "line_start", "line_end"):
            value = getattr(self, key)
            if value is not None:
                meta[key] = value
        if self.regions_inferred:  # only then, so declared chunks keep their stored metadata
            meta["regions_inferred"] = True
        if not self.reviewed:  # likewise: trusted chunks keep the metadata they had
            meta["unreviewed"] = True
        return meta

    @classmethod
    def from_metadata(cls, text: str, meta: dict[str, Any]) -> Chunk:
        """Inverse of :meth:`metadata`."""
        regions = tuple(r for r in str(meta.get("regions", "")).split("|") if r)
        return cls(
            id=str(meta.get("chunk_id", "")),
            doc=str(meta.get("doc", "")),
            text=text,
            title=str(meta.get("title", "")),
            section=str(meta.get("section", "")),
            regions=regions,
            date=(str(meta["date"]) or None) if meta.get("date") else None,
            doc_type=str(meta.get("doc_type", "")),
            publisher=str(meta.get("publisher", "")),
            page=_opt_int(meta.get("page")),
            line_start=_opt_int(meta.get("line_start")),
            line_end=_opt_int(meta.get("line_end")),
            regions_inferred=bool(meta.get("regions_inferred", False)),
            reviewed=not meta.get("unreviewed", False),
        )

    @property
    def location(self) -> str:
        """Human-readable place in the document: 'sida 3, rad 10–14' or 'rad 10–14'."""
        parts = []
        if self.page is not None:
            parts.append(f"sida {self.page}")
        if self.line_start is not None:
            end = self.line_end if self.line_end is not None else self.line_start
            parts.append(f"rad {self.line_start}–{end}" if end != self.line_start
                         else f"rad {self.line_start}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with its scores and rank (1-based)."""

    chunk: Chunk
    rank: int
    fused: float = 0.0
    dense: float | None = None  # cosine similarity, when the dense retriever found it
    sparse: float | None = None  # BM25 score, when the sparse retriever found it
    dense_rank: int | None = None
    sparse_rank: int | None = None
    copies: int = 1  # documents holding this same text; `chunk` is the copy cited


@dataclass(frozen=True)
class Citation:
    """A numbered source under an answer; `quote` stands verbatim in `text`."""

    n: int
    doc: str
    title: str
    section: str
    location: str
    quote: str
    text: str
    date: str | None = None
    publisher: str = ""
    page: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    copies: int = 1  # documents holding this passage or a near-copy (assistant.copies)
    reviewed: bool = True  # False: an upload no editor has reviewed yet ("ogranskat dokument")
    # The chunk the passage was cut from (Chunk.id), so the app can open exactly that passage;
    # None when the passage is not in the index (a rule's quote whose chunk was not found).
    chunk_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FactOption:
    """One answer to the rule checker's question back and what the rules then decide."""

    value: Any  # the fact's value to re-ask with (True, "särskilt boende", 17)
    label: str  # how the choice reads ("Ja", "särskilt boende", "under 18 år")
    outcome: str  # the verdict in a few words ("kommunen", "ja", "200 kr")
    rule_id: str | None = None


@dataclass(frozen=True)
class FactQuestion:
    """A fact the question leaves out that changes the verdict: the question and its choices
    (assistant.rules.branches). The chat re-asks with `{fact: option.value}`."""

    fact: str
    question: str  # "Har patienten hemsjukvård?"
    options: tuple[FactOption, ...]
    unit: str = ""  # an integer fact's unit ("år"): the chat also offers a number input


@dataclass(frozen=True)
class RuleCheck:
    """The rule checker's verdict on an answer (filled in by assistant/rules/check.py)."""

    status: RuleStatus = "not_checkable"
    verdict: str | None = None
    rule_id: str | None = None
    citation: dict[str, str] | None = None
    explanation: str = ""  # `reason` and `trace` in one line (the CLI's and the JSON's)
    missing_facts: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    reason: str = ""  # why this status, in one plain Swedish sentence (no rule ids)
    # The facts read and the rules tried, one step each, in order; a reader shows them as a
    # chain without taking `explanation` apart.
    trace: tuple[str, ...] = ()
    question: FactQuestion | None = None  # the missing fact that would change the verdict
    given: dict[str, Any] = field(default_factory=dict)  # facts the user chose, not extracted

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["missing_facts"] = list(self.missing_facts)
        data["warnings"] = list(self.warnings)
        data["trace"] = list(self.trace)
        if self.question is not None:
            data["question"]["options"] = [asdict(o) for o in self.question.options]
        return data


@dataclass(frozen=True)
class Turn:
    """One earlier question and its answer, for follow-ups."""

    question: str
    answer: str = ""


@dataclass
class Answer:
    """What the assistant replies: text with [n] markers and the citations they point to."""

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    rule_check: RuleCheck = field(default_factory=RuleCheck)
    warnings: list[str] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)  # what retrieval returned, for evals
    query: str = ""  # the retrieval query actually used (after follow-up expansion)
    region: str | None = None  # the region the answer was scoped to, if any
    claims: int = 0  # generative: claims the model proposed
    unsupported_claims: int = 0  # generative: claims dropped by verification
    answer_mode: str = "extractive"  # how this answer was made: extractive | generative
    conclusion: str = ""  # the text's first sentence: what the answer concludes
    as_of: str | None = None  # the date (ISO) the rules were applied for
    # A refusal for want of the region's or the age's own passages, which a rule of the
    # rule base that decides the case may answer instead (see Assistant.ask).
    rule_may_answer: bool = False
    # ... and then only a rule that files the thing asked about (its product, area or ISO
    # row), not a general one: the passages on the thing name no party.
    rule_must_file: bool = False

    def to_json(self) -> dict[str, Any]:
        """The batch contract of evals/README: id is added by the caller."""
        return {
            "question": self.question,
            "answer": self.text,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "rule_check": self.rule_check.to_json(),
            "warnings": list(self.warnings),
            "region": self.region,
            # first_token is a point inside "generate", not a stage of its own.
            "latency_ms": round(sum(v for k, v in self.timings_ms.items()
                                    if k != "first_token"), 1),
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "answer_mode": self.answer_mode,
            "conclusion": self.conclusion,
            "as_of": self.as_of,
            "claims": self.claims,
            "unsupported_claims": self.unsupported_claims,
        }


def answer_record(answer: Answer) -> dict[str, Any]:
    """Everything needed to draw the answer again (a saved conversation), as JSON-safe data;
    the retrieved passages are left out (they are for evals, and large)."""
    # The passages are left out before the deep copy, not copied and then dropped.
    data = asdict(replace(answer, passages=[]))
    del data["passages"]
    return data


def answer_from_record(data: Mapping[str, Any]) -> Answer:
    """The inverse of `answer_record`; unknown keys are ignored (records outlive versions)."""
    rule = dict(data.get("rule_check") or {})
    question = rule.pop("question", None)
    if question:
        question = FactQuestion(
            fact=question["fact"], question=question["question"], unit=question.get("unit", ""),
            options=tuple(FactOption(**o) for o in question.get("options", ())))
    rule_fields = {f.name for f in fields(RuleCheck)}
    rule_check = RuleCheck(**{k: tuple(v) if k in ("missing_facts", "warnings", "trace") else v
                              for k, v in rule.items() if k in rule_fields}, question=question)
    citation_fields = {f.name for f in fields(Citation)}
    citations = [Citation(**{k: v for k, v in c.items() if k in citation_fields})
                 for c in data.get("citations", ())]
    answer_fields = {f.name for f in fields(Answer)} - {"rule_check", "citations", "passages"}
    return Answer(**{k: v for k, v in data.items() if k in answer_fields},
                  citations=citations, rule_check=rule_check)


def _opt_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)
