"""Building a course: the topic's key rules (merged and grouped, ISO rows apart), comparison,
quiz, passages and warnings in one `Course`.

Example:
    >>> course = build_course(RuleBase.load(), "delegering", ["Dalarna"])
    >>> len(course.groups), course.groups[0].section
    (2, 'Kompetens som krävs för att få förskrivningsrätt')
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Mapping, Sequence

from assistant.rules.engine import Rule, RuleBase
from assistant.training.compare import compare_regions
from assistant.training.passages import relevant_passages
from assistant.training.quiz import make_quiz
from assistant.training.topics import TOPICS, rules_for
from assistant.training.values import Course, IsoRow, KeyRule, RuleGroup
from assistant.training.wording import describe_conditions, drop_parenthetical, merge_notices

if TYPE_CHECKING:
    from assistant.retrieve import HybridRetriever


def key_rules(rules: Sequence[Rule], titles: Mapping[str, str], as_of: date
              ) -> tuple[list[RuleGroup], list[IsoRow]]:
    """Rules grouped by region and source section (duplicates merged); ISO rows apart."""
    iso_rows: list[IsoRow] = []
    merged: dict[tuple[str, str, str], KeyRule] = {}
    for rule in rules:
        if "iso_code" in rule.when:
            iso_rows.append(_iso_row(rule))
            continue
        statement = rule.answer or rule.then
        key = (rule.region, statement, rule.source.quote)
        if key in merged:
            old = merged[key]
            merged[key] = KeyRule(**{**old.__dict__, "rule_ids": (*old.rule_ids, rule.id)})
            continue
        merged[key] = KeyRule(
            rule_ids=(rule.id,), region=rule.region, statement=statement, verdict=rule.then,
            conditions=describe_conditions(rule.when), doc=rule.source.doc,
            doc_title=titles.get(rule.source.doc, rule.source.doc),
            section=rule.source.section, quote=rule.source.quote, validity=rule.validity,
            valid_now=rule.valid_on(as_of), warning=rule.warning)
    groups: dict[tuple[str, str], list[KeyRule]] = {}
    for item in merged.values():
        groups.setdefault((item.region, item.section), []).append(item)
    out = [RuleGroup(region, section, items[0].doc_title, tuple(items))
           for (region, section), items in groups.items()]
    iso_rows.sort(key=lambda r: (r.region, r.code, r.use))
    return out, iso_rows


def _iso_row(rule: Rule) -> IsoRow:
    product = rule.products[0] if rule.products else ""
    head, _, tail = rule.then.partition(" – ")
    return IsoRow(region=rule.region, code=str(rule.when["iso_code"]), product=product,
                  use=str(rule.when.get("use", "")), category=rule.category or head,
                  responsibility=drop_parenthetical(tail), verdict=rule.then,
                  quote=rule.source.quote, rule_id=rule.id, validity=rule.validity)


def build_course(rule_base: RuleBase, topic_key: str, regions: Sequence[str] = (),
                 retriever: HybridRetriever | None = None, as_of: date | None = None,
                 quiz_size: int = 5, seed: int = 0, passages: int = 5) -> Course:
    """Everything the trainer page shows for one topic and some regions."""
    if topic_key not in TOPICS:
        raise ValueError(f"Okänt ämne {topic_key!r}; välj ett av: {', '.join(TOPICS)}.")
    as_of = as_of or date.today()
    titles = _titles(retriever)
    rules = rules_for(rule_base, topic_key, regions)
    course = Course(topic=TOPICS[topic_key], regions=tuple(regions), as_of=as_of)
    course.groups, course.iso_rows = key_rules(rules, titles, as_of)
    iso_rules = [r for r in rules if "iso_code" in r.when]
    if iso_rules:
        src = iso_rules[0].source
        course.iso_source = f"{titles.get(src.doc, src.doc)} – {src.section}"
    course.comparison = compare_regions(rule_base, topic_key, regions, as_of, titles)
    course.quiz = make_quiz(rules, topic_key, titles, quiz_size, seed)
    if retriever is not None and passages:
        course.passages = relevant_passages(retriever, topic_key, regions, passages)
    # Many rules of one document carry the same notice in small variations: one line each.
    course.warnings = merge_notices(r.warning for r in rules if r.warning)
    if not rules:
        course.warnings.insert(0, "Regelbasen har inga regler i detta ämne för de valda "
                                  "regionerna; se de relevanta textavsnitten nedan.")
    return course


def _titles(retriever: HybridRetriever | None) -> dict[str, str]:
    """Document titles for citations: from the index, else from the bundled manifest."""
    if retriever is not None:
        return {c.doc: c.title for c in retriever.chunks if c.title}
    from core.settings import PROJECT_ROOT
    from ingest.load import LoadError, read_manifest

    try:
        return {doc: meta.title for doc, meta in read_manifest(PROJECT_ROOT / "corpus").items()
                if meta.title}
    except LoadError:
        return {}
