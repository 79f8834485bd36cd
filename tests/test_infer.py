"""A document without metadata still counts for its region (ingest.infer).

Real documents, real Chroma: the Norrbotten policy copied into a folder without manifest.json,
then an untagged document on the same topic beside it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, NORRBOTTEN, base_settings

from assistant.pipeline import Assistant
from ingest.infer import infer_meta
from ingest.load import DocMeta
from ingest.pipeline import ingest

QUESTION = "Vem ska förskriva rollatorer för utomhusanvändning i Norrbotten?"
UNTAGGED = """Allmänna råd om rollatorer

En rollator är ett gånghjälpmedel med hjul. Rollatorn ska provas ut så att handtagen har rätt
höjd, och brukaren ska få instruktioner om bromsarna och om hur rollatorn fälls ihop.
Rollatorer för utomhusbruk har större hjul än rollatorer för inomhusbruk.
"""


def test_region_publisher_and_date_are_read_from_the_text() -> None:
    text = ("Policy för Region Kronoberg, antagen 2024-05-02\n" + "Kronobergs kommuner … " * 3
            + "Växjö och Ljungby … nämner Skåne en gång.")
    meta = infer_meta(text, DocMeta(title="x", inferred=("title",)))
    assert meta.regions == ("Kronoberg",)
    assert meta.publisher == "Region Kronoberg" and meta.date == "2024-05-02"
    assert {"regions", "publisher", "date"} <= set(meta.inferred)


def test_a_region_named_once_or_twice_is_not_inferred() -> None:
    meta = infer_meta("Nationella riktlinjer. Som i Dalarna och Skåne.",
                      DocMeta(inferred=("title",)))
    assert meta.regions == ()


def test_declared_metadata_is_kept() -> None:
    declared = DocMeta(title="Policy", regions=("Dalarna",), date="2020-01-01")
    assert infer_meta("Norrbotten " * 10, declared) == declared


@pytest.fixture(scope="module")
def untagged_corpus(tmp_path_factory: pytest.TempPathFactory, bundled_cache_dir: Path):
    corpus = tmp_path_factory.mktemp("untagged")
    shutil.copy(CORPUS / NORRBOTTEN, corpus / "riktlinjer.txt")
    settings = base_settings(index_dir=tmp_path_factory.mktemp("index"), corpus_dir=corpus,
                             embedding_cache_dir=bundled_cache_dir)
    return settings, corpus


@pytest.mark.slow
def test_a_document_without_metadata_answers_for_its_region(untagged_corpus) -> None:
    settings, corpus = untagged_corpus
    report = ingest(settings, progress=False)
    assert not report.errors, report.errors
    assistant = Assistant.from_settings(settings)
    chunks = [c for c in assistant.retriever.chunks if c.doc == "riktlinjer.txt"]
    assert chunks and all(c.regions == ("Norrbotten",) and c.regions_inferred for c in chunks)
    answer = assistant.ask(QUESTION)
    assert not answer.refused, answer.warnings
    # (the rule checker's own citation names the bundled file its rule was written from)
    assert any(c.doc == "riktlinjer.txt" for c in answer.citations)

    # An untagged document on the same topic does not outvote it.
    (corpus / "rollatorer.txt").write_text(UNTAGGED, encoding="utf-8")
    ingest(settings, progress=False)
    assistant.reload()
    answer = assistant.ask(QUESTION)
    assert not answer.refused, answer.warnings
    assert any(c.doc == "riktlinjer.txt" for c in answer.citations)
