"""Plumbing of the benchmark code on a tiny corpus (real index, real Chroma, real e5; fast).

The figures themselves come from `python -m benchmarks ...` on the bundled corpus
(docs/benchmarks.md); here we check that each benchmark measures what it says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.machine import describe_machine
from benchmarks.results import load_results, refresh, render_results, save_result
from benchmarks.variants import invented_regions, make_scaled_corpus, vary_text
from core.text import lexicon

DOC_A = ("Rollatorer i Testland\n\n"
         "Region Testland beslutade 2019 att rollator för utomhusbruk förskrivs av "
         "vårdcentralen i första hand när patienten själv kan ta sig dit.\n\n"
         "Rollator för inomhusbruk förskrivs av kommunens arbetsterapeut efter hembesök.\n\n"
         "Avgifter\n\nEgenavgiften i Testland är 200 kronor per hjälpmedelsbesök från 2020.\n")
DOC_B = ("Vaccination\n\nSjuksköterskor i Provlän får ordinera vaccin mot influensa enligt "
         "föreskrifterna från 2024.\n\nDelegering av vaccination kräver skriftligt beslut.\n")


@pytest.fixture()
def tiny_corpus(tmp_path: Path, make_corpus) -> Path:
    return make_corpus(tmp_path / "corpus", {"a.txt": DOC_A, "b.txt": DOC_B},
                       regions={"a.txt": ["Testland"], "b.txt": ["Provlän"]})


def tiny_items() -> list:
    from evals.gold import GoldItem, GoldSource

    return [GoldItem(id="q1", question="Vem förskriver en rollator för utomhusbruk i Testland?",
                     type="boundary", answerable=True, must_include=(("vårdcentral",),),
                     sources=(GoldSource("a.txt", "rollator för utomhusbruk förskrivs av "
                                                  "vårdcentralen i första hand"),)),
            GoldItem(id="q2", question="Får sjuksköterskor ordinera vaccin mot influensa?",
                     type="vaccination", answerable=True, must_include=(("vaccin",),),
                     sources=(GoldSource("b.txt", "Sjuksköterskor i Provlän får ordinera "
                                                  "vaccin mot influensa"),))]


def test_variants_rename_regions_shift_years_and_keep_originals(tmp_path: Path,
                                                                tiny_corpus: Path) -> None:
    assert vary_text("Region Testland 2019", {"Testland": "Ekmarken"}, 3, seed=1) \
        == "Region Ekmarken 2016"
    real = {name.lower() for name in lexicon()["regions"]}
    assert not real & {name.lower() for name in invented_regions()}

    made = make_scaled_corpus(tiny_corpus, tmp_path / "x3", 3)
    assert made == {"factor": 3, "documents": 6, "variants": 4}
    assert (tmp_path / "x3" / "a.txt").read_text(encoding="utf-8") == DOC_A
    manifest = json.loads((tmp_path / "x3" / "manifest.json").read_text(encoding="utf-8"))
    regions = {d["file"]: d["regions"] for d in manifest["documents"]}
    assert regions["a.txt"] == ["Testland"]
    variant = (tmp_path / "x3" / "a--v001.txt").read_text(encoding="utf-8")
    assert "Testland" not in variant and regions["a--v001.txt"][0] in variant
    assert "2019" not in variant and "2017" in variant  # year_shift = k % 9 + 1 = 2
    assert regions["a--v001.txt"] != regions["a--v002.txt"]
    # Deterministic: a second build gives the same files (so ×10 reuses ×5's embeddings).
    make_scaled_corpus(tiny_corpus, tmp_path / "again", 3)
    assert (tmp_path / "again" / "a--v002.txt").read_text(encoding="utf-8") \
        == (tmp_path / "x3" / "a--v002.txt").read_text(encoding="utf-8")


def test_ingest_benchmark_counts_embeddings_per_step(tmp_path: Path, tiny_corpus: Path) -> None:
    from benchmarks.ingest_bench import run_ingest_benchmark

    result = run_ingest_benchmark(tiny_corpus, tmp_path / "work")
    steps = result["steps"]
    cold = steps["cold"]
    assert cold["documents"] == 2 and cold["embedded"] == cold["chunks"] == cold["added"] > 0
    assert steps["unchanged"]["embedded"] == 0
    assert steps["unchanged"]["skipped"] == cold["chunks"]
    changed = steps["one_changed"]
    assert 1 <= changed["embedded"] < cold["chunks"] and changed["added"] >= 1
    assert steps["fresh_clone"]["chunks"] == cold["chunks"]
    assert result["index_mb"] > 0


def test_query_benchmark_shares_one_assistant_across_threads(tmp_path: Path,
                                                            tiny_corpus: Path) -> None:
    from assistant.pipeline import Assistant
    from benchmarks.query_bench import run_query_benchmark
    from benchmarks.setup import build_index, isolated_settings

    settings = isolated_settings(tmp_path / "w", tiny_corpus)
    built = build_index(settings)
    assistant = Assistant(settings, built.embeddings, built.client)
    questions = [it.question for it in tiny_items()] * 2
    result = run_query_benchmark(assistant, questions, workers=2, generative_limit=0)
    assert result["sequential"]["latency"]["n"] == 4
    assert set(result["sequential"]["per_stage"]) >= {"retrieve", "answer"}
    conc = result["concurrent"]
    assert conc["errors"] == [] and conc["identical_to_sequential"] == 4
    assert result["generative"]["skipped"].startswith("not asked")


def test_scale_benchmark_and_results(tmp_path: Path, tiny_corpus: Path) -> None:
    from benchmarks.scale_bench import run_scale_benchmark

    cache = tmp_path / "cache"
    x1 = run_scale_benchmark(tiny_corpus, tmp_path / "x1", 1, items=tiny_items(),
                             cache_dir=cache)
    x2 = run_scale_benchmark(tiny_corpus, tmp_path / "x2", 2, items=tiny_items(),
                             cache_dir=cache)
    assert (x1["documents"], x2["documents"]) == (2, 4)
    assert x2["chunks"] > x1["chunks"] and x2["index_mb"] > 0
    assert x2["ingest"]["embedded"] <= x2["chunks"] - x1["chunks"]  # originals were cached
    assert x1["quality"]["retrieval_hit_at_5"] == 1.0
    assert x2["quality"]["retrieval_hit_at_5"] is not None
    assert x2["query"]["latency"]["n"] == 2 and x2["rss_mb"]["peak"] > 0

    results = tmp_path / "results"
    for r in (x1, x2):
        save_result(r, results)
    assert set(load_results(results)) == {"scale_x1", "scale_x2"}
    md = refresh(results).read_text(encoding="utf-8")
    assert "| ×2 | 4 |" in md and "cpu_model" in md
    assert (results / "latency_vs_size.png").stat().st_size > 1000
    assert "## Ingest" not in render_results(load_results(results))


def test_machine_description() -> None:
    machine = describe_machine()
    assert machine["logical_cpus"] >= 1 and machine["cpu_model"]


def test_sparse_probe_measures_bm25_without_embeddings(tmp_path: Path, tiny_corpus: Path) -> None:
    from benchmarks.results import render_results
    from benchmarks.scale_bench import run_sparse_probe

    result = run_sparse_probe(tiny_corpus, tmp_path / "w", 3, items=tiny_items())
    assert result["kind"] == "scale_sparse" and result["documents"] == 6
    assert result["bm25_query"]["n"] == 2 and result["chunks"] >= 6
    assert not (tmp_path / "w" / "index").exists()  # nothing was embedded or stored
    assert "| ×3 | 6 |" in render_results({"scale_sparse_x3": result})
