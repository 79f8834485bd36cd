"""Benchmarks of ingest, query latency/throughput and corpus scale (see docs/benchmarks.md).

Modules, one job each:
    machine   describe the machine (CPU model, cores, RAM) for the results table
    measure   small measuring helpers: counting embeddings, RSS, folder size, percentiles
    variants  make a ×N corpus by varying the real documents (pure text functions)
    ingest_bench  cold build, unchanged re-run and one changed document
    query_bench   warm ask latency, generative TTFT when a local model exists, 4 askers
    scale_bench   ×N corpus: ingest time, index size, memory, query p95, retrieval quality
    results   write JSON, Markdown tables and the latency-vs-corpus-size plot
    cli       `python -m benchmarks ingest|query|scale|report`

Example:
    $ python -m benchmarks ingest
    $ python -m benchmarks scale --factor 5
    $ python -m benchmarks report       # tables + plot from benchmarks/results/*.json
"""
