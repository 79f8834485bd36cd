"""Course material from the real rule base and the real retriever: key rules (deduplicated, ISO
rows as a table), conditions, conclusions and notices each said once, regional comparison, a
deterministic quiz with alternatives and answer checking, Markdown and PDF export."""

from __future__ import annotations

import io
import re

import pytest

from assistant.rules.engine import RuleBase
from assistant.training import (
    NATIONAL,
    TOPICS,
    QuizItem,
    build_course,
    check_answer,
    course_regions,
    describe_conditions,
    distinct,
    join_segments,
    key_rules,
    make_quiz,
    merge_notices,
    quiz_answer,
    quiz_question,
    relevant_passages,
    rules_for,
    score,
    short_answer,
    to_markdown,
    to_pdf,
    topic_regions,
    unicode_font,
)
from assistant.training.pdf import TOC_TITLE, outline
from assistant.training.wording import drop_parenthetical


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


def test_course_regions_are_those_with_rules_or_indexed_documents(rule_base):
    regions = course_regions(rule_base, ["Gotland"])
    assert {"Norrbotten", "Dalarna", "Gotland"} <= set(regions)
    assert NATIONAL not in regions and regions == sorted(regions)


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
    assert all(p.heading == (p.section.split(" > ")[-1] if p.section else "") for p in passages)
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


# --------------------------------------------------------------------------- said once

_COMPARATIVES = {"äldre", "yngre", "högre", "lägre", "senare", "tidigare", "mer", "mindre"}


def _repeated_items(text: str) -> list[str]:
    """Items of a description ('a, b eller c') that name the same thing twice."""
    items = [re.sub(r"^(inom|i|för|hos|anställd av) ", "", item.strip().casefold())
             for item in re.split(r",|\beller\b", text)]
    items = [item for item in items if item and item not in _COMPARATIVES]
    return sorted({item for item in items if items.count(item) > 1})


def test_conditions_name_each_alternative_once_on_the_real_rule_base(rule_base):
    said = {r.id: describe_conditions(r.when) for r in rule_base.rules}
    # Before: 'inom kryckor eller kryckor', 'inom fritid eller fritid', 'inom elrullstol eller
    # elrullstol', '… förflyttning, bostadsanpassning, bostadsanpassning eller bostadsanpassning'.
    assert said["kronoberg.boundary.kryckor"] == "inom kryckor"
    assert said["kronoberg.boundary.fritidshjalpmedel"] == "inom fritid"
    assert said["kronoberg.boundary.oavsett_alder.elrullstol"] == "inom elrullstol"
    assert said["kronoberg.boundary.oavsett_alder.insulinpump"] == "inom insulinpump"
    assert said["kronoberg.boundary.alder.vuxen.omfattning"] == \
        "18 år eller äldre, inom personlig vård, förflyttning eller bostadsanpassning"
    assert {rid: _repeated_items(text) for rid, text in said.items()
            if _repeated_items(text)} == {}
    # Flags are said in words, never as 'True'/'False' ('Kan en arbetsuppgift delegeras False?').
    assert [rid for rid, text in said.items() if re.search(r"\b(True|False)\b", text)] == []
    assert said["nationell.delegation.dokumenteras"] == \
        "utan ett dokumenterat och undertecknat beslut"
    assert distinct(["inom kryckor", "kryckor", "Kryckor", "", "inom kognition",
                     "kognitionshjälpmedel", "syn", "synhjälpmedel"]) == \
        ["inom kryckor", "inom kognition", "syn", "synhjälpmedel"]  # short stems: whole words


def _segments(text: str) -> list[str]:
    return [s.strip().casefold() for s in text.split(" – ")]


