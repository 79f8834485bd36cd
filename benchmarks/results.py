"""Write benchmark results: one JSON per run, a Markdown summary and a latency plot.

`benchmarks/results/` holds `ingest.json`, `query.json`, `scale_x<N>.json` (the latest run of
each) and, regenerated from them after every run, `results.md` and `latency_vs_size.png`.

Usage (writes into benchmarks/results/, so not a doctest):

    save_result(run_scale_benchmark(...), RESULTS_DIR)   # a result dict: {"kind": "scale", …}
    print(render_results(load_results(RESULTS_DIR)))

    >>> result_name({"kind": "scale", "factor": 5}), result_name({"kind": "query"})
    ('scale_x5', 'query')
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.machine import describe_machine

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def result_name(result: dict[str, Any]) -> str:
    if result["kind"] in ("scale", "scale_sparse"):
        return f"{result['kind']}_x{result['factor']}"
    return str(result["kind"])


def save_result(result: dict[str, Any], folder: Path = RESULTS_DIR) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    result = {**result, "machine": result.get("machine") or describe_machine()}
    path = folder / f"{result_name(result)}.json"
    if result["kind"] == "scale" and path.is_file():
        # A re-run finds the variants' embeddings cached; keep the build that computed them.
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            old = {}
        first = old.get("first_build") or old.get("ingest")
        if first and first.get("embedded", 0) > result["ingest"].get("embedded", 0):
            result["first_build"] = first
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def load_results(folder: Path = RESULTS_DIR) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and "kind" in data:
            out[path.stem] = data
    return out


def _v(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
            + ["| " + " | ".join(r) + " |" for r in rows])


def scale_results(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted((r for r in results.values() if r["kind"] == "scale"),
                  key=lambda r: r["factor"])


def render_results(results: dict[str, dict[str, Any]]) -> str:
    """Markdown tables: machine, ingest steps, query latency/throughput, scale."""
    out = ["# Benchmark results", ""]
    machine = next((r["machine"] for r in results.values() if r.get("machine")), None)
    if machine:
        out += _table(["machine", ""], [[k, _v(v)] for k, v in machine.items()]) + [""]
    ingest = results.get("ingest")
    if ingest:
        out += ["## Ingest (bundled corpus)", ""]
        out += _table(["step", "seconds", "embedded", "chunks", "added", "updated", "skipped",
                       "deleted", "embedded/s"],
                      [[name, _v(s["seconds"]), _v(s["embedded"]), _v(s["chunks"]),
                        _v(s["added"]), _v(s["updated"]), _v(s["skipped"]), _v(s["deleted"]),
                        _v(s["embedded_per_s"], 2)]
                       for name, s in ingest["steps"].items()])
        out += ["", f"Index size: {ingest['index_mb']} MB.", ""]
    query = results.get("query")
    if query:
        seq, conc = query["sequential"], query["concurrent"]
        out += ["## Query (warm, extractive)", ""]
        rows = [["sequential, total", _v(seq["latency"]["p50_ms"], 0),
                 _v(seq["latency"]["p95_ms"], 0), _v(seq["questions_per_s"], 2)]]
        rows += [[f"sequential, stage {s}", _v(v["p50_ms"], 0), _v(v["p95_ms"], 0), ""]
                 for s, v in seq["per_stage"].items()]
        rows.append([f"{conc['workers']} concurrent askers (one shared Assistant)",
                     _v(conc["latency"]["p50_ms"], 0), _v(conc["latency"]["p95_ms"], 0),
                     _v(conc["questions_per_s"], 2)])
        out += _table(["", "p50 ms", "p95 ms", "questions/s"], rows)
        out += ["", f"Concurrent answers identical to sequential: "
                    f"{conc['identical_to_sequential']}/{conc['questions']}; errors: "
                    f"{len(conc['errors'])}. Throughput ratio concurrent/sequential: "
                    f"{query['throughput_ratio_concurrent_vs_sequential']}.", ""]
        gen = query.get("generative", {})
        if gen.get("skipped"):
            out += [f"Generative: not measured ({gen['skipped']}).", ""]
        elif gen:
            out += _table(["generative", "p50 ms", "p95 ms"],
                          [["time to first token", _v(gen["ttft"]["p50_ms"], 0),
                            _v(gen["ttft"]["p95_ms"], 0)],
                           ["total", _v(gen["total"]["p50_ms"], 0),
                            _v(gen["total"]["p95_ms"], 0)]]) + [""]
            for i, q in enumerate(gen.get("per_question_ms", []), start=1):
                out.append(f"- question {i}: first token {_v(q['ttft'])} ms, "
                           f"total {_v(q['total'])} ms")
            if gen.get("server_start_s") is not None:
                out.append(f"- local server start and model load: {gen['server_start_s']} s "
                           "(not counted in the first token)")
            if gen.get("note"):
                out.append(f"- note: {gen['note']}")
            out.append("")
    scale = scale_results(results)
    if scale:
        out += ["## Scale", ""]
        base = scale[0]["quality"] if scale[0]["factor"] == 1 else None
        rows = []
        for r in scale:
            q = r["quality"]
            build = r.get("first_build") or r["ingest"]
            rows.append([f"×{r['factor']}", _v(r["documents"]), _v(r["chunks"]),
                         _v(build["seconds"]), _v(build["embedded"]),
                         _v(r["ingest"]["seconds"]),
                         _v(r["index_mb"]), _v(r["rss_mb"]["peak"], 0),
                         _v(r["query"]["latency"]["p50_ms"], 0),
                         _v(r["query"]["latency"]["p95_ms"], 0),
                         _v(q["retrieval_hit_at_5"], 3),
                         _v(q.get("retrieval_hit_at_5_any_doc"), 3),
                         _v(q["retrieval_mrr_at_10"], 3),
                         _v(q["answer_correctness"], 3),
                         "" if base is None else _v(
                             (q["retrieval_hit_at_5"] or 0) - (base["retrieval_hit_at_5"] or 0),
                             3)])
        out += _table(["corpus", "docs", "chunks", "build s", "embedded",
                       "ingest s (embeddings cached)", "index MB", "peak RSS MB",
                       "query p50 ms", "query p95 ms", "hit@5", "hit@5 any file", "MRR@10",
                       "correct", "Δ hit@5 vs ×1"], rows)
        out += ["", "build s / embedded: the build that computed the variants' embeddings "
                    "(the shared cache already held those of smaller factors). hit@5 any file: "
                    "a passage with the gold quote's text counts whichever file it is from.",
                ""]
    sparse = sorted((r for r in results.values() if r["kind"] == "scale_sparse"),
                    key=lambda r: r["factor"])
    if sparse:
        out += ["## Scale without embeddings (measured, BM25 side only)", ""]
        out += _table(["corpus", "docs", "chunks", "chunking s", "BM25 + vocabulary build s",
                       "BM25 query p50 ms", "BM25 query p95 ms", "peak RSS MB"],
                      [[f"×{r['factor']}", _v(r["documents"]), _v(r["chunks"]),
                        _v(r["chunking_s"]), _v(r["bm25_and_vocabulary_build_s"]),
                        _v(r["bm25_query"]["p50_ms"], 1), _v(r["bm25_query"]["p95_ms"], 1),
                        _v(r["rss_mb"]["peak"], 0)] for r in sparse])
        out.append("")
    return "\n".join(out) + "\n"


def write_plot(results: dict[str, dict[str, Any]], path: Path) -> Path | None:
    """Query latency p50/p95 against corpus size (chunks); None with fewer than 2 factors."""
    scale = scale_results(results)
    sparse = sorted((r for r in results.values() if r["kind"] == "scale_sparse"),
                    key=lambda r: r["factor"])
    if len(scale) < 2:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    chunks = [r["chunks"] for r in scale]
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in (("p50_ms", "ask p50"), ("p95_ms", "ask p95")):
        ax.plot(chunks, [r["query"]["latency"][key] for r in scale], marker="o", label=label)
    for r in scale:
        ax.annotate(f"×{r['factor']}", (r["chunks"], r["query"]["latency"]["p95_ms"]),
                    textcoords="offset points", xytext=(4, 4), fontsize=8)
    if sparse:
        # Measured without embeddings, so it reaches ×100: the part that grows with size.
        ax.plot([r["chunks"] for r in sparse], [r["bm25_query"]["p95_ms"] for r in sparse],
                marker="s", linestyle="--", label="BM25 stage p95 (no embeddings needed)")
        for r in sparse:
            ax.annotate(f"×{r['factor']}", (r["chunks"], r["bm25_query"]["p95_ms"]),
                        textcoords="offset points", xytext=(4, -10), fontsize=8)
        ax.set_xscale("log")
    ax.set_xlabel("chunks in the index" + (" (log scale)" if sparse else ""))
    ax.set_ylabel("latency (ms)")
    ax.set_title("Query latency vs corpus size (extractive, 45 dev questions)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def refresh(folder: Path = RESULTS_DIR) -> Path:
    """Regenerate results.md (and the plot) from the JSON files in `folder`."""
    results = load_results(folder)
    (folder / "results.md").write_text(render_results(results), encoding="utf-8")
    write_plot(results, folder / "latency_vs_size.png")
    return folder / "results.md"
