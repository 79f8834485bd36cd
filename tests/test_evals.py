"""Tests of the evaluation harness with hand-made gold items and outputs (no assistant)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from core.text import normalize_quote
from evals import metrics as m
from evals.gate import GateFileError, check, load_thresholds
from evals.gold import GoldFileError, GoldItem, GoldRule, GoldSource, load_gold
from evals.outputs import (
    BatchFileError,
    ItemOutput,
    OutCitation,
    Retrieved,
    load_outputs,
    output_from_answer,
)
from evals.report import render_markdown, summary_table
from evals.run import ask_all, main, select_items
from evals.scoring import score
from evals.textmatch import CorpusTexts, long_words, overlap

ROOT = Path(__file__).resolve().parent.parent
DOC = "norrbotten.txt"
QUOTE = "Huvudinriktningen är att de produktområden som är markerade med vårdcentral i första " \
        "hand är landstingets ansvar"


def gold_line(**overrides: object) -> str:
    base: dict[str, object] = {
        "id": "t-001", "question": "Vem förskriver rollatorn?", "type": "boundary",
        "region": "Norrbotten", "answerable": True, "answer": "Vårdcentralen.",
        "must_include": [["vårdcentral"], ["första hand", "landsting"]],
        "must_not_include": [], "sources": [{"doc": DOC, "quote": QUOTE}],
        "rule": None, "followup_of": None,
    }
    base.update(overrides)
    return json.dumps(base, ensure_ascii=False)


def answerable_item(**kw: object) -> GoldItem:
    defaults: dict[str, object] = {
        "id": "a", "question": "Vem förskriver?", "type": "boundary", "answerable": True,
        "region": "Norrbotten", "must_include": (("vårdcentral",), ("första hand", "landsting")),
        "sources": (GoldSource(DOC, QUOTE),)}
    return GoldItem(**{**defaults, **kw})  # type: ignore[arg-type]


def unanswerable_item(**kw: object) -> GoldItem:
    defaults: dict[str, object] = {
        "id": "u", "question": "Vad kostar det?", "type": "unanswerable", "answerable": False,
        "region": "Dalarna", "must_not_include": ("800 kr",)}
    return GoldItem(**{**defaults, **kw})  # type: ignore[arg-type]


# --- gold loading --------------------------------------------------------------------------

def write(tmp_path: Path, lines: list[str], name: str = "gold.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_gold_parses_typed_items(tmp_path: Path) -> None:
    rule = {"facts": {"age": 80}, "verdict": "vårdcentral i första hand"}
    path = write(tmp_path, [gold_line(rule=rule), "",
                            gold_line(id="t-002", followup_of="t-001")])
    items = load_gold(path)
    assert [it.id for it in items] == ["t-001", "t-002"]
    assert items[0].must_include == (("vårdcentral",), ("första hand", "landsting"))
    assert items[0].sources == (GoldSource(DOC, QUOTE),)
    assert items[0].rule == GoldRule(facts={"age": 80}, verdict="vårdcentral i första hand")
    assert items[1].followup_of == "t-001" and items[1].line == 3  # blank line still counted


def test_dev_set_is_valid() -> None:
    items = load_gold(ROOT / "evals" / "dev.jsonl")
    assert len(items) == 45
    assert sum(not it.answerable for it in items) == 5


@pytest.mark.parametrize(("bad_line", "expected"), [
    ('{"id": "t-002", "question": ', "bad JSON"),
    (gold_line(id="t-002").replace('"question"', '"questoin"'), "missing field 'question'"),
    (gold_line(id="t-002", answerable="yes"), "'answerable' must be true or false"),
    (gold_line(id="t-002", must_include=["vårdcentral"]), "must_include[0]"),
    (gold_line(id="t-002", sources=[{"doc": DOC}]), "sources[0]"),
    (gold_line(id="t-002", followup_of="t-999"), "followup_of 't-999'"),
    (gold_line(id="t-002", rule={"verdict": "x"}), "'rule'"),
    (gold_line(id="t-002", must_not_inclde=["ja,"]), "unknown field"),
    (gold_line(), "duplicate id 't-001' (first on line 1)"),
    ("[1, 2]", "expected a JSON object"),
])
def test_malformed_gold_names_file_and_line(tmp_path: Path, bad_line: str, expected: str) -> None:
    path = write(tmp_path, [gold_line(), bad_line])
    with pytest.raises(GoldFileError) as info:
        load_gold(path)
    message = str(info.value)
    assert message.startswith(f"{path}, line 2: ")
    assert expected in message
    assert info.value.line == 2


def test_followup_must_point_to_an_earlier_line(tmp_path: Path) -> None:
    path = write(tmp_path, [gold_line(followup_of="t-002"), gold_line(id="t-002")])
    with pytest.raises(GoldFileError, match=r"line 1: followup_of 't-002'"):
        load_gold(path)


def test_empty_gold_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(GoldFileError, match="no gold items"):
        load_gold(write(tmp_path, [""]))


# --- answer correctness --------------------------------------------------------------------

def test_answer_correct_needs_every_group_case_insensitive() -> None:
    item = answerable_item()
    ok = ItemOutput(id="a", answer="Det är VÅRDCENTRALEN i första hand [1].")
    assert m.answer_correct(item, ok)
    half = m.check_answer(item, ItemOutput(id="a", answer="Vårdcentralen förskriver [1]."))
    assert not half.correct
    assert half.missing == (("första hand", "landsting"),)
    assert "missing [första hand | landsting]" in half.reason()


def test_answer_with_forbidden_string_or_refusal_is_wrong() -> None:
    item = answerable_item(must_not_include=("nej,",))
    text = "Nej, vårdcentralen i första hand."
    assert not m.answer_correct(item, ItemOutput(id="a", answer=text))
    assert m.check_answer(item, ItemOutput(id="a", answer=text)).forbidden == ("nej,",)
    refused = ItemOutput(id="a", answer="Vårdcentral i första hand?", refused=True)
    assert not m.answer_correct(answerable_item(), refused)
    errored = ItemOutput(id="a", error="RuntimeError: boom")
    assert "error" in m.check_answer(answerable_item(), errored).reason()


def test_unanswerable_is_correct_only_when_refused_without_forbidden() -> None:
    item = unanswerable_item()
    assert m.answer_correct(item, ItemOutput(id="u", answer="Det framgår inte.", refused=True))
    assert not m.answer_correct(item, ItemOutput(id="u", answer="Det kostar 500 kr."))
    assert not m.answer_correct(item, ItemOutput(id="u", answer="Kanske 800 kr.", refused=True))


# --- citations -----------------------------------------------------------------------------

def test_words_and_overlap_use_three_letter_words() -> None:
    assert long_words("Är i ISO 120606 å-ä-ö förstA") == {"120606", "iso", "första"}
    assert overlap("vårdcentral i första hand", "FÖRSTA HAND på vårdcentral") == 1.0
    assert overlap("vårdcentral i första hand", "hand") == pytest.approx(1 / 3)


def test_citation_hit_needs_same_doc_and_60_percent_of_words() -> None:
    item = answerable_item()
    # 11 distinct gold words of 3+ letters; 7 of them (64 %) is a hit, 6 (55 %) is not.
    gold_words = sorted(long_words(QUOTE))
    assert len(gold_words) == 11
    hit_text = " ".join(gold_words[:7])
    miss_text = " ".join(gold_words[:6])
    assert m.citation_hit(item, ItemOutput(id="a", citations=(OutCitation(DOC, "", hit_text),)))
    assert not m.citation_hit(item, ItemOutput(
        id="a", citations=(OutCitation(DOC, "", miss_text),)))
    # Right words, wrong document.
    assert not m.citation_hit(item, ItemOutput(
        id="a", citations=(OutCitation("other.txt", QUOTE, QUOTE),)))
    # The quote alone may carry the match; a path before the file name is tolerated.
    assert m.citation_hit(item, ItemOutput(
        id="a", citations=(OutCitation(f"corpus/{DOC}", QUOTE, "unrelated"),)))


def test_source_recall_and_not_applicable_items() -> None:
    second = GoldSource(DOC, "Hemsjukvård och hembesök i ordinärt boende är kommunernas ansvar")
    item = answerable_item(sources=(GoldSource(DOC, QUOTE), second))
    out = ItemOutput(id="a", citations=(OutCitation(DOC, QUOTE, QUOTE),))
    assert m.source_recall(item, out) == 0.5
    assert m.citation_hit(item, out) is True
    assert m.citation_hit(unanswerable_item(), out) is None
    assert m.source_recall(answerable_item(sources=()), out) is None


# --- refusals ------------------------------------------------------------------------------

def test_refusal_stats() -> None:
    # (answerable, refused): two right answers, one false refusal, one right refusal, one miss.
    stats = m.refusal_stats([(True, False), (True, False), (True, True), (False, True),
                             (False, False)])
    assert stats.accuracy == pytest.approx(3 / 5)
    assert stats.precision == pytest.approx(1 / 2)
    assert stats.recall == pytest.approx(1 / 2)
    assert stats.false_refusal_rate == pytest.approx(1 / 3)
    nothing_refused = m.refusal_stats([(True, False)])
    assert nothing_refused.precision is None and nothing_refused.recall is None


# --- rules ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("status", "verdict", "expected"), [
    ("verified", "Vårdcentral i första hand (Norrbotten 2013)", True),
    ("corrected", "VÅRDCENTRAL I FÖRSTA HAND", True),
    ("conflict", "vårdcentral i första hand", True),
    ("not_checkable", "vårdcentral i första hand", False),
    ("verified", "hembesök rekommenderas", False),
    ("verified", None, False),
])
def test_rule_agreement(status: str, verdict: str | None, expected: bool) -> None:
    item = answerable_item(rule=GoldRule(facts={}, verdict="vårdcentral i första hand"))
    out = ItemOutput(id="a", rule_status=status, rule_verdict=verdict)
    assert m.rule_agrees(item, out) is expected
    assert m.rule_agrees(answerable_item(), out) is None


# --- verbatim quotes and [n] markers -------------------------------------------------------

@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / DOC).write_text(
        "Hjälpmedels-\n  förskrivning görs av legitimerad personal.\n\n"
        "Vårdcentral   i första\nhand för rollator.\n", encoding="utf-8")
    (root / "scan.pdf").write_bytes(b"not really a pdf")
    return root


def test_normalize_quote_joins_hyphenated_line_breaks() -> None:
    assert normalize_quote("Hjälpmedels-\n  förskrivning  görs\n") == \
        "Hjälpmedelsförskrivning görs"
    assert normalize_quote("ISO-kod 1203") == "ISO-kod 1203"  # ordinary hyphens stay


def test_verbatim_quote_check_against_corpus(corpus: Path) -> None:
    texts = CorpusTexts(corpus, reader=lambda p: None if p.suffix == ".pdf" else
                        p.read_text(encoding="utf-8"))
    cits = [
        OutCitation(DOC, "Hjälpmedelsförskrivning görs av legitimerad personal."),  # joined
        OutCitation(DOC, "Vårdcentral i första hand för rollator."),  # whitespace collapsed
        OutCitation(DOC, "vårdcentral i första hand"),  # case differs: not verbatim
        OutCitation(DOC, "Vårdcentral i andra hand"),  # not in the text
        OutCitation(DOC, ""),  # an empty quote proves nothing
        OutCitation("missing.txt", "Vårdcentral"),  # the cited file does not exist
        OutCitation("scan.pdf", "anything"),  # exists but unreadable: unverifiable
    ]
    flags = m.verbatim_flags(cits, texts, texts.exists)
    assert flags == [True, True, False, False, False, False, None]
    precision = m.quote_precision(flags)
    assert precision.n_unverifiable == 1
    assert precision.precision == pytest.approx(2 / 6)


def test_dev_gold_quotes_stand_verbatim_in_the_corpus() -> None:
    texts = CorpusTexts(ROOT / "corpus")
    for item in load_gold(ROOT / "evals" / "dev.jsonl"):
        flags = m.verbatim_flags([OutCitation(s.doc, s.quote) for s in item.sources], texts)
        assert all(flags), item.id


def test_sentence_markers() -> None:
    text = ("Vårdcentralen förskriver [1]. Det gäller t.ex. rollatorer. "
            "Kommunen tar över vid hemsjukvård. [2]\n\n- Barn: landstinget [3]")
    assert m.split_sentences(text) == [
        "Vårdcentralen förskriver [1].", "Det gäller t.ex. rollatorer.",
        "Kommunen tar över vid hemsjukvård. [2]", "Barn: landstinget [3]"]
    assert m.marked_sentences(text) == (4, 3)
    assert m.marked_sentences("") == (0, 0)


def test_a_rule_conclusion_is_not_counted_as_quoted_evidence() -> None:
    agreeing = "Enligt regelkontrollen: Kommunens ansvar (regelns källa: [1]). Citat ur källan. [2]"
    assert m.marked_sentences(agreeing) == (1, 1)
    correcting = ("Enligt regelkontrollen: Nej (regelns källa: [1]). Regelns förklaring.\n\n"
                  "Citat. [2] Ett till citat.")
    assert m.marked_sentences(correcting) == (2, 1)


# --- retrieval -----------------------------------------------------------------------------

def test_retrieval_scores_rank_of_first_relevant_passage() -> None:
    item = answerable_item()
    noise = Retrieved(DOC, "Helt annan text om avgifter.")
    wrong_doc = Retrieved("other.txt", QUOTE)
    relevant = Retrieved(DOC, "Inledning. " + QUOTE + " Mer text.")
    s = m.retrieval_scores(item, [noise, wrong_doc, relevant])
    assert s is not None
    assert (s.hit_at_1, s.hit_at_5, s.mrr_at_10) == (0.0, 1.0, pytest.approx(1 / 3))
    assert s.ndcg_at_10 == pytest.approx(0.5)  # 1/log2(4) over the ideal 1/log2(2)
    top = m.retrieval_scores(item, [relevant, relevant])
    assert top is not None and (top.hit_at_1, top.mrr_at_10, top.ndcg_at_10) == (1.0, 1.0, 1.0)
    late = m.retrieval_scores(item, [noise] * 10 + [relevant])
    assert late is not None and (late.hit_at_5, late.mrr_at_10, late.ndcg_at_10) == (0, 0, 0)
    assert m.retrieval_scores(unanswerable_item(), [relevant]) is None


def test_ndcg_with_two_sources_counts_each_source_once() -> None:
    other = "Hemsjukvård och hembesök i ordinärt boende är kommunernas ansvar"
    item = answerable_item(sources=(GoldSource(DOC, QUOTE), GoldSource(DOC, other)))
    s = m.retrieval_scores(item, [Retrieved(DOC, QUOTE), Retrieved(DOC, QUOTE),
                                  Retrieved(DOC, other)])
    ideal = 1 + 1 / m.math.log2(3)
    assert s is not None
    assert s.ndcg_at_10 == pytest.approx((1 + 1 / m.math.log2(4)) / ideal)


def test_percentile_and_mean() -> None:
    assert m.percentile([100, 200, 300, 400, 500], 50) == 300
    assert m.percentile([100, 200], 95) == pytest.approx(195)
    assert m.percentile([None], 50) is None
    assert m.mean([True, False, None]) == 0.5
    assert m.mean([None]) is None


# --- scoring, report, gate, CLI --------------------------------------------------------------

def small_set() -> tuple[list[GoldItem], dict[str, ItemOutput]]:
    rule = GoldRule(facts={}, verdict="kommun")
    items = [
        answerable_item(id="a1", rule=rule),
        answerable_item(id="a2", type="fees", region=None),
        unanswerable_item(id="u1"),
    ]
    outputs = {
        "a1": ItemOutput(id="a1", answer="Vårdcentral i första hand [1].",
                         citations=(OutCitation(DOC, QUOTE, QUOTE),), rule_status="verified",
                         rule_verdict="kommun", latency_ms=100.0,
                         timings_ms={"retrieve": 30.0, "answer": 70.0},
                         passages=(Retrieved(DOC, QUOTE),)),
        "a2": ItemOutput(id="a2", answer="Det framgår inte.", refused=True, latency_ms=300.0,
                         timings_ms={"retrieve": 50.0}, passages=()),
        "u1": ItemOutput(id="u1", answer="Det framgår inte.", refused=True, latency_ms=200.0),
    }
    return items, outputs


def test_score_summary_and_breakdowns() -> None:
    items, outputs = small_set()
    report = score(items, outputs)
    s = report["summary"]
    assert s["answer_correctness"] == pytest.approx(2 / 3)
    assert s["answer_correctness_answerable"] == 0.5
    assert s["citation_hit_rate"] == 0.5
    assert s["refusal_accuracy"] == pytest.approx(2 / 3)
    assert s["false_refusal_rate"] == 0.5
    assert s["rule_agreement"] == 1.0
    assert s["retrieval_hit_at_1"] == 0.5 and s["n_retrieval"] == 2
    assert s["citation_precision"] is None  # no corpus given
    assert s["latency_p50_ms"] == 200.0
    assert report["latency"]["per_stage"]["retrieve"]["p50_ms"] == 40.0
    assert report["latency"]["per_type"]["fees"]["p50_ms"] == 300.0
    assert report["by_type"]["fees"]["answer_correctness"] == 0.0
    assert set(report["by_region"]) == {"Norrbotten", "(none)", "Dalarna"}
    markdown = render_markdown(report)
    assert "## Wrong answers (1)" in markdown and "a2" in markdown
    assert "refused an answerable question" in markdown
    assert "answer_correctness" in summary_table(report)


def test_missing_output_counts_as_wrong() -> None:
    items, outputs = small_set()
    del outputs["a1"]
    report = score(items, outputs)
    assert report["missing_outputs"] == ["a1"]
    assert report["summary"]["errors"] == 1
    assert report["summary"]["answer_correctness"] == pytest.approx(1 / 3)


def test_gate(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[min]\nanswer_correctness = 0.9\nrule_agreement = 0.5\n"
                    "[max]\nlatency_p95_ms = 250\n", encoding="utf-8")
    summary = {"answer_correctness": 0.8, "rule_agreement": None, "latency_p95_ms": 300.0}
    failures = check(summary, load_thresholds(path))
    assert len(failures) == 3
    assert "answer_correctness = 0.800 is below the minimum 0.900" in failures
    assert check({"answer_correctness": 0.95}, {"min": {"answer_correctness": 0.9}}) == []
    assert "unknown metric" in check({}, {"min": {"answer_corectness": 0.9}})[0]
    path.write_text("[min]\nanswer_correctness = 'high'\n", encoding="utf-8")
    with pytest.raises(GateFileError, match="must be a number"):
        load_thresholds(path)


def test_shipped_thresholds_file_loads() -> None:
    thresholds = load_thresholds(ROOT / "evals" / "thresholds.toml")
    # Rates are shares, so a minimum above 1 could never pass and one below 0 never fail.
    assert thresholds["min"] and all(0.0 <= v <= 1.0 for v in thresholds["min"].values())
    assert thresholds["min"]["answer_correctness"] > 0.0


def test_cli_score_and_gate(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]
                            ) -> None:
    gold = write(tmp_path, [gold_line(), gold_line(id="t-002", answerable=False,
                                                   type="unanswerable", must_include=[],
                                                   sources=[])])
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in [
        {"id": "t-001", "answer": "Vårdcentral i första hand [1].", "refused": False,
         "citations": [{"doc": DOC, "quote": "Vårdcentral i första hand för rollator.",
                        "text": QUOTE}],
         "rule_check": {"status": "not_checkable", "verdict": None}, "latency_ms": 12.5},
        {"id": "t-002", "answer": "Det framgår inte av dokumenten.", "refused": True,
         "citations": [], "rule_check": {"status": "not_checkable", "verdict": None},
         "latency_ms": 8.0},
    ]) + "\n", encoding="utf-8")
    out_dir = tmp_path / "reports"
    assert main(["score", str(gold), str(batch), "--corpus", str(corpus),
                 "--out", str(out_dir)]) == 0
    (report_dir,) = out_dir.iterdir()
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert report["summary"]["answer_correctness"] == 1.0
    assert report["summary"]["citation_precision"] == 1.0
    assert (report_dir / "report.md").is_file()

    gate = tmp_path / "gate.toml"
    gate.write_text("[min]\nretrieval_hit_at_5 = 0.5\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["score", str(gold), str(batch), "--gate", str(gate)]) == 1
    assert "retrieval_hit_at_5 was not measured" in capsys.readouterr().out

    bad = write(tmp_path, [gold_line(), '{"id": "t-002"'], name="bad.jsonl")
    assert main(["score", str(bad), str(batch)]) == 2
    assert f"{bad}, line 2: bad JSON" in capsys.readouterr().err


def test_batch_file_errors_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, ['{"id": "a", "answer": "x"}', '{"answer": "y"}'], name="b.jsonl")
    with pytest.raises(BatchFileError, match=r"b.jsonl, line 2: missing field 'id'"):
        load_outputs(path)


# --- running the assistant (with a stand-in, never the real one) ---------------------------

class FakeAnswer:
    def __init__(self, question: str, history: list) -> None:
        self.history = history
        self.passages = [SimpleNamespace(chunk=SimpleNamespace(doc=DOC, text=QUOTE))]
        self.text = f"Svar på: {question}"

    def to_json(self) -> dict:
        return {"question": "", "answer": self.text, "refused": False,
                "citations": [{"n": 1, "doc": DOC, "quote": QUOTE, "text": QUOTE}],
                "rule_check": {"status": "verified", "verdict": "kommun"},
                "latency_ms": 5.0, "timings_ms": {"retrieve": 2.0, "answer": 3.0}}


class FakeAssistant:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list]] = []

    def ask(self, question: str, history: list, region: str | None = None) -> FakeAnswer:
        self.calls.append((question, history))
        if "krasch" in question:
            raise RuntimeError("boom")
        return FakeAnswer(question, history)


def test_followups_are_asked_with_the_earlier_answers(tmp_path: Path) -> None:
    pytest.importorskip("core.values")
    items = load_gold(write(tmp_path, [
        gold_line(question="Första frågan?"),
        gold_line(id="t-002", question="Och sedan?", followup_of="t-001"),
        gold_line(id="t-003", question="Och till sist?", followup_of="t-002"),
        gold_line(id="t-004", question="En krasch?"),
    ]))
    fake = FakeAssistant()
    outputs = ask_all(fake, items)
    history = fake.calls[2][1]
    assert [(t.question, t.answer) for t in history] == [
        ("Första frågan?", "Svar på: Första frågan?"), ("Och sedan?", "Svar på: Och sedan?")]
    assert fake.calls[0][1] == []
    assert outputs["t-001"].passages == (Retrieved(DOC, QUOTE),)
    assert outputs["t-001"].timings_ms == {"retrieve": 2.0, "answer": 3.0}
    assert outputs["t-004"].error == "RuntimeError: boom"


def test_output_from_answer_uses_wall_clock_latency() -> None:
    out = output_from_answer("x", FakeAnswer("Q", []), wall_ms=42.0)
    assert out.latency_ms == 42.0 and out.rule_verdict == "kommun"
    assert out.citations == (OutCitation(DOC, QUOTE, QUOTE),)


def test_quick_selection_keeps_earlier_turns(tmp_path: Path) -> None:
    items = load_gold(write(tmp_path, [
        gold_line(), gold_line(id="t-002", type="fees"),
        gold_line(id="t-003", type="delegation", followup_of="t-001"),
    ]))
    assert [i.id for i in select_items(items, quick=True)] == ["t-001", "t-002", "t-003"]
    assert [i.id for i in select_items(items, ids=["t-003"])] == ["t-001", "t-003"]
    with pytest.raises(GoldFileError, match="unknown id"):
        select_items(items, ids=["nope"])


# --- generative fields, compare, baselines, gold from feedback -----------------------------

def test_generative_fields_are_read_and_reported_when_present() -> None:
    from evals.outputs import output_from_json, output_to_json

    gen = output_from_json({"id": "a1", "answer": "Vårdcentral i första hand [1].",
                            "answer_mode": "generative", "claims": ["c1", "c2", "c3", "c4"],
                            "unsupported_claims": 1, "latency_ms": 900.0,
                            "timings_ms": {"retrieve": 40.0, "first_token": 300.0}})
    assert (gen.claims, gen.unsupported_claims, gen.answer_mode) == (4, 1, "generative")
    assert output_to_json(gen)["claims"] == 4
    with pytest.raises(TypeError, match="claims"):
        output_from_json({"id": "x", "claims": -1})

    items, outputs = small_set()
    extractive = score(items, outputs)["summary"]
    assert extractive["unsupported_claim_rate"] is None and extractive["ttft_p50_ms"] is None
    outputs["a1"] = gen
    outputs["a2"] = ItemOutput(id="a2", answer="Vårdcentral [1].", claims=4,
                               unsupported_claims=0, timings_ms={"first_token": 500.0})
    report = score(items, outputs)
    assert report["summary"]["unsupported_claim_rate"] == pytest.approx(1 / 8)
    assert report["summary"]["ttft_p50_ms"] == pytest.approx(400.0)
    assert report["latency"]["per_stage"]["first_token"]["n"] == 2
    md = render_markdown(report)
    assert "unsupported_claim_rate | 0.125" in md and "stage: first_token" in md


def test_compare_puts_reports_side_by_side(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    items, outputs = small_set()
    for name, mode in (("a", "extractive"), ("b", "generative")):
        rep = score(items, outputs)
        rep["meta"] = {"mode": mode, "gold": "dev.jsonl"}
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps(rep), encoding="utf-8")
    out = tmp_path / "cmp.md"
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b" / "report.json"),
                 "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "| metric | extractive | generative |" in text
    assert "| answer_correctness | 0.667 | 0.667 |" in text
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "bad.json")]) == 2
    assert "no 'summary' object" in capsys.readouterr().err


def test_baseline_selection_defaults() -> None:
    from evals.baselines import parse_baselines
    from evals.run import build_parser, wanted_baselines

    def chosen(*argv: str) -> tuple[str, ...]:
        return wanted_baselines(build_parser().parse_args(["run", *argv]))

    assert chosen() == ("bm25", "dense", "hybrid", "tutorial")  # full run: on
    assert chosen("--quick") == () and chosen("--gate", "t.toml") == ()  # fast paths: off
    assert chosen("--no-baselines") == ()
    assert chosen("--quick", "--baselines") == ("bm25", "dense", "hybrid", "tutorial")
    assert chosen("--baselines", "tutorial,bm25") == ("bm25", "tutorial")  # table order
    with pytest.raises(ValueError, match="unknown baseline"):
        parse_baselines("bm25,vector")


TINY_DOC = ("Förskrivning av rollator\n\n"
            "Rollator för utomhusbruk förskrivs av vårdcentralen i första hand när patienten "
            "själv kan ta sig till vårdcentralen.\n\n"
            "Rollator för inomhusbruk förskrivs av kommunens arbetsterapeut efter hembesök.\n\n"
            "Avgifter\n\nEgenavgiften för ett hjälpmedelsbesök är 200 kronor per besök.\n")


def test_tutorial_chunks_use_the_splitter_and_keep_document_metadata(
        tmp_path: Path, make_corpus) -> None:
    from evals.baselines import tutorial_chunks

    text = " ".join(f"Mening nummer {i} om rollatorer och förskrivning." for i in range(80))
    corpus = make_corpus(tmp_path / "c", {"lang.txt": text, "kort.txt": TINY_DOC},
                         regions={"lang.txt": ["Testland"], "kort.txt": ["Provlän"]})
    chunks = tutorial_chunks(corpus)
    long = [c for c in chunks if c.doc == "lang.txt"]
    assert len(long) >= 4 and all(len(c.text) <= 1000 for c in chunks)
    # chunk_overlap=200: consecutive pieces share text
    assert long[0].text[-100:].split()[-1] in long[1].text
    assert {c.regions for c in chunks} == {("Testland",), ("Provlän",)}
    assert len({c.id for c in chunks}) == len(chunks)


def test_run_with_baselines_on_a_tiny_corpus(tmp_path: Path, make_corpus,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Plumbing of `evals run --baselines` end to end: real index, real Chroma, real e5."""
    corpus = make_corpus(tmp_path / "corpus", {"tiny.txt": TINY_DOC})
    gold = write(tmp_path, [json.dumps({
        "id": "t-001", "question": "Vem förskriver en rollator för utomhusbruk?",
        "type": "boundary", "answerable": True, "must_include": [["vårdcentral"]],
        "sources": [{"doc": "tiny.txt", "quote": "Rollator för utomhusbruk förskrivs av "
                                                 "vårdcentralen i första hand"}]},
        ensure_ascii=False)])
    for key, value in {"CORPUS_DIR": corpus, "INDEX_DIR": tmp_path / "index",
                       "EMBEDDING_CACHE_DIR": tmp_path / "cache",
                       "UPLOAD_DIR": tmp_path / "uploads",
                       "FEEDBACK_DB": tmp_path / "fb.sqlite"}.items():
        monkeypatch.setenv(f"HJALP_{key}", str(value))
    monkeypatch.setenv("HJALP_CONFIG", str(tmp_path / "none.toml"))
    assert main(["run", "--set", str(gold), "--out", str(tmp_path / "rep"), "--no-chart",
                 "--baselines", "all"]) == 0
    (rep_dir,) = (tmp_path / "rep").iterdir()
    report = json.loads((rep_dir / "report.json").read_text(encoding="utf-8"))
    columns = report["baselines"]["summary"]
    assert list(columns) == ["bm25", "dense", "hybrid", "tutorial"]
    # hybrid is the main run itself, not asked twice
    assert {k: v for k, v in report["summary"].items() if k in columns["hybrid"]} \
        == columns["hybrid"]
    assert columns["tutorial"]["retrieval_hit_at_5"] == 1.0  # one document: it must be found
    assert columns["tutorial"]["rule_agreement"] is None
    for name in ("bm25", "dense", "tutorial"):
        assert (rep_dir / f"outputs_{name}.jsonl").is_file()
    md = (rep_dir / "report.md").read_text(encoding="utf-8")
    assert "| metric | bm25 | dense | hybrid | tutorial |" in md
    assert (tmp_path / "index" / "evals_tutorial" / "chroma").is_dir()


