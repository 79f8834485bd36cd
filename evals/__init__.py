"""Evaluation of the assistant against gold questions (see evals/README.md).

Modules, one job each:
    gold      load and validate a gold JSONL file
    outputs   the batch output of one answered question (from a file or from the assistant)
    textmatch word overlap and verbatim-quote normalisation shared by the metrics
    metrics   pure metric functions (per item and aggregates)
    scoring   combine gold + outputs into one report dictionary
    report    render a report as Markdown, a stdout table and an optional chart
    gate      compare a report with thresholds.toml
    baselines bm25 / dense / hybrid columns and the "tutorial" LangChain RAG baseline
    feedback  turn the app's feedback export into candidate gold items
    run       the CLI: `python -m evals run|score|compare|gold-from-feedback`
"""
