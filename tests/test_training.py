"""Course material from the real rule base and the real retriever: key rules (deduplicated, ISO
rows as a table), regional comparison, a deterministic quiz, Markdown and PDF export."""

from __future__ import annotations

import io
import re

import pytest

from assistant.rules.engine import RuleBase
from assistant.training import (
    NATIONAL,
    TOPICS,
    build_course,
    describe_conditions,
    key_rules,
    make_quiz,
    quiz_answer,
    quiz_question,
    relevant_passages,
    rules_for,
    short_answer,
    to_markdown,
    to_pdf,
    topic_regions,
    unicode_font,
)


@pytest.fixture(scope="module")
def rule_base() -> RuleBase:
    return RuleBase.load()


@pytest.fixture(scope="module")
def retriever(bundled_index):
    from assistant.pipeline import Assistant

    settings, _ = bundled_index
    return Assistant.from_settings(settings, build_if_missing=False).retriever


def test_every_topic_maps_to_rules_of_the_rule_base(rule_base):
    assert list(TOPICS) == ["gränsdragning", "förskrivningsrätt", "delegering", "vaccination",
                            "avgifter"]
    for key in TOPICS:
        assert rules_for(rule_base, key), key
    assert topic_regions(rule_base, "gränsdragning") == ["Kronoberg", "Norrbotten"]
    assert topic_regions(rule_base, "vaccination") == []  # national rules only
    assert {r.topic for r in rules_for(rule_base, "avgifter")} == {"fees"}


def test_region_filter_keeps_national_rules(rule_base):
    dalarna = rules_for(rule_base, "delegering", ["Dalarna"])
    assert {r.region for r in dalarna} == {"Dalarna", NATIONAL}
    assert all(r.region in {"Norrbotten", NATIONAL} for r in
               rules_for(rule_base, "gränsdragning", ["norrbotten"]))


def test_key_rules_merge_duplicates_and_put_iso_rows_in_a_table(rule_base):
    from datetime import date

    rules = rules_for(rule_base, "gränsdragning", ["Norrbotten"])
    groups, iso_rows = key_rules(rules, {}, date(2026, 1, 1))
    iso_rules = [r for r in rules if "iso_code" in r.when]
    assert len(iso_rows) == len(iso_rules) > 80
    assert {r.category for r in iso_rows} == {"hembesök krävs", "hembesök rekommenderas",
                                              "vårdcentral i första hand"}
    assert all(r.responsibility and "ansvar" in r.responsibility for r in iso_rows)
    in_groups = [k for g in groups for k in g.rules]
    assert not any(rid.startswith("norrbotten.boundary.iso.") for k in in_groups
                   for rid in k.rule_ids)
    # The principles stay bullets, with their citation and validity.
    assert all(not g.as_table for g in groups)
    assert all(k.quote and k.section and k.validity.startswith("2013-02-01") for k in in_groups)

    fees, _ = key_rules(rules_for(rule_base, "avgifter"), {}, date(2026, 1, 1))
    merged = [k for g in fees for k in g.rules if len(k.rule_ids) > 1]
    # Patient fee and no-show fee of one row share statement and quote: one entry.
    assert merged and all(len(set(k.rule_ids)) == len(k.rule_ids) for k in merged)
    assert all(not k.valid_now for g in fees for k in g.rules)  # the 2025 fees have expired


def test_describe_conditions_in_swedish():
    assert describe_conditions({"region": "X", "age": {"lt": 18}, "home_care": False}) == \
        "under 18 år, utan hemsjukvård"
    assert describe_conditions({"age": {"gte": 18, "lte": 26}}) == "18–26 år"
    assert describe_conditions({"product_area": {"in": ["syn", "hörsel", "andning"]}}) == \
        "inom syn, hörsel eller andning"
    assert describe_conditions({"fee_item": {"in": ["hörapparat", "hörapparater"]}}) == \
        "hörapparat"
    assert short_answer("hembesök krävs – kommunens ansvar") == "hembesök krävs"
    assert short_answer("landstingets (regionens) ansvar – förskrivs av …") == \
        "landstingets (regionens) ansvar"


def test_quiz_questions_come_from_rule_facts(rule_base):
    rollator = rule_base.get("norrbotten.boundary.iso.120606.utomhus")
    assert quiz_question(rollator, "gränsdragning") == \
        "Vem ansvarar för rollator (ISO 120606) för utomhusbruk i Norrbotten?"
    assert quiz_answer(rollator) == \
        "vårdcentral i första hand – i huvudsak landstingets (regionens) ansvar"
    delegation = rule_base.get("nationell.delegation.giltighet.over_ett_ar")
    assert quiz_question(delegation, "delegering") == \
        "Får ett delegeringsbeslut gälla över 12 månader?"
    hpv = rule_base.get("nationell.vaccination.hpv.fran_nov2025.specialist.vuxna_18_26")
    assert quiz_question(hpv, "vaccination") == ("Får en specialistsjuksköterska ordinera "
                                                 "HPV-vaccin till personer 18–26 år "
                                                 "(från 2025-11-01)?")