def feedback_line(**overrides: object) -> str:
    base: dict[str, object] = {
        "id": "17", "created_at": "2026-11-20T09:30:00", "question": "Vem förskriver?",
        "answer": "Vårdcentral i första hand [1].", "citations": [], "rating": "up",
        "comment": "", "region": "Norrbotten", "settings": {}, "rule_status": "verified"}
    base.update(overrides)
    return json.dumps(base, ensure_ascii=False)


def test_gold_from_feedback(tmp_path: Path, corpus: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    good = {"n": 1, "doc": DOC, "section": "", "location": "rad 4",
            "quote": "Vårdcentral i första hand för rollator."}
    bad = {**good, "quote": "Vårdcentral i andra hand"}
    fb = write(tmp_path, [
        feedback_line(id="1", citations=[good, bad],
                      answer="Vårdcentral i första hand för rollator [1]; avgift 200 kr."),
        feedback_line(id="2", question="Vad gäller i Dalarna?", citations=[bad]),
        feedback_line(id="3", question="Vad kostar en rullstol?", rating="down",
                      comment="Det framgår inte av dokumenten, svaret gissar."),
        feedback_line(id="4", question="Vem har ansvaret för barn?", rating="down",
                      comment="Fel: regionen ansvarar för barn till och med 17 år."),
        feedback_line(id="5", question="Utan källor?", citations=[]),
        feedback_line(id="6", question="Tummen ned utan kommentar", rating="down"),
        feedback_line(id="7", question="vem  FÖRSKRIVER?", citations=[good]),  # repeat
    ], name="feedback.jsonl")
    out = tmp_path / "candidates.jsonl"
    assert main(["gold-from-feedback", str(fb), "--out", str(out),
                 "--corpus", str(corpus)]) == 0
    assert "4 candidate(s)" in capsys.readouterr().out
    items = {it.id: it for it in load_gold(out)}  # the gold loader accepts the file
    assert list(items) == ["fb-1", "fb-2", "fb-3", "fb-4"]
    up = items["fb-1"]
    assert up.answerable and up.sources == (GoldSource(DOC, good["quote"]),)
    assert up.meta["dropped_citations"] == [{"doc": DOC, "quote": bad["quote"]}]
    assert up.meta["feedback_id"] == "1" and up.region == "Norrbotten"
    assert items["fb-2"].sources == () and "no cited quote" in items["fb-2"].meta["review"][0]
    assert items["fb-3"].answerable is False  # the trainer says the documents are silent
    down = items["fb-4"]
    assert down.answerable and down.answer.startswith("Fel: regionen")
    assert down.meta["rejected_answer"] == "Vårdcentral i första hand [1]."

    broken = write(tmp_path, [feedback_line(), feedback_line(id="9", rating="meh")],
                   name="broken.jsonl")
    assert main(["gold-from-feedback", str(broken), "--out", str(tmp_path / "x.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "broken.jsonl, line 2" in err and "rating" in err
    assert not (tmp_path / "x.jsonl").exists()  # nothing written from a malformed export


def test_gold_from_feedback_masks_identifiers(tmp_path: Path, corpus: Path) -> None:
    from evals.gold_from_feedback import candidate_from_feedback, parse_feedback_record

    rec = parse_feedback_record(json.loads(feedback_line(
        rating="down", question="Patienten 19121212-1212 behöver rollator, vem förskriver?",
        comment="Ring 070-123 45 67")), 1)
    item = candidate_from_feedback(rec, lambda _d: None)
    assert item is not None
    assert "19121212-1212" not in item["question"] and "070-123 45 67" not in item["answer"]


def test_the_input_file_errors_share_one_base_and_one_shape() -> None:
    from evals.errors import InputFileError
    from evals.gold_from_feedback import FeedbackFileError

    for kind in (GoldFileError, BatchFileError, FeedbackFileError):
        err = kind("a.jsonl", 3, "missing field 'id'")
        assert isinstance(err, InputFileError) and isinstance(err, ValueError)
        assert str(err) == "a.jsonl, line 3: missing field 'id'"
        assert (err.name, err.line, err.problem) == ("a.jsonl", 3, "missing field 'id'")
        assert str(kind("a.jsonl", None, "empty")) == "a.jsonl: empty"


@pytest.mark.parametrize(("gold", "verdict", "expected"), [
    ("35 %", "35% av kostnaden (egenavgift)", True),
    ("35%", "35 % av kostnaden", True),
    ("35 %", "53 % av kostnaden", False),
])
def test_rule_agreement_reads_a_percent_sign_however_it_is_set(gold: str, verdict: str,
                                                               expected: bool) -> None:
    item = answerable_item(rule=GoldRule(facts={}, verdict=gold))
    out = ItemOutput(id="a", rule_status="verified", rule_verdict=verdict)
    assert m.rule_agrees(item, out) is expected
