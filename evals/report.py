"""Render a scored report: Markdown for people, a short stdout table, an optional bar chart.

Example:
    >>> fmt(0.8666), fmt(None), fmt(1234.5, ms=True)
    ('0.867', '–', '1234')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Summary metrics in display order, with the one-line meaning shown in report.md.
SUMMARY_METRICS: tuple[tuple[str, str], ...] = (
    ("answer_correctness", "all items: must_include met and nothing forbidden; or refused"),
    ("answer_correctness_answerable", "answerable items only"),
    ("answer_correctness_unanswerable", "unanswerable items only (refused)"),
    ("citation_hit_rate", "answerable: some gold source hit by a citation"),
    ("source_recall", "answerable: share of gold sources hit"),
    ("refusal_accuracy", "refused == not answerable, all items"),
    ("refusal_precision", "of refusals, share on unanswerable items"),
    ("refusal_recall", "of unanswerable items, share refused"),
    ("false_refusal_rate", "of answerable items, share refused (lower is better)"),
    ("rule_agreement", "items with a gold rule: checker decided and verdict agrees"),
    ("rule_agreement_gold_facts", "items with a gold rule: the rule base, given the gold facts, "
                                  "reaches the gold verdict"),
    ("citation_precision", "cited quotes standing verbatim in the cited document"),
    ("cited_sentence_share", "answer sentences carrying a [n] marker"),
    ("retrieval_hit_at_1", "a gold passage ranked first"),
    ("retrieval_hit_at_5", "a gold passage in the top 5"),
    ("retrieval_mrr_at_10", "mean 1/rank of the first gold passage (top 10)"),
    ("retrieval_ndcg_at_10", "nDCG@10 over gold sources"),
    ("latency_p50_ms", "median end-to-end latency"),
    ("latency_p95_ms", "95th percentile end-to-end latency"),
    ("unsupported_claim_rate", "generative: claims no cited passage supports / all claims"),
    ("ttft_p50_ms", "generative: median time to first token"),
    ("ttft_p95_ms", "generative: 95th percentile time to first token"),
)

# Rows of the baselines and compare tables (a subset that every configuration measures).
COMPARE_METRICS = ("answer_correctness", "answer_correctness_answerable",
                   "answer_correctness_unanswerable", "citation_hit_rate", "source_recall",
                   "refusal_accuracy", "false_refusal_rate", "rule_agreement",
                   "citation_precision", "cited_sentence_share", "retrieval_hit_at_1",
                   "retrieval_hit_at_5", "retrieval_mrr_at_10", "retrieval_ndcg_at_10",
                   "unsupported_claim_rate", "latency_p50_ms", "latency_p95_ms",
                   "ttft_p50_ms", "ttft_p95_ms")

STDOUT_METRICS = ("answer_correctness", "citation_hit_rate", "refusal_accuracy",
                  "false_refusal_rate", "rule_agreement", "rule_agreement_gold_facts",
                  "citation_precision",
                  "retrieval_hit_at_5", "retrieval_mrr_at_10", "latency_p50_ms", "latency_p95_ms")

BREAKDOWN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "n"),
    ("answer_correctness", "correct"),
    ("citation_hit_rate", "cit. hit"),
    ("source_recall", "src recall"),
    ("refusal_accuracy", "refusal acc."),
    ("rule_agreement", "rule agr."),
    ("retrieval_hit_at_5", "hit@5"),
    ("retrieval_mrr_at_10", "MRR@10"),
    ("latency_p50_ms", "p50 ms"),
)

MAX_ANSWER_CHARS = 1500


def fmt(value: Any, ms: bool = False) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.0f}" if ms else f"{value:.3f}"
    return str(value)


def _fmt_metric(key: str, value: Any) -> str:
    return fmt(value, ms=key.endswith("_ms"))


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _clip(text: str, limit: int = MAX_ANSWER_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _quote_block(text: str) -> list[str]:
    return ["> " + line if line else ">" for line in (text or "(empty)").splitlines()]


def render_markdown(report: dict[str, Any]) -> str:
    meta = report.get("meta", {})
    s = report["summary"]
    out: list[str] = ["# Evaluation report", ""]
    for key in ("gold", "created_utc", "mode", "items_asked", "quick", "corpus", "batch",
                "duration_s"):
        if key in meta:
            out.append(f"- **{key}**: {meta[key]}")
    out += [(f"- **items**: {s['n']} ({s['n_answerable']} answerable, "
             f"{s['n_unanswerable']} unanswerable); errors: {s['errors']}; "
             f"citations: {s['n_citations']}; items with a gold rule: {s['n_rule']}; "
             f"items with retrieval: {s['n_retrieval']}"), ""]

    out += ["## Metrics", ""]
    out += _table(["metric", "value", "meaning"],
                  [[k, _fmt_metric(k, s.get(k)), meaning] for k, meaning in SUMMARY_METRICS])

    lat = report.get("latency", {})
    out += ["", "## Latency", ""]
    rows = [["overall", fmt(lat.get("overall", {}).get("n")),
             fmt(lat.get("overall", {}).get("p50_ms"), ms=True),
             fmt(lat.get("overall", {}).get("p95_ms"), ms=True)]]
    for group in ("per_stage", "per_type"):
        for name, v in lat.get(group, {}).items():
            label = f"stage: {name}" if group == "per_stage" else f"type: {name}"
            rows.append([label, fmt(v["n"]), fmt(v["p50_ms"], ms=True), fmt(v["p95_ms"], ms=True)])
    out += _table(["", "n", "p50 ms", "p95 ms"], rows)

    if report.get("baselines"):
        out += ["", "## Baselines (same questions, same answerer)", ""]
        out += baselines_markdown(report["baselines"])

    for title, key in (("By question type", "by_type"), ("By region", "by_region")):
        out += ["", f"## {title}", ""]
        out += _table([key.split("_")[1]] + [h for _, h in BREAKDOWN_COLUMNS],
                      [[name] + [_fmt_metric(k, agg.get(k)) for k, _ in BREAKDOWN_COLUMNS]
                       for name, agg in report.get(key, {}).items()])

    items = report.get("items", [])
    wrong = [r for r in items if not r["correct"]]
    out += ["", f"## Wrong answers ({len(wrong)})", ""]
    if not wrong:
        out.append("None.")
    for r in wrong:
        out += [f"### {r['id']} ({r['type']}, {r['region'] or 'no region'})"
                + (f", follow-up of {r['followup_of']}" if r.get("followup_of") else ""), "",
                f"**Why:** {r['reason']}", "", "**Question:**", ""]
        out += _quote_block(r["question"])
        out += ["", "**Answer:**" + (" (refused)" if r["refused"] else ""), ""]
        out += _quote_block(_clip(r["answer"]))
        out += ["", "**Gold answer:**", ""]
        out += _quote_block(r["gold_answer"])
        out.append("")

    cit_miss = [r for r in items if r["citation_hit"] is False]
    out += ["", f"## Citation misses ({len(cit_miss)})", ""]
    out += _table(["id", "question", "cited docs", "gold docs"],
                  [[r["id"], _clip(r["question"], 120),
                    ", ".join(sorted({c["doc"] for c in r["cited"]})) or "(none)",
                    ", ".join(sorted({g["doc"] for g in r["gold_sources"]}))]
                   for r in cit_miss]) if cit_miss else ["None."]

    rule_miss = [r for r in items if r["rule_agrees"] is False]
    out += ["", f"## Rule disagreements ({len(rule_miss)})", ""]
    out += _table(["id", "gold verdict", "status", "checker verdict"],
                  [[r["id"], r["gold_verdict"], r["rule_status"], r["rule_verdict"] or "–"]
                   for r in rule_miss]) if rule_miss else ["None."]

    # `verbatim` is empty when no corpus was given, hence not strict.
    not_verbatim = [(r["id"], c) for r in items
                    for c, ok in zip(r["cited"], r["verbatim"], strict=False) if ok is False]
    gold_rule_miss = [r for r in report.get("rule_gold_facts", []) if not r["agrees"]]
    out += ["", f"## Rule base vs gold facts: disagreements ({len(gold_rule_miss)})", ""]
    out += [f"- {r['id']}: gold {r['gold']!r}, rule base {r['verdict']!r} ({r['rule']}); "
            f"missing {r['missing']}" for r in gold_rule_miss] or ["None."]
    out += ["", f"## Quotes not verbatim in their document ({len(not_verbatim)})", ""]
    out += _table(["id", "doc", "quote"], [[i, c["doc"], _clip(c["quote"], 200)]
                                           for i, c in not_verbatim]) \
        if not_verbatim else ["None."]

    errors = [r for r in items if r.get("error")]
    if errors or report.get("missing_outputs") or report.get("unknown_outputs"):
        out += ["", "## Errors", ""]
        out += [f"- {r['id']}: {r['error']}" for r in errors]
        if report.get("unknown_outputs"):
            out.append(f"- outputs without a gold item: {', '.join(report['unknown_outputs'])}")
    if "gate" in report:
        out += ["", "## Gate", ""]
        failures = report["gate"]["failures"]
        out += [f"- FAIL {f}" for f in failures] or ["All thresholds met."]
    return "\n".join(out) + "\n"


def comparison_table(columns: dict[str, dict[str, Any]],
                     metrics: tuple[str, ...] = COMPARE_METRICS) -> list[str]:
    """Markdown rows: one metric a row, one configuration (name → summary) a column. Rows that
    no configuration measured are left out."""
    names = list(columns)
    rows = [[k] + [_fmt_metric(k, columns[n].get(k)) for n in names] for k in metrics
            if any(columns[n].get(k) is not None for n in names)]
    return _table(["metric"] + names, rows)


def ratio(a: Any, b: Any) -> float | None:
    """a / b, or None when either is missing or b is zero."""
    if a is None or b is None or not b:
        return None
    return float(a) / float(b)


def baselines_markdown(baselines: dict[str, Any]) -> list[str]:
    """The one baselines table plus headline ratios of the shipped hybrid against the rest."""
    summaries: dict[str, dict[str, Any]] = baselines.get("summary", {})
    out = comparison_table(summaries)
    hybrid = summaries.get("hybrid")
    if hybrid:
        out += ["", "Headline ratios (hybrid ÷ baseline; for latency, below 1 means faster):", ""]
        for name, other in summaries.items():
            if name == "hybrid":
                continue
            parts = [f"{label} ×{fmt(ratio(hybrid.get(k), other.get(k)))}"
                     for k, label in (("answer_correctness", "correct"),
                                      ("citation_hit_rate", "citation hit"),
                                      ("retrieval_mrr_at_10", "MRR@10"),
                                      ("latency_p95_ms", "p95 latency"))
                     if ratio(hybrid.get(k), other.get(k)) is not None]
            out.append(f"- vs {name}: " + (", ".join(parts) or "–"))
    notes = baselines.get("notes", [])
    if notes:
        out += [""] + [f"- {n}" for n in notes]
    return out


def render_comparison(reports: dict[str, dict[str, Any]]) -> str:
    """Side-by-side Markdown of several reports (e.g. extractive vs generative)."""
    out = ["# Evaluation comparison", ""]
    for name, rep in reports.items():
        meta = rep.get("meta", {})
        out.append(f"- **{name}**: {meta.get('gold', '?')}, mode {meta.get('mode', '?')}, "
                   f"{rep['summary'].get('n')} items, created {meta.get('created_utc', '?')}")
    out += ["", "## Metrics", ""]
    out += comparison_table({n: r["summary"] for n, r in reports.items()},
                            tuple(k for k, _ in SUMMARY_METRICS))
    stages = sorted({s for r in reports.values()
                     for s in r.get("latency", {}).get("per_stage", {})})
    if stages:
        out += ["", "## Latency per stage (p50 / p95 ms)", ""]
        rows = []
        for stage in stages:
            row = [stage]
            for rep in reports.values():
                v = rep.get("latency", {}).get("per_stage", {}).get(stage)
                row.append("–" if not v else f"{fmt(v['p50_ms'], ms=True)} / "
                                             f"{fmt(v['p95_ms'], ms=True)}")
            rows.append(row)
        out += _table(["stage"] + list(reports), rows)
    return "\n".join(out) + "\n"


def summary_table(report: dict[str, Any]) -> str:
    """A short plain-text table for stdout."""
    s = report["summary"]
    rows = [(k, _fmt_metric(k, s.get(k))) for k in STDOUT_METRICS]
    width = max(len(k) for k, _ in rows)
    lines = [f"{'items':<{width}}  {s['n']} ({s['n_answerable']} answerable, errors {s['errors']})"]
    lines += [f"{k:<{width}}  {v}" for k, v in rows]
    for k in ("unsupported_claim_rate", "ttft_p50_ms", "ttft_p95_ms"):
        if s.get(k) is not None:
            lines.append(f"{k:<{width}}  {_fmt_metric(k, s[k])}")
    baselines = report.get("baselines", {}).get("summary", {})
    if baselines:
        lines += ["", "Baselines:"] + comparison_table(baselines)
    types = report.get("by_type", {})
    if types:
        lines.append("")
        lines.append(f"{'type':<{width}}  correct  cit.hit  n")
        for name, agg in types.items():
            lines.append(f"{name:<{width}}  {fmt(agg['answer_correctness']):>7}  "
                         f"{fmt(agg['citation_hit_rate']):>7}  {agg['n']}")
    return "\n".join(lines)


def write_chart(report: dict[str, Any], path: Path) -> Path | None:
    """A bar chart of answer correctness per question type; None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display on servers and in CI
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    types = report.get("by_type", {})
    names = list(types)
    values = [types[n]["answer_correctness"] or 0.0 for n in names]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(names, values, color="#3b6ea5")
    ax.set_ylim(0, 1.15)  # room for the n= labels above full bars
    ax.set_ylabel("answer correctness")
    ax.set_title("Answer correctness per question type")
    for i, n in enumerate(names):
        ax.text(i, values[i] + 0.02, f"n={types[n]['n']}", ha="center", fontsize=8)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
