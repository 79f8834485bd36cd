"""Course material for trainers: the rules of a topic, the passages behind them, a comparison
across regions and a short quiz, exported as Markdown or PDF.

Everything decisive comes from the rule base (`assistant/rules/`), so the material says what the
checker enforces, with each rule's verbatim source quote and validity; passages come from the
retriever. Long enumerations (Norrbotten's ISO rows, Kronoberg's fee table) become compact
tables instead of bullets.

Modules, one job each:
    topics    the topic table (`TOPICS`) and which rules belong to a topic
    values    the material's dataclasses (`KeyRule`, `IsoRow`, `QuizItem`, `Course`, ...)
    wording   Swedish words: rule conditions, conclusions and notices, each said once
    compare   a topic's scenarios decided per region
    quiz      quiz questions, alternatives and answers from rules; checking an answer
    passages  the retriever's passages for a topic
    course    `build_course`: everything above for one topic and some regions
    export    `to_markdown`, `to_pdf`
    pdf       the PDF layout: table of contents, headings, ragged-right text

Example:
    >>> from assistant.rules.engine import RuleBase
    >>> from assistant.training import build_course, to_markdown
    >>> course = build_course(RuleBase.load(), "gränsdragning", ["Norrbotten", "Kronoberg"])
    >>> len(course.iso_rows) > 50, course.comparison[0].situation
    (True, 'Barn under 18 år')
    >>> md = to_markdown(course)            # str; to_pdf(course) -> bytes
"""

from __future__ import annotations

from assistant.training.compare import compare_regions
from assistant.training.course import build_course, key_rules
from assistant.training.export import PdfUnavailable, to_markdown, to_pdf, unicode_font
from assistant.training.passages import relevant_passages
from assistant.training.quiz import (
    MAX_CHOICES,
    check_answer,
    make_quiz,
    quiz_answer,
    quiz_question,
    score,
    short_answer,
)
from assistant.training.topics import (
    NATIONAL,
    TOPICS,
    Scenario,
    Topic,
    course_regions,
    rules_for,
    topic_regions,
)
from assistant.training.values import (
    TABLE_FROM,
    ComparisonRow,
    Course,
    IsoRow,
    KeyRule,
    PassageRef,
    QuizItem,
    RuleGroup,
)
from assistant.training.wording import describe_conditions, distinct, join_segments, merge_notices

__all__ = [
    "MAX_CHOICES", "NATIONAL", "TABLE_FROM", "TOPICS",
    "ComparisonRow", "Course", "IsoRow", "KeyRule", "PassageRef", "PdfUnavailable", "QuizItem",
    "RuleGroup", "Scenario", "Topic",
    "build_course", "check_answer", "compare_regions", "course_regions", "describe_conditions",
    "distinct", "join_segments", "key_rules", "make_quiz", "merge_notices", "quiz_answer",
    "quiz_question", "relevant_passages", "rules_for", "score", "short_answer", "to_markdown",
    "to_pdf", "topic_regions", "unicode_font",
]
