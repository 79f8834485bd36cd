"""The course material's values: key rules, ISO rows, passages, comparison rows, quiz items
and the `Course` that holds them.

Example:
    >>> from assistant.training.topics import TOPICS
    >>> course = Course(topic=TOPICS["avgifter"], regions=("Kronoberg",), as_of=date.today())
    >>> course.title
    'Avgifter – Kronoberg'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from assistant.training.topics import Topic
from assistant.training.wording import join_segments

# A group of rules from one section with more rules than this is shown as a table.
TABLE_FROM = 6


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

    @property
    def heading(self) -> str:
        """The passage's own heading: the last of its " > "-joined section path."""
        return self.section.split(" > ")[-1] if self.section else ""


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

    @property
    def conclusion(self) -> str:
        """The answer with the rule's reasoning, each part once ('0 kr (egenavgift)')."""
        return join_segments(self.answer, self.explanation)

    @property
    def is_open(self) -> bool:
        """True when the quiz offers no alternatives and the answer is written."""
        return len(self.choices) < 2


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
