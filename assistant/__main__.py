"""CLI: `python -m assistant [--index DIR] ingest|ask|batch …`.

Examples:
    python -m assistant ingest                       # the bundled corpus/
    python -m assistant ask "Vem förskriver en utomhusrollator i Norrbotten?"
    python -m assistant ask "Får en rehabassistent förskriva?" --region Dalarna --json
    python -m assistant batch evals/dev.jsonl out.jsonl
    python -m assistant ask "Vem förskriver en rollator i Norrbotten?" --answer-mode generative
    python -m assistant editor-password              # the editor password's line for secrets.toml
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from assistant.provenance import UNREVIEWED_LABEL
from core.names import fits, is_too_long, name_max, too_long_message
from core.settings import AnswerMode
from core.terminal import printable

if TYPE_CHECKING:
    from assistant.rules.engine import RuleBase


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant",
                                     description="Hjälpmedelsassistenten")
    parser.add_argument("--index", type=Path, default=None,
                        help="indexmapp (standard: data/index, eller HJALP_INDEX_DIR)")
    parser.set_defaults(answer_mode=None)  # for the commands without --answer-mode
    sub = parser.add_subparsers(dest="command", required=True)
    p_ingest = sub.add_parser("ingest", help="läs in dokument i indexet")
    p_ingest.add_argument("paths", nargs="*", type=Path,
                          help="filer eller mappar (standard: corpus/)")
    p_ask = sub.add_parser("ask", help="ställ en fråga")
    p_ask.add_argument("question")
    p_ask.add_argument("--region", default=None)
    p_ask.add_argument("--json", action="store_true", help="skriv svaret som JSON")
    p_batch = sub.add_parser("batch", help="besvara frågor från en JSONL-fil")
    p_batch.add_argument("input", type=Path)
    p_batch.add_argument("output", type=Path)
    for p in (p_ask, p_batch):
        # --mode too, so that existing scripts keep working.
        p.add_argument("--answer-mode", "--mode", dest="answer_mode",
                       choices=[m.value for m in AnswerMode], default=None,
                       help="svarsläge (standard: settings.answer_mode, dvs. extractive); "
                            "generative kräver en språkmodell, se docs/generative.md")
    p_rules = sub.add_parser("rules", help="regelbasen: list, show ID, check, test, coverage")
    p_rules.add_argument("action", choices=["list", "show", "check", "test", "coverage"])
    p_rules.add_argument("rule_id", nargs="?", help="regelns id (för show)")
    p_rules.add_argument("--facts", default=None,
                         help='fakta som JSON, t.ex. \'{"region": "Norrbotten", "age": 80}\'')
    p_rules.add_argument("--question", default=None, help="läs fakta ur en fråga (för check)")
    p_rules.add_argument("--json", action="store_true", help="skriv täckningen som JSON (coverage)")
    p_rules.add_argument("--corpus", type=Path, default=None,
                         help="dokumentmapp för coverage (standard: corpus/)")
    sub.add_parser("editor-password",
                   help="skapa redaktörslösenordets hash för .streamlit/secrets.toml")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "editor-password":
        # Before the settings: making a password needs no index, and a broken setting must
        # not stop an administrator from turning editing on.
        return editor_password()
    from assistant.generate.local_server import BackendUnavailable
    from core.embeddings import EmbeddingModelError
    from core.settings import Settings
    from core.store import IndexNotWritable, StoreUnavailable

    try:
        settings = Settings.load()
        if args.index is not None:
            settings = settings.with_(index_dir=args.index)
        if args.answer_mode:
            settings = settings.with_(answer_mode=args.answer_mode)
        return _run(args, settings)
    except (EmbeddingModelError, StoreUnavailable, BackendUnavailable, IndexNotWritable,
            ValueError, OSError) as exc:
        # "[Errno 36] File name too long: '<300 bytes>'" says neither which name nor what to do.
        text = too_long_message(exc.filename or "") if is_too_long(exc) else str(exc)
        print(printable(f"Fel: {text}"), file=sys.stderr)
        for note in getattr(exc, "__notes__", ()):  # e.g. where a stopped batch kept its answers
            print(printable(f"OBS: {note}"), file=sys.stderr)
        return 2


def editor_password(out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Ask for a new editor password twice (not echoed) and print the secrets file's lines.

    Only the salted hash is printed: the password itself is never stored or shown.
    """
    from assistant.editors import SECRETS_FILE, hash_password, new_password_problem, secrets_lines

    out, err = out or sys.stdout, err or sys.stderr
    try:
        password = getpass.getpass("Nytt redaktörslösenord: ")
        again = getpass.getpass("Samma lösenord igen: ")
    except (EOFError, KeyboardInterrupt):
        print("\nAvbrutet; inget lösenord skapades.", file=err)
        return 1
    problem = new_password_problem(password, again)
    if problem is not None:
        print(f"Fel: {problem}", file=err)
        return 2
    print(f"Klistra in raderna nedan i {SECRETS_FILE} (ersätt ett tidigare "
          "[editor]-avsnitt) och starta om appen. Filen ska inte checkas in.", file=err)
    print(secrets_lines(hash_password(password)), end="", file=out)
    return 0


