"""CLI: answer the gold questions with the assistant and score them, or score a batch file.

Usage:
    python -m evals run [--set evals/dev.jsonl] [--out evals/reports] [--quick] [--ids a,b]
                        [--answer-mode extractive] [--gate evals/thresholds.toml]
                        [--baselines [bm25,dense,hybrid,tutorial] | --no-baselines]
    python -m evals score GOLD.jsonl BATCH_OUT.jsonl [--corpus corpus] [--out DIR] [--gate FILE]
    python -m evals compare REPORT_A REPORT_B [...] [--out compare.md]
    python -m evals gold-from-feedback feedback.jsonl --out evals/candidates.jsonl

Exit codes: 0 done (and gate passed), 1 gate failed, 2 bad input or the assistant is missing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from evals.baselines import PIPELINE_MODES, TUTORIAL_K, TutorialRag, mode_asker, parse_baselines
from evals.errors import InputFileError
from evals.gate import GateFileError, check, load_thresholds
from evals.gold import GoldFileError, GoldItem, conversation, load_gold
from evals.outputs import (
    ItemOutput,
    load_outputs,
    output_from_answer,
    output_to_json,
)
from evals.report import render_comparison, render_markdown, summary_table, write_chart
from evals.rules_gold import gold_fact_agreement
from evals.scoring import score
from evals.textmatch import CorpusTexts

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SET = PROJECT_ROOT / "evals" / "dev.jsonl"
DEFAULT_OUT = PROJECT_ROOT / "evals" / "reports"
DEFAULT_CORPUS = PROJECT_ROOT / "corpus"


def select_items(items: Sequence[GoldItem], quick: bool = False,
                 ids: Sequence[str] | None = None) -> list[GoldItem]:
    """The items to ask, in file order. `quick`: the first item of each type; `ids`: those ids.
    Earlier turns of a selected follow-up are always included, since it is asked with them."""
    by_id = {it.id: it for it in items}
    if ids:
        unknown = [i for i in ids if i not in by_id]
        if unknown:
            raise GoldFileError("--ids", None, f"unknown id(s): {', '.join(unknown)}")
        wanted = set(ids)
    elif quick:
        first: dict[str, str] = {}
        for it in items:
            first.setdefault(it.type, it.id)
        wanted = set(first.values())
    else:
        return list(items)
    for item_id in list(wanted):
        wanted.update(prev.id for prev in conversation(by_id[item_id], by_id))
    return [it for it in items if it.id in wanted]


def ask_all(assistant: Any, items: Sequence[GoldItem],
            progress: Callable[[str], None] | None = None) -> dict[str, ItemOutput]:
    """Ask every item in order; a follow-up gets its conversation's earlier questions and the
    assistant's own earlier answers as history. An exception is recorded, not raised, so that
    one failing question does not lose the whole run."""
    from core.values import Turn

    by_id = {it.id: it for it in items}
    outputs: dict[str, ItemOutput] = {}
    for n, item in enumerate(items, start=1):
        history = [Turn(question=prev.question,
                        answer=outputs[prev.id].answer if prev.id in outputs else "")
                   for prev in conversation(item, by_id)]
        start = time.perf_counter()
        try:
            answer = assistant.ask(item.question, history=history, region=None)
            wall_ms = (time.perf_counter() - start) * 1000.0
            out = output_from_answer(item.id, answer, wall_ms=round(wall_ms, 1))
        except Exception as exc:  # noqa: BLE001 - report any failure per item and go on
            wall_ms = (time.perf_counter() - start) * 1000.0
            out = ItemOutput(id=item.id, latency_ms=round(wall_ms, 1),
                             error=f"{type(exc).__name__}: {exc}")
        outputs[item.id] = out
        if progress:
            status = "ERROR " + out.error if out.error else ("refused" if out.refused else "ok")
            progress(f"[{n}/{len(items)}] {item.id} {status} ({wall_ms:.0f} ms)")
    return outputs


def build_assistant(answer_mode: str) -> tuple[Any, dict[str, Any], Path]:
    """The assistant with this answer mode, its settings (for the report) and corpus dir."""
    from assistant.pipeline import Assistant
    from core.settings import Settings

    settings = Settings.load().with_(answer_mode=answer_mode)
    assistant = Assistant.from_settings(settings)
    described = {f.name: _plain(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
    return assistant, described, Path(settings.corpus_dir)


def write_report(report: dict[str, Any], out_root: Path, outputs: Sequence[ItemOutput] = (),
                 chart: bool = True,
                 extra_outputs: dict[str, Sequence[ItemOutput]] | None = None) -> Path:
    """Write report.json, report.md, outputs.jsonl (when given), `outputs_<baseline>.jsonl`
    per baseline and per_type.png into a new `<out_root>/<UTC timestamp>/` directory; returns
    that directory."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out_root / stamp
    suffix = 1
    while target.exists():  # two runs within one second must not overwrite each other
        suffix += 1
        target = out_root / f"{stamp}-{suffix}"
    target.mkdir(parents=True)
    (target / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    (target / "report.md").write_text(render_markdown(report), encoding="utf-8")
    if outputs:
        with (target / "outputs.jsonl").open("w", encoding="utf-8") as fh:
            for out in outputs:
                fh.write(json.dumps(output_to_json(out), ensure_ascii=False) + "\n")
    for name, outs in (extra_outputs or {}).items():
        with (target / f"outputs_{name}.jsonl").open("w", encoding="utf-8") as fh:
            for out in outs:
                fh.write(json.dumps(output_to_json(out), ensure_ascii=False) + "\n")
    if chart:
        try:
            write_chart(report, target / "per_type.png")
        except Exception as exc:  # noqa: BLE001 - the chart is optional; never lose a report
            print(f"(chart not written: {exc})", file=sys.stderr)
    return target


def apply_gate(report: dict[str, Any], gate: Path | None) -> list[str]:
    if gate is None:
        return []
    failures = check(report["summary"], load_thresholds(gate))
    report["gate"] = {"file": str(gate), "failures": failures}
    return failures


def wanted_baselines(args: argparse.Namespace) -> tuple[str, ...]:
    """Baselines run by default on a full run; not with --quick, --ids or --gate (the CI gate
    must stay fast) unless asked for with --baselines."""
    if args.baselines is False:
        return ()
    if args.baselines is None or args.baselines is True:
        partial = args.quick or bool(args.ids) or args.gate is not None
        return () if (partial and args.baselines is None) else parse_baselines(None)
    return parse_baselines(args.baselines)


def run_baselines(names: Sequence[str], assistant: Any, items: Sequence[GoldItem],
                  main_outputs: dict[str, ItemOutput], texts: CorpusTexts,
                  progress: Callable[[str], None] | None = None
                  ) -> tuple[dict[str, Any], dict[str, list[ItemOutput]]]:
    """Ask `items` once per baseline and score each; "hybrid" reuses the main run's outputs
    (it is the shipped configuration). Returns (report["baselines"], outputs per baseline)."""
    summaries: dict[str, Any] = {}
    latency: dict[str, Any] = {}
    outputs: dict[str, list[ItemOutput]] = {}
    notes: list[str] = []
    for name in names:
        if name == "hybrid":
            outs = main_outputs
        elif name in PIPELINE_MODES:
            if progress:
                progress(f"baseline {name}: asking {len(items)} questions")
            outs = ask_all(mode_asker(assistant, name), items)
        else:  # tutorial
            cache = Path(assistant.settings.index_dir) / "evals_tutorial"
            if progress:
                progress(f"baseline tutorial: building/reusing its index in {cache}")
            tutorial = TutorialRag.build(assistant.settings, cache)
            notes.append(f"tutorial: {len(tutorial.by_id)} chunks (1000/200), index "
                         f"{'built' if tutorial.embedded else 'reused'} in "
                         f"{tutorial.build_seconds:.1f} s; top-{TUTORIAL_K} dense on the question "
                         "as asked; extractive answerer; no rule checker")
            outs = ask_all(tutorial, items)
        rep = score(items, outs, doc_text=texts, known_doc=texts.exists)
        if name == "tutorial":
            # It has no rule checker: "0 %" would read as 24 wrong verdicts, not "no checker".
            rep["summary"]["rule_agreement"] = None
        summaries[name] = rep["summary"]
        latency[name] = rep["latency"]
        outputs[name] = [outs[it.id] for it in items if it.id in outs]
    notes.append("bm25, dense and hybrid: the project's pipeline (query understanding, region "
                 "scoping, answerer, rule checker) with that retrieval mode")
    return {"columns": list(names), "summary": summaries, "latency": latency,
            "notes": notes}, outputs


def cmd_run(args: argparse.Namespace) -> int:
    items = load_gold(args.set)
    ids = [i.strip() for i in args.ids.split(",") if i.strip()] if args.ids else None
    selected = select_items(items, quick=args.quick, ids=ids)
    if args.gate is not None:
        load_thresholds(args.gate)  # a bad thresholds file should fail before a long run
    try:
        baselines = wanted_baselines(args)
    except ValueError as exc:
        print(f"error: --baselines: {exc}", file=sys.stderr)
        return 2
    try:
        assistant, settings, corpus_dir = build_assistant(args.answer_mode)
    except ImportError as exc:
        print(f"The assistant cannot be imported ({exc}); is assistant/pipeline.py there?",
              file=sys.stderr)
        return 2
    print(f"Asking {len(selected)} of {len(items)} questions from {args.set} "
          f"(answer mode {args.answer_mode})", file=sys.stderr)
    start = time.perf_counter()
    outputs = ask_all(assistant, selected, progress=lambda s: print(s, file=sys.stderr))
    duration = time.perf_counter() - start
    texts = CorpusTexts(corpus_dir)
    report = score(selected, outputs, doc_text=texts, known_doc=texts.exists)
    gold_rules = gold_fact_agreement(selected)
    report["summary"]["rule_agreement_gold_facts"] = gold_rules["rule_agreement_gold_facts"]
    report["rule_gold_facts"] = gold_rules["rule_gold_fact_rows"]
    report["meta"] = {
        "command": "run",
        "gold": str(args.set),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": args.answer_mode,  # the answer mode; the key is kept for older reports
        "quick": args.quick,
        "items_asked": len(selected),
        "corpus": str(corpus_dir),
        "duration_s": round(duration, 1),
        "settings": settings,
    }
    extra: dict[str, list[ItemOutput]] = {}
    if baselines:
        report["baselines"], extra = run_baselines(
            baselines, assistant, selected, outputs, texts,
            progress=lambda s: print(s, file=sys.stderr))
        extra.pop("hybrid", None)  # the same as outputs.jsonl
        report["meta"]["duration_with_baselines_s"] = round(time.perf_counter() - start, 1)
    return _finish(report, args, [outputs[it.id] for it in selected], always_write=True,
                   extra_outputs=extra)


def cmd_score(args: argparse.Namespace) -> int:
    items = load_gold(args.gold)
    outputs = load_outputs(args.batch)
    texts = CorpusTexts(args.corpus) if args.corpus and Path(args.corpus).is_dir() else None
    if texts is None:
        print(f"(corpus {args.corpus} not found: citation precision not measured)",
              file=sys.stderr)
    report = score(items, outputs, doc_text=texts,
                   known_doc=texts.exists if texts is not None else None)
    report["meta"] = {
        "command": "score",
        "gold": str(args.gold),
        "batch": str(args.batch),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": str(args.corpus) if texts is not None else None,
    }
    return _finish(report, args, [], always_write=False)


def _finish(report: dict[str, Any], args: argparse.Namespace, outputs: Sequence[ItemOutput],
            always_write: bool,
            extra_outputs: dict[str, Sequence[ItemOutput]] | None = None) -> int:
    failures = apply_gate(report, args.gate)
    if always_write or args.out is not None:
        target = write_report(report, args.out or DEFAULT_OUT, outputs,
                              chart=not getattr(args, "no_chart", False),
                              extra_outputs=extra_outputs)
        print(f"Report: {target / 'report.md'}")
    print(summary_table(report))
    if report["missing_outputs"]:
        print(f"\nNo output for {len(report['missing_outputs'])} gold item(s), scored as wrong: "
              + ", ".join(report["missing_outputs"]))
    if args.gate is not None:
        if failures:
            print(f"\nGATE FAILED ({args.gate}):")
            for failure in failures:
                print(f"  - {failure}")
            return 1
        print(f"\nGate passed ({args.gate}).")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals",
                                     description="Evaluate the assistant on gold questions.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="answer the gold questions and write a report")
    run.add_argument("--set", type=Path, default=DEFAULT_SET, help="gold JSONL file")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT,
                     help="reports directory (a <UTC timestamp>/ folder is made in it)")
    run.add_argument("--quick", action="store_true",
                     help="only the first question of each type (plus earlier turns)")
    run.add_argument("--ids", help="comma-separated ids to ask (plus earlier turns)")
    # --mode too, so that existing scripts keep working.
    run.add_argument("--answer-mode", "--mode", dest="answer_mode", default="extractive",
                     help="answer mode passed as Settings.answer_mode (default: extractive)")
    run.add_argument("--gate", type=Path, help="thresholds TOML; exit 1 if a metric falls short")
    run.add_argument("--no-chart", action="store_true", help="do not write per_type.png")
    run.add_argument("--baselines", nargs="?", const=True, default=None,
                     help="also run baselines (default on full runs: bm25,dense,hybrid,tutorial;"
                          " off with --quick/--ids/--gate); optionally a comma-separated subset")
    run.add_argument("--no-baselines", dest="baselines", action="store_false",
                     help="skip the baselines")
    run.set_defaults(func=cmd_run)

    sc = sub.add_parser("score", help="score an existing batch output JSONL file")
    sc.add_argument("gold", type=Path, help="gold JSONL file")
    sc.add_argument("batch", type=Path, help="batch output JSONL file (one answer a line)")
    sc.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="corpus directory, for the verbatim-quote check")
    sc.add_argument("--out", type=Path, help="also write report files under this directory")
    sc.add_argument("--gate", type=Path, help="thresholds TOML; exit 1 if a metric falls short")
    sc.set_defaults(func=cmd_score)

    cmp_ = sub.add_parser("compare", help="side-by-side table of report.json files "
                                          "(e.g. extractive vs generative)")
    cmp_.add_argument("reports", type=Path, nargs="+",
                      help="report directories or report.json files")
    cmp_.add_argument("--names", help="comma-separated column names (default: mode or folder)")
    cmp_.add_argument("--out", type=Path, help="write the Markdown here too")
    cmp_.set_defaults(func=cmd_compare)

    fb = sub.add_parser("gold-from-feedback",
                        help="turn the app's feedback export into candidate gold items")
    fb.add_argument("feedback", type=Path, help="feedback export JSONL from the app")
    fb.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "candidates.jsonl",
                    help="candidate gold file to write (default: evals/candidates.jsonl)")
    fb.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                    help="corpus directory: cited quotes must stand verbatim in it")
    fb.add_argument("--id-prefix", default="fb", help="prefix of the new ids (default: fb)")
    fb.set_defaults(func=cmd_gold_from_feedback)
    return parser