def test_conclusions_say_each_part_once_on_the_real_rule_base(rule_base):
    iso = rule_base.get("norrbotten.boundary.iso.043306")
    [item] = make_quiz([iso], "gränsdragning", {}, size=1)
    # The quiz's answer and the rule's verdict are the same words: said once, not
    # 'hembesök krävs – kommunens ansvar – hembesök krävs – kommunens ansvar'.
    assert item.answer == item.explanation == "hembesök krävs – kommunens ansvar"
    assert item.conclusion == "hembesök krävs – kommunens ansvar"
    for key in TOPICS:
        for q in make_quiz(rules_for(rule_base, key), key, {}, size=200):
            parts = _segments(q.conclusion)
            assert len(parts) == len(set(parts)), q.conclusion
            # Still says the answer, and everything the rule's verdict says.
            assert q.answer.casefold()[:5] in q.conclusion.casefold()
            assert all(any(p.startswith(drop_parenthetical(seg)) for p in parts)
                       for seg in _segments(q.explanation)), q.conclusion
    md = to_markdown(build_course(rule_base, "gränsdragning", ["Norrbotten"], quiz_size=15))
    facit = md.split("### Facit", 1)[1]
    answers = [ln for ln in facit.splitlines() if re.match(r"\d+\. ", ln)]
    assert len(answers) == 15
    assert all(len(_segments(a)) == len(set(_segments(a))) for a in answers)
    assert join_segments("0 kr", "0 kr (egenavgift)") == "0 kr (egenavgift)"
    assert join_segments("kommun", "kommunens ansvar (18 år och äldre)") == \
        "kommunens ansvar (18 år och äldre)"
    # A dash inside a parenthesis is not a segment boundary.
    assert join_segments("region", "regionens ansvar (kryckor – behandling) – via vårdcentral") \
        == "regionens ansvar (kryckor – behandling) – via vårdcentral"


def test_notices_that_share_their_statement_become_one_line(rule_base):
    rules = rules_for(rule_base, "gränsdragning", ["Kronoberg"])
    study = "Beskrivningen är en nulägesbeskrivning i en utredning"
    raw = list(dict.fromkeys(r.warning for r in rules if r.warning))
    assert len([w for w in raw if w.startswith(study)]) == 6  # six variants in the rule base
    course = build_course(rule_base, "gränsdragning", ["Kronoberg"])
    [line] = [w for w in course.warnings if w.startswith(study)]
    assert line.count("nulägesbeskrivning") == 1
    for detail in ("(2025-11-18)", "avtalet mellan regionen och kommunerna var under översyn",
                   "enligt utredningen oklar", "kontrollera Ramverk för ortopedtekniska",
                   "Kontrollera att hjälpmedlet inte hör till"):
        assert line.count(detail) == 1, detail
    everywhere = build_course(rule_base, "gränsdragning")
    assert [w for w in everywhere.warnings if w.startswith("Policyn är från 2013")] == [
        "Policyn är från 2013 (gränsdragning enligt avtal fr.o.m. 2013-02-01) och kan vara "
        "inaktuell; kontrollera Norrbottens gällande riktlinjer."]
    assert len(everywhere.warnings) == 2
    assert merge_notices(everywhere.warnings) == everywhere.warnings
    assert merge_notices(["Uppgiften gäller 2025.", "Uppgiften gäller 2025."]) == \
        ["Uppgiften gäller 2025."]
    assert merge_notices(["A gäller; kontrollera B.", "Annat gäller."]) == \
        ["A gäller; kontrollera B.", "Annat gäller."]


# --------------------------------------------------------------------------- quiz answers

def test_quiz_alternatives_follow_the_kind_of_decision(rule_base):
    kinds = set()
    for key in TOPICS:
        for q in make_quiz(rules_for(rule_base, key), key, {}, size=200):
            rule = rule_base.get(q.rule_id)
            kind = "iso" if "iso_code" in rule.when else rule.decision.kind.value
            kinds.add(kind)
            if kind == "ja_nej":
                assert q.choices == ("ja", "nej")
            elif kind == "ansvar":
                assert q.choices == ("kommun", "region")
            elif kind == "iso":
                assert len(q.choices) == 3 and q.answer in q.choices
            else:  # amounts, parties and a case the documents leave out are written, not chosen
                assert q.is_open and q.choices == ()
            assert check_answer(q, q.answer)
            assert not any(check_answer(q, c) for c in q.choices if c != q.answer)
    assert kinds == {"ja_nej", "ansvar", "iso", "belopp", "part", "tas_inte_upp"}


