"""Query benchmark: warm latency of `ask`, generative TTFT when a local model is installed, and
throughput with 4 concurrent askers.

Concurrency uses ONE shared Assistant across threads (what the Streamlit app does with
`st.cache_resource`). That is checked, not assumed: every concurrent answer must equal the
sequential answer to the same question (text, citations, refusal); the count of mismatches and
errors is part of the result.

Usage (answers every dev question several times, so not a doctest):

    result = run_query_benchmark(assistant, dev_items(), workers=4)
    result["concurrent"]["identical_to_sequential"]   # == result["concurrent"]["questions"]
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Sequence

from benchmarks.measure import percentiles


def _key(answer: Any) -> tuple[Any, ...]:
    return (answer.text, answer.refused, tuple((c.doc, c.quote) for c in answer.citations))


def _ask_timed(assistant: Any, question: str) -> tuple[Any, float]:
    start = time.perf_counter()
    answer = assistant.ask(question)
    return answer, (time.perf_counter() - start) * 1000


def sequential(assistant: Any, questions: Sequence[str]) -> tuple[dict[str, Any], list[Any]]:
    """Ask each question once, in order (after one warm-up ask)."""
    assistant.ask(questions[0])  # warm-up: first-call costs (model pages, caches) excluded
    answers, walls, stages = [], [], {}
    start = time.perf_counter()
    for q in questions:
        answer, ms = _ask_timed(assistant, q)
        answers.append(answer)
        walls.append(ms)
        for stage, value in answer.timings_ms.items():
            stages.setdefault(stage, []).append(value)
    total = time.perf_counter() - start
    return {"questions": len(questions), "total_s": round(total, 2),
            "questions_per_s": round(len(questions) / total, 2),
            "latency": percentiles(walls),
            "per_stage": {s: percentiles(v) for s, v in sorted(stages.items())}}, answers


def concurrent(assistant: Any, questions: Sequence[str], reference: Sequence[Any],
               workers: int = 4) -> dict[str, Any]:
    """All questions through `workers` threads sharing one Assistant; answers compared with
    the sequential `reference` answers."""
    errors: list[str] = []
    results: list[tuple[Any, float] | None] = [None] * len(questions)

    def one(i: int) -> None:
        try:
            results[i] = _ask_timed(assistant, questions[i])
        except Exception as exc:  # noqa: BLE001 - a thread-safety failure is a finding
            errors.append(f"{questions[i][:60]}: {type(exc).__name__}: {exc}")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(one, range(len(questions))))
    total = time.perf_counter() - start
    done = [(i, r) for i, r in enumerate(results) if r is not None]
    identical = sum(_key(r[0]) == _key(reference[i]) for i, r in done)
    return {"workers": workers, "shared_assistant": True, "questions": len(questions),
            "total_s": round(total, 2), "questions_per_s": round(len(questions) / total, 2),
            "latency": percentiles(r[1] for _, r in done),
            "identical_to_sequential": identical, "errors": errors}


def generative(settings: Any, questions: Sequence[str], limit: int = 5,
               progress: Any = None) -> dict[str, Any]:
    """TTFT and total for a few questions in generative mode; skipped (with the reason) when
    the local model file is missing or generative answering fails to start."""
    from core.settings import LlmBackend

    if limit <= 0:
        return {"skipped": "not asked (--generative-questions 0)"}
    model = Path(settings.local_model_path)
    if settings.llm_backend is LlmBackend.LOCAL and not model.is_file():
        return {"skipped": f"no local model at {model}"}
    try:
        from assistant.pipeline import Assistant

        assistant = Assistant.from_settings(settings.with_(answer_mode="generative"))
        start_s = 0.0
        if settings.llm_backend is LlmBackend.LOCAL:
            # Start the server and load the model first: that one-off cost is not TTFT.
            from assistant.generate.local_server import ensure_local_server

            t0 = time.perf_counter()
            ensure_local_server(settings)
            start_s = time.perf_counter() - t0
        ttft, totals = [], []
        for q in questions[:limit]:
            start = time.perf_counter()
            first = None
            stream = assistant.ask_stream(q)
            for _piece in stream:
                if first is None:
                    first = (time.perf_counter() - start) * 1000
            totals.append((time.perf_counter() - start) * 1000)
            ttft.append(first)
            if progress:
                progress(f"generative {len(totals)}/{min(limit, len(questions))}: first token "
                         f"{first or 0:.0f} ms, total {totals[-1]:.0f} ms")
        return {"questions": len(totals), "server_start_s": round(start_s, 1),
                "ttft": percentiles(ttft), "total": percentiles(totals),
                "per_question_ms": [{"ttft": None if f is None else round(f),
                                     "total": round(t)}
                                    for f, t in zip(ttft, totals, strict=True)]}
    except Exception as exc:  # noqa: BLE001 - report why, keep the extractive figures
        return {"skipped": f"generative mode failed: {type(exc).__name__}: {exc}"}


def run_query_benchmark(assistant: Any, questions: Sequence[str], workers: int = 4,
                        generative_limit: int = 5, progress: Any = None) -> dict[str, Any]:
    seq, answers = sequential(assistant, questions)
    conc = concurrent(assistant, questions, answers, workers)
    gen = generative(assistant.settings, questions, generative_limit, progress)
    speedup = conc["questions_per_s"] / seq["questions_per_s"] if seq["questions_per_s"] else None
    return {"kind": "query", "mode": assistant.settings.answer_mode, "sequential": seq,
            "concurrent": conc, "throughput_ratio_concurrent_vs_sequential":
                None if speedup is None else round(speedup, 2),
            "generative": gen}