def test_quiz_is_deterministic_per_seed_and_answers_are_the_rules(rule_base):
    rules = rules_for(rule_base, "gränsdragning", ["Norrbotten", "Kronoberg"])
    first = make_quiz(rules, "gränsdragning", {}, size=6, seed=3)
    assert first == make_quiz(rules, "gränsdragning", {}, size=6, seed=3)
    assert len(first) == 6 and len({q.question for q in first}) == 6
    others = [make_quiz(rules, "gränsdragning", {}, size=6, seed=s) for s in range(4, 8)]
    assert any([q.question for q in o] != [q.question for q in first] for o in others)
    by_id = {r.id: r for r in rules}
    for q in first:
        rule = by_id[q.rule_id]
        assert q.answer == quiz_answer(rule) and q.quote == rule.source.quote
        assert not q.choices or q.answer in q.choices
    # Both regions are asked about.
    assert {by_id[q.rule_id].region for q in first} == {"Norrbotten", "Kronoberg"}


def test_comparison_across_regions_uses_the_rule_engine(rule_base):
    course = build_course(rule_base, "gränsdragning", ["Norrbotten", "Kronoberg"])
    rows = {(c.situation, c.region): c for c in course.comparison}
    situations = [s.label for s in TOPICS["gränsdragning"].scenarios]
    assert {s for s, _ in rows} == set(situations)
    for region in ("Norrbotten", "Kronoberg"):
        child = rows[("Barn under 18 år", region)]
        assert "regionens" in child.verdict and child.quote and child.source
    rollator = situations[-1]
    # The 2013 ISO overview and Kronoberg's age rule give different answers: that is the point.
    assert rows[(rollator, "Norrbotten")].verdict.startswith("vårdcentral i första hand")
    assert rows[(rollator, "Kronoberg")].verdict.startswith("kommunens ansvar")
    assert build_course(rule_base, "avgifter", ["Kronoberg"]).comparison == []
    assert build_course(rule_base, "vaccination").comparison == []


@pytest.mark.slow
def test_passages_come_from_the_chosen_regions(rule_base, retriever):
    passages = relevant_passages(retriever, "gränsdragning", ["Norrbotten", "Kronoberg"], k=5)
    assert len(passages) == 5
    assert {r for p in passages for r in p.regions} <= {"Norrbotten", "Kronoberg"}
    assert {p.regions[0] for p in passages} == {"Norrbotten", "Kronoberg"}
    assert all(p.title and p.location and p.text for p in passages)
    fees = relevant_passages(retriever, "avgifter", ["Kronoberg"], k=3)
    assert any(re.search(r"\d+ kr", p.text) for p in fees)


@pytest.mark.slow
def test_markdown_export_holds_rules_table_comparison_passages_and_quiz(rule_base, retriever):
    course = build_course(rule_base, "gränsdragning", ["Norrbotten", "Kronoberg"],
                          retriever=retriever, seed=1)
    md = to_markdown(course)
    assert md.startswith("# Utbildning: Gränsdragning – Norrbotten, Kronoberg\n")
    for heading in ("## Nyckelregler", "## Jämförelse mellan regioner",
                    "## Relevanta textavsnitt", "## Quiz", "### Facit"):
        assert f"\n{heading}\n" in md
    iso_lines = [ln for ln in md.splitlines() if re.match(r"\| \d{4,6} \|", ln)]
    assert len(iso_lines) == len(course.iso_rows)
    # Document titles from the index, not file names, in the citations.
    assert "Policy- och samverkansdokument" in md
    for q in course.quiz:
        assert q.question.split("(")[0].strip() in md.replace("\\", "")


def test_pdf_export_keeps_swedish_letters(rule_base):
    if unicode_font() is None:
        pytest.skip("no DejaVuSans font (system or matplotlib) for the PDF export")
    from pypdf import PdfReader

    pdf = to_pdf(build_course(rule_base, "delegering", ["Dalarna", "Stockholm"]))
    assert pdf.startswith(b"%PDF-")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    assert "Utbildning: Delegering – Dalarna, Stockholm" in text
    assert "Jämförelse mellan regioner" in text and "Får ett delegeringsbeslut" in text
    assert "Vårdgivarguiden" in text  # titles from the manifest when no index is at hand


def test_unknown_topic_is_a_clear_error(rule_base):
    with pytest.raises(ValueError, match="Okänt ämne 'hörsel'"):
        build_course(rule_base, "hörsel")