def load_report(path: Path) -> dict[str, Any]:
    """A report.json (or the directory holding one); raises ReportFileError when unusable."""
    file = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportFileError(f"{file}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"{file}: bad JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("summary"), dict):
        raise ReportFileError(f"{file}: not a report.json (no 'summary' object)")
    return data


class ReportFileError(ValueError):
    """A report file given to `compare` that cannot be read."""


def cmd_compare(args: argparse.Namespace) -> int:
    reports = [load_report(p) for p in args.reports]
    names = [n.strip() for n in args.names.split(",")] if args.names else []
    if names and len(names) != len(reports):
        raise ReportFileError(f"--names has {len(names)} names for {len(reports)} reports")
    if not names:
        for path, rep in zip(args.reports, reports, strict=True):
            base = str(rep.get("meta", {}).get("mode") or path.resolve().name)
            name, n = base, 1
            while name in names:
                n += 1
                name = f"{base} ({n})"
            names.append(name)
    text = render_comparison(dict(zip(names, reports, strict=True)))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def cmd_gold_from_feedback(args: argparse.Namespace) -> int:
    from evals.gold_from_feedback import write_candidates

    # A FeedbackFileError is reported by main, as every InputFileError.
    result = write_candidates(args.feedback, args.out, corpus_dir=args.corpus,
                              id_prefix=args.id_prefix)
    print(result.summary())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (InputFileError, GateFileError, ReportFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _plain(value: Any) -> Any:
    if isinstance(value, (Path, Enum)):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