def _coverage(rulebase: RuleBase, args: argparse.Namespace) -> int:
    """Which decisive sentences of the corpus a rule quotes, which are explained, which are open."""
    from assistant.rules.coverage import Coverage, corpus_sentences, measure

    corpus = args.corpus or Path(__file__).resolve().parent.parent / "corpus"
    report = measure(rulebase, corpus_sentences(corpus))
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
        return 0
    data = report.to_json()
    for doc, row in sorted(data["per_doc"].items()):
        print(f"{doc:55} regel {row['rule']:4}  förklarad {row['explained']:4}  "
              f"öppen {row['open']:4}")
    for item in report.items:
        if item.status is Coverage.OPEN:
            print(f"ÖPPEN  {item.sentence.doc} | {item.sentence.section} | "
                  f"{' '.join(item.sentence.text.split())[:160]}")
    print(f"{data['decisive']} avgörande meningar: {data['rule']} med regel, "
          f"{data['explained']} förklarade, {data['open']} öppna; täckning {data['share']:.0%}")
    return 0


def _rules(args: argparse.Namespace) -> int:
    """Rules need no model or index: list, show, check facts and run the YAML cases."""
    from assistant.rules.cases import run_cases
    from assistant.rules.engine import RuleBase, ask_for
    from assistant.rules.facts import extract_facts, infer_topics, normalize_facts

    rulebase = RuleBase.load()
    if args.action == "coverage":
        return _coverage(rulebase, args)
    if args.action == "list":
        for rule in rulebase.rules:
            print(f"{rule.id:55} {rule.region:12} {rule.topic:18} {rule.then}")
        print(f"{len(rulebase.rules)} regler")
        return 0
    if args.action == "show":
        rule = rulebase.get(args.rule_id or "")
        if rule is None:
            print(f"Fel: ingen regel med id {args.rule_id!r}; se `rules list`.", file=sys.stderr)
            return 2
        print(json.dumps({"id": rule.id, "region": rule.region, "topic": rule.topic,
                          "when": rule.when, "then": rule.then, "answer": rule.answer,
                          "source": rule.source.to_json(), "valid": rule.validity,
                          "overrides": list(rule.overrides), "notes": rule.notes,
                          "warning": rule.warning, "file": rule.file},
                         ensure_ascii=False, indent=2, default=str))
        return 0
    if args.action == "check":
        if args.question:
            extracted = extract_facts(args.question, rulebase=rulebase)
            facts, topics, explicit = extracted.facts, extracted.topics, extracted.date_explicit
            notes = list(extracted.notes)
        else:
            notes = []
            try:
                facts = normalize_facts(json.loads(args.facts or "{}"))
            except json.JSONDecodeError as exc:
                print(f"Fel: --facts är inte giltig JSON ({exc.msg}).", file=sys.stderr)
                return 2
            topics, explicit = infer_topics(facts), "date" in facts
        decision = rulebase.decide(facts, date_explicit=explicit, topics=topics)
        print(json.dumps({"facts": facts, "topics": list(topics), "notes": notes,
                          "verdict": decision.verdict, "computed": decision.computed,
                          "rule": decision.rule.id if decision.rule else None,
                          "conflict": decision.conflict,
                          "missing_facts": [ask_for(m) for m in decision.missing],
                          "warnings": list(decision.warnings), "trace": list(decision.trace)},
                         ensure_ascii=False, indent=2))
        return 0
    results = run_cases(rulebase)
    for result in results:
        if not result.ok:
            print(f"FEL  {result.name}: {result.problem}")
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def _run(args: argparse.Namespace, settings) -> int:
    if args.command == "rules":
        return _rules(args)
    from assistant.pipeline import Assistant

    if args.command == "ingest":
        assistant = Assistant.from_settings(settings, build_if_missing=False)
        report = assistant.ingest(args.paths or None)
        # An error or notice names a file, and a file name may hold a newline or escape codes.
        for error in report.errors:
            print(printable(f"Hoppade över {error}"), file=sys.stderr)
        print("\n".join(printable(line) for line in report.summary().split("\n")))
        return 1 if report.errors and not report.documents else 0
    if args.command == "batch":
        from assistant.batch import check_rows

        # Every line is checked before the model and index load; bad ones are named at once.
        # An output name the file system cannot hold would fail only after every answer.
        if not fits(args.output.name, name_max(args.output.parent)):
            print(printable(f"Fel: {too_long_message(args.output, 'utfilens namn')} Utfilen är "
                            "orörd."), file=sys.stderr)
            return 2
        checked = check_rows(args.input)
        if checked.problems:
            print(checked.message(args.input), file=sys.stderr)
        if not checked.rows:
            print("Inga giltiga frågor att besvara; utfilen är orörd. "
                  "(No valid questions; the output file is unchanged.)", file=sys.stderr)
            return 2
    assistant = Assistant.from_settings(settings)
    if settings.answer_mode is AnswerMode.GENERATIVE:
        assistant.generative_answerer()  # fails here, clearly, if the model is not available
    if args.command == "ask":
        answer = assistant.ask(args.question, region=args.region)
        if args.json:
            print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
        else:
            print(answer.text)
            for warning in answer.warnings:
                print(f"OBS: {warning}")
            for c in answer.citations:
                mark = "" if c.reviewed else f" – {UNREVIEWED_LABEL}"
                print(f"\n[{c.n}] {c.title} – {c.section or '(utan rubrik)'} ({c.location})"
                      f"{mark}\n"
                      f"    ”{c.quote}”\n    {c.doc}")
        return 0
    return _batch(assistant, checked, args.output, skipped=len(checked.problems))


def _batch(assistant, checked, output: Path, skipped: int) -> int:
    """Answer the good rows; SIGTERM stops the run like Ctrl-C, keeping a partial file."""
    import signal

    from assistant.batch import BatchInterrupted, write_answers

    received: list[int] = []

    def terminate(signum, frame):  # noqa: ARG001 - signal handler signature
        received.append(signum)
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        n = write_answers(assistant, checked.rows, output)
    except BatchInterrupted as stop:
        print(stop, file=sys.stderr)
        return 128 + (received[0] if received else signal.SIGINT)  # the shell's convention
    finally:
        signal.signal(signal.SIGTERM, previous)
    print(f"{n} frågor besvarade → {printable(output)}")
    if skipped:
        print(f"{skipped} felaktiga rader hoppades över (se ovan). "
              f"({skipped} invalid lines skipped, see above.)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
