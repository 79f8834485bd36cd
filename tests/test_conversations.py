"""Saved conversations: turns kept in SQLite by id, masked, and drawn again the same."""

from __future__ import annotations

import stat

import pytest

from assistant.conversations import ConversationStore, new_id, valid_id
from core.values import (
    Answer,
    Citation,
    FactOption,
    FactQuestion,
    RuleCheck,
    answer_from_record,
    answer_record,
)


def _answer() -> Answer:
    back = FactQuestion("age", "Hur gammal är patienten?", (
        FactOption(17, "under 18 år", "regionen", "nb.barn"),
        FactOption(18, "18 år eller äldre", "kommunen", "nb.iso")), unit="år")
    return Answer(
        question="Vem förskriver en säng?", text="Kommunen ansvarar. [1]",
        conclusion="Kommunen ansvarar.", as_of="2026-12-01", region="Norrbotten",
        citations=[Citation(n=1, doc="x.txt", title="X", section="Bilaga", location="rad 3",
                            quote="Kommunen ansvarar", text="Kommunen ansvarar för sängar.",
                            line_start=3, chunk_id="c42")],
        rule_check=RuleCheck(status="verified", verdict="kommun", rule_id="nb.iso",
                             reason="Svaret stämmer med regeln.", warnings=("Gammal källa.",),
                             trace=("nb.iso avgör: kommun",),
                             missing_facts=("ange ålder",), question=back,
                             given={"home_care": True}),
        warnings=["Gammal källa."], timings_ms={"retrieve": 12.0})


def test_an_answer_record_round_trips():
    answer = _answer()
    again = answer_from_record(answer_record(answer))
    assert again == answer
    assert isinstance(again.rule_check.question.options[0], FactOption)
    assert again.rule_check.warnings == ("Gammal källa.",)


def test_store_saves_loads_lists_and_masks(tmp_path):
    store = ConversationStore(tmp_path / "sub" / "conversations.sqlite")
    first, second = new_id(), new_id()
    turns = [{"role": "user", "content": "Patient 19121212-1212 behöver en säng"},
             {"role": "assistant", "id": "m1", "question": "Patient 19121212-1212 behöver en säng",
              "given": {"age": 17}, "answer": _answer()}]
    store.save(first, turns)
    store.save(second, [{"role": "user", "content": "Vad kostar en hörapparat?"}])
    loaded = store.load(first)
    assert loaded is not None and loaded[1]["answer"] == _answer()
    assert loaded[1]["given"] == {"age": 17}
    assert "19121212-1212" not in (tmp_path / "sub" / "conversations.sqlite").read_bytes().decode(
        "utf-8", "ignore")
    assert "1212-1212" not in loaded[0]["content"]
    assert [c.id for c in store.recent()] == [second, first]
    mode = stat.S_IMODE((tmp_path / "sub" / "conversations.sqlite").stat().st_mode)
    assert mode == 0o600
    store.delete(second)
    assert store.load(second) is None


def test_ids_are_checked_before_they_are_used(tmp_path):
    store = ConversationStore(tmp_path / "c.sqlite")
    assert valid_id(new_id()) and not valid_id("../../etc") and not valid_id("")
    assert store.load("x' OR 1=1 --") is None
    with pytest.raises(ValueError, match="konversations-id"):
        store.save("not-an-id", [])
