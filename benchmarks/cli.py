"""CLI: `python -m benchmarks ingest|query|scale --factor N|report`.

Every command works in a temporary folder (never data/index), writes
`benchmarks/results/<name>.json` and regenerates results.md and latency_vs_size.png.

Example:
    $ python -m benchmarks scale --factor 5 --questions 20
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.results import RESULTS_DIR, load_results, refresh, save_result
from core.settings import PROJECT_ROOT

DEFAULT_CORPUS = PROJECT_ROOT / "corpus"


def _work(args: argparse.Namespace, name: str) -> Path:
    base = Path(args.work) if args.work else Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"bench-{name}-", dir=base))


def _finish(result: dict[str, Any], args: argparse.Namespace, work: Path) -> int:
    out = Path(args.results)
    path = save_result(result, out)
    md = refresh(out)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"\nResult: {path}\nTables: {md}", file=sys.stderr)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from benchmarks.ingest_bench import run_ingest_benchmark

    work = _work(args, "ingest")
    return _finish(run_ingest_benchmark(Path(args.corpus), work), args, work)


def cmd_query(args: argparse.Namespace) -> int:
    from assistant.pipeline import Assistant
    from benchmarks.query_bench import generative, run_query_benchmark
    from benchmarks.setup import build_index, dev_items, isolated_settings, seed_cache

    work = _work(args, "query")
    settings = isolated_settings(work, Path(args.corpus),
                                 cache_dir=seed_cache(work / "embedding_cache"))
    built = build_index(settings)
    questions = [it.question for it in dev_items(args.questions)]
    progress = lambda s: print(s, file=sys.stderr)  # noqa: E731
    if args.generative_only:
        # Slow on a shared CPU: measured on its own and merged into the last query.json.
        previous = load_results(Path(args.results)).get("query")
        if previous is None:
            print("error: run `python -m benchmarks query` first", file=sys.stderr)
            return 2
        previous["generative"] = generative(settings, questions, args.generative_questions,
                                            progress)
        return _finish(previous, args, work)
    assistant = Assistant(settings, built.embeddings, built.client)
    result = run_query_benchmark(assistant, questions, workers=args.workers,
                                 generative_limit=args.generative_questions, progress=progress)
    result["index_build_s"] = round(built.seconds, 1)
    return _finish(result, args, work)


def cmd_scale(args: argparse.Namespace) -> int:
    from benchmarks.scale_bench import run_scale_benchmark
    from benchmarks.setup import dev_items

    if args.factor < 1:
        print("error: --factor must be 1 or more", file=sys.stderr)
        return 2
    work = _work(args, f"x{args.factor}")
    if args.sparse_only:
        from benchmarks.scale_bench import run_sparse_probe

        return _finish(run_sparse_probe(Path(args.corpus), work, args.factor,
                                        items=dev_items(args.questions)), args, work)
    cache = Path(args.cache) if args.cache else None
    result = run_scale_benchmark(Path(args.corpus), work, args.factor,
                                 items=dev_items(args.questions), cache_dir=cache)
    return _finish(result, args, work)


def cmd_report(args: argparse.Namespace) -> int:
    print(refresh(Path(args.results)).read_text(encoding="utf-8"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Ingest, query and scale benchmarks.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", default=str(DEFAULT_CORPUS), help="corpus folder")
    common.add_argument("--results", default=str(RESULTS_DIR), help="results folder")
    common.add_argument("--work", help="folder for temporary indexes (default: system tmp)")
    common.add_argument("--keep", action="store_true", help="keep the temporary folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("ingest", parents=[common], help="cold, unchanged, one changed, fresh clone"
                   ).set_defaults(func=cmd_ingest)
    q = sub.add_parser("query", parents=[common], help="warm latency and 4 concurrent askers")
    q.add_argument("--questions", type=int, help="only the first N dev questions")
    q.add_argument("--workers", type=int, default=4)
    q.add_argument("--generative-questions", type=int, default=3,
                   help="generative questions to time when the local model exists (0: none)")
    q.add_argument("--generative-only", action="store_true",
                   help="only the generative timing, merged into the last query.json")
    q.set_defaults(func=cmd_query)
    s = sub.add_parser("scale", parents=[common], help="a ×N corpus of document variants")
    s.add_argument("--factor", type=int, required=True, help="corpus multiple (×100 = 500 docs)")
    s.add_argument("--questions", type=int, help="only the first N dev questions")
    s.add_argument("--cache", help="embedding cache folder (default "
                                   "data/index/bench_embedding_cache, seeded from the shipped one)")
    s.add_argument("--sparse-only", action="store_true",
                   help="no embeddings: chunking, BM25 build and BM25 query time, RSS (×100)")
    s.set_defaults(func=cmd_scale)
    r = sub.add_parser("report", parents=[common], help="rebuild results.md and the plot")
    r.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
