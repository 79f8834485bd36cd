"""The feedback store: a real SQLite file in tmp_path, masking, filters and the two exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest

from assistant.feedback_store import (
    CITATION_KEYS,
    JSONL_KEYS,
    FeedbackError,
    FeedbackStore,
    answer_settings,
    to_csv,
    to_jsonl,
)
from core.settings import Settings
from core.values import Answer, Citation, RuleCheck


def _answer(question: str = "Vem förskriver en rollator i Norrbotten?", region="Norrbotten",
            status="verified") -> Answer:
    citation = Citation(n=1, doc="norrbotten.txt", title="Policy", section="Bilaga 1",
                        location="rad 3–4", quote="Vårdcentralen i första hand",
                        text="Rollator. Vårdcentralen i första hand.", date="2013-02-01",
                        publisher="Norrbottens läns landsting", line_start=3, line_end=4)
    return Answer(question=question, text="Vårdcentralen i första hand [1].",
                  citations=[citation], rule_check=RuleCheck(status=status), region=region)


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "sub" / "feedback.sqlite")


def test_record_keeps_answer_citations_settings_and_masks_identifiers(store):
    settings = answer_settings(Settings.load(env={}), "Norrbotten", date(2026, 1, 31))
    entry = store.record(_answer("Patient 19121212-1212 behöver rollator, ring 070-123 45 67"),
                         "down", comment="Fel svar för 19121212-1212", settings=settings)

    assert store.path.is_file()  # parent folders created
    assert entry.id == 1
    assert entry.question == "Patient [personnummer] behöver rollator, ring [telefonnummer]"
    assert entry.comment == "Fel svar för [personnummer]"
    assert entry.answer == "Vårdcentralen i första hand [1]."
    assert entry.citations == [{"n": 1, "doc": "norrbotten.txt", "section": "Bilaga 1",
                                "location": "rad 3–4", "quote": "Vårdcentralen i första hand"}]
    assert entry.rating == "down" and entry.region == "Norrbotten"
    assert entry.rule_status == "verified"
    assert entry.settings["as_of"] == "2026-01-31"
    assert entry.settings["answer_mode"] == "extractive"
    assert entry.settings["retrieval_mode"] == "hybrid"
    datetime.fromisoformat(entry.created_at)
    # Nothing unmasked anywhere in the database file.
    assert b"19121212" not in store.path.read_bytes()


def test_update_changes_rating_and_comment(store):
    entry = store.record(_answer(), "up")
    assert entry.comment == ""
    changed = store.update(entry.id, rating="down", comment="  Saknar källa  ")
    assert (changed.rating, changed.comment) == ("down", "Saknar källa")
    assert store.get(entry.id) == changed
    assert len(store.entries()) == 1


def test_bad_rating_and_unknown_id_give_swedish_errors(store):
    with pytest.raises(FeedbackError, match="Okänt betyg"):
        store.record(_answer(), "meh")
    with pytest.raises(FeedbackError, match="finns inte"):
        store.update(42, comment="x")
    assert store.entries() == []


def test_filters_by_rating_region_text_and_date(store):
    early = datetime(2026, 1, 5, 9, tzinfo=UTC)
    late = datetime(2026, 3, 5, 9, tzinfo=UTC)
    store.record(_answer(), "up", now=early)
    store.record(_answer("Får en undersköterska förskriva i Dalarna?", "Dalarna"), "down",
                 comment="otydligt", now=late)
    store.record(_answer(region=None), "up", now=late)

    assert [e.id for e in store.entries()] == [3, 2, 1]  # newest first
    assert [e.id for e in store.entries(rating="up")] == [3, 1]
    assert [e.id for e in store.entries(region="Dalarna")] == [2]
    assert [e.id for e in store.entries(text="OTYDLIGT")] == [2]
    assert [e.id for e in store.entries(text="undersköterska")] == [2]
    assert [e.id for e in store.entries(since=date(2026, 2, 1))] == [3, 2]
    assert [e.id for e in store.entries(until=date(2026, 2, 1))] == [1]
    assert store.regions() == ["Dalarna", "Norrbotten"]


def test_empty_store_lists_nothing_without_creating_a_file(tmp_path):
    store = FeedbackStore(tmp_path / "none.sqlite")
    assert store.entries() == [] and store.regions() == []
    assert not store.path.exists()


def test_jsonl_export_has_exactly_the_contract_keys(store):
    store.record(_answer(), "up", comment="Bra", settings={"region": "Norrbotten"})
    store.record(_answer(region="Dalarna"), "down")
    text = to_jsonl(store.entries())
    lines = text.splitlines()
    assert len(lines) == 2 and text.endswith("\n")
    for line in lines:
        item = json.loads(line)
        assert list(item) == list(JSONL_KEYS)
        assert item["rating"] in ("up", "down")
        assert all(list(c) == list(CITATION_KEYS) for c in item["citations"])
        assert isinstance(item["settings"], dict)
    first = json.loads(lines[1])
    assert first["question"] == "Vem förskriver en rollator i Norrbotten?"
    assert first["comment"] == "Bra" and first["rule_status"] == "verified"
    assert "Vårdcentralen" in text  # Swedish letters kept, not \u-escaped


def test_csv_export_reads_back_and_defuses_formulas(store):
    store.record(_answer("=HYPERLINK(\"x\") rollator?"), "down", comment="-1 poäng",
                 settings={"fusion": "dbsf"})
    rows = list(csv.DictReader(io.StringIO(to_csv(store.entries()))))
    assert len(rows) == 1
    row = rows[0]
    assert row["rating"] == "down" and row["region"] == "Norrbotten"
    assert row["question"].startswith("'=HYPERLINK")
    assert row["comment"] == "'-1 poäng"
    assert row["citations"] == "[1] norrbotten.txt – Bilaga 1, rad 3–4"
    assert json.loads(row["settings"])["fusion"] == "dbsf"


def test_the_feedback_file_is_readable_by_its_owner_only(tmp_path):
    import os
    import stat

    path = tmp_path / "feedback.sqlite"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)  # an older file, made before the store narrowed it
    FeedbackStore(path).entries()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
