"""Coverage of the corpus's decisive sentences by rules or by stated reasons."""

from __future__ import annotations

from pathlib import Path

from assistant.__main__ import main
from assistant.rules.coverage import Coverage, Sentence, corpus_sentences, is_decisive, measure
from assistant.rules.engine import RuleBase

ROOT = Path(__file__).resolve().parent.parent
RULEBASE = RuleBase.load()


def test_the_corpus_is_covered_by_rules_or_reasons() -> None:
    report = measure(RULEBASE, corpus_sentences(ROOT / "corpus"))
    assert len(report.items) > 300
    assert report.share >= 0.9
    # Most decisive sentences of the policies proper have a rule, not only a reason.
    norrbotten = report.to_json()["per_doc"]["norrbotten-policy-hjalpmedelsforskrivning-2013.txt"]
    assert norrbotten["rule"] >= 40


def test_a_new_decisive_sentence_is_open_until_a_rule_or_a_reason_takes_it() -> None:
    new = Sentence("norrbotten-policy-hjalpmedelsforskrivning-2013.txt", "Ny rubrik",
                   "Rollatorer ska alltid förskrivas av kommunens arbetsterapeut i Norrbotten.")
    assert is_decisive(new.text)
    assert measure(RULEBASE, [new]).items[0].status is Coverage.OPEN
    reason = [{"doc": new.doc, "section": "Ny rubrik", "reason": "Testets skäl."}]
    explained = measure(RULEBASE, [new], reason).items[0]
    assert explained.status is Coverage.EXPLAINED and explained.reason == "Testets skäl."
    quoted = Sentence(new.doc, "x", "Patienten ska inte ha hjälpmedel förskrivna av samma "
                                    "yrkeskategori (t.ex. arbetsterapeut) hos båda vårdgivarna.")
    item = measure(RULEBASE, [quoted], []).items[0]
    assert item.status is Coverage.RULE
    assert "norrbotten.boundary.hallas_samman.kommun" in item.rules


def test_descriptive_sentences_are_not_counted() -> None:
    assert not is_decisive("Utredningen genomfördes under våren.")
    assert not is_decisive("Ska?")


def test_cli_prints_the_share_and_json(capsys) -> None:
    assert main(["rules", "coverage"]) == 0
    assert "täckning" in capsys.readouterr().out
    assert main(["rules", "coverage", "--json"]) == 0
    assert '"share"' in capsys.readouterr().out