def test_written_answers_are_checked_on_numbers_and_words():
    fee = QuizItem("Vad är avgiften?", "400 kr per år", "400 kr per år (hyra)", (), "r", "", "",
                   "")
    assert check_answer(fee, "400 kr/år") and check_answer(fee, " 400 KR PER ÅR ")
    assert not check_answer(fee, "4000 kr") and not check_answer(fee, "800 kr per år")
    assert not check_answer(fee, "") and not check_answer(fee, None)
    party = QuizItem("Vem?", "Länshjälpmedelsgruppen", "", (), "r", "", "", "")
    assert check_answer(party, "länshjälpmedelsgruppen")
    assert check_answer(party, "Till Länshjälpmedelsgruppen")
    assert not check_answer(party, "inte Länshjälpmedelsgruppen")
    assert not check_answer(party, "verksamhetschefen")
    yes_no = QuizItem("Får hon?", "ja", "ja – …", ("ja", "nej"), "r", "", "", "")
    assert check_answer(yes_no, "ja") and not check_answer(yes_no, "nej")
    assert score([fee, party, yes_no], {fee.question: "400 kr", party.question: "vet ej",
                                        yes_no.question: "ja"}) == 2


# --------------------------------------------------------------------------- PDF for print

def test_pdf_has_a_table_of_contents_headings_and_ragged_right_text(rule_base):
    if unicode_font() is None:
        pytest.skip("no DejaVuSans font (system or matplotlib) for the PDF export")
    from pypdf import PdfReader

    course = build_course(rule_base, "gränsdragning", ["Norrbotten", "Kronoberg"], seed=1)
    reader = PdfReader(io.BytesIO(to_pdf(course)))
    pages = [p.extract_text() for p in reader.pages]
    first = pages[0].splitlines()
    assert " ".join(first[:2]).startswith("Utbildning: Gränsdragning – Norrbotten, Kronoberg")
    assert TOC_TITLE in first
    # The contents list every heading with the page it is on (long names shortened with …).
    headings = outline(course)
    toc = {}
    for line in first:
        m = re.match(r"(.+?)[ .]*\.(\d+)$", line)
        if m:
            toc[m.group(1).strip()] = int(m.group(2))
    assert len(toc) == len(headings)
    for name, _ in headings:
        shown = next(k for k in toc if k == name or (k.endswith("…") and
                                                     name.startswith(k[:-1].strip())))
        assert name.split(" (")[0] in " ".join(pages[toc[shown] - 1].split()), name
    for chapter in ("Observera", "Nyckelregler", "Jämförelse mellan regioner", "Quiz", "Facit"):
        assert chapter in toc
    # The same headings are the PDF's bookmarks.
    flat = [getattr(o, "title", None) for o in reader.outline if not isinstance(o, list)]
    flat += [o.title for sub in reader.outline if isinstance(sub, list) for o in sub]
    assert sorted(flat) == sorted(name for name, _ in headings)
    # Ragged right: fpdf2 justifies with spaced TJ arrays; no line of this PDF has any.
    assert not any(b"] TJ" in page.get_contents().get_data() for page in reader.pages)
    # The quiz is a handout on its own page; the answers follow on another.
    assert toc["Facit"] > toc["Quiz"]
    quiz_page = " ".join(pages[toc["Quiz"] - 1].split())
    assert "☐" in quiz_page and "hembesök krävs – kommunens ansvar" in quiz_page
    text = " ".join(" ".join(pages).split())
    assert "Översikt per ISO-kod" in text and "särskilt boende" in text
    assert "Sida" not in text and f"sida 1 av {len(pages)}" in text


def test_the_examples_in_the_wording_docstrings_run():
    import doctest

    import assistant.training.wording

    assert doctest.testmod(assistant.training.wording).failed == 0
