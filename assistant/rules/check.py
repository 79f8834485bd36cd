"""Check: compare an answer with the rule that decides its question; verify or correct it.

The model (or the extractive answerer) proposes, the rules decide:
- `verified`: the answer states the rule's conclusion and nothing that contradicts it, no cited
  sentence says otherwise, and the agreement does not rest on unreviewed uploads alone;
- `corrected`: it did not (or said the opposite): the rule's conclusion, with the rule's own
  citation, is put first in the answer, and the explanation says why;
- `conflict`: several rules apply with different conclusions: shown, not guessed;
- `not_checkable`: no rule applies, or facts are missing (named, e.g. "ange patientens ålder").

Example:
    >>> checker = RuleChecker(RuleBase.load())
    >>> result = checker.check("Vem förskriver en utomhusrollator i Norrbotten till en 80-åring "
    ...                        "utan hemsjukvård?", "… vårdcentralen i första hand …")
    >>> result.rule_check.status
    'verified'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Mapping, Sequence

from assistant.rules.branches import question_back
from assistant.rules.engine import (
    Decision,
    DecisionKind,
    Rule,
    RuleBase,
    RuleDecision,
    ask_for,
    day_of,
)
from assistant.rules.facts import ExtractedFacts, extract_facts
from assistant.rules.wording import english_conclusion
from assistant.text import stem
from core.text import has_quote, split_sentences
from core.values import REFUSAL, Answer, Chunk, Citation, RuleCheck

# Who is responsible is stated by a phrase, not by the name alone ("Region Kronoberg" says
# nothing about whose responsibility something is).
_KOMMUN = re.compile(r"kommun\w*s ansvar|kommun\w* ansvarar|ansvarar kommun|kommun\w* förskriver")
_REGION = re.compile(r"(region|landsting)\w*s ansvar|(regionen|landstinget) ansvarar"
                     r"|ansvarar (regionen|landstinget)|(regionen|landstinget) förskriver")
_RESPONSIBLE = {"kommun": (_KOMMUN, _REGION), "region": (_REGION, _KOMMUN)}
# A sentence that gives a decision to everyone ("förskrivs av alla, även icke-legitimerad
# personal") contradicts a rule that gives it to someone: a party, a category, a "nej".
_EVERYONE = re.compile(
    r"\bförskriv\w*\s+av\s+(?:alla|vem\s+som\s+helst|var\s+och\s+en|envar)\b"
    r"(?!\s+(?:förskrivare|legitimerade|hjälpmedel))"
    r"|\b(?:alla|vem\s+som\s+helst|var\s+och\s+en|envar)\s+(?:\w+\s+){0,2}(?:får|kan)\s+"
    r"(?:\w+\s+){0,2}förskriva"
    r"|\bäven\s+(?:icke-?\s?legitimerad|olegitimerad|outbildad)"
    r"|\butan\s+krav\s+på\s+(?:legitimation|utbildning|behörighet|förskrivarutbildning)"
    r"|\boavsett\s+(?:legitimation|utbildning|yrke|profession)"
    r"|\b(?:anyone|everyone|everybody)\s+(?:\w+\s+){0,2}(?:may|can)\s+prescribe",
    re.IGNORECASE)
_NEGATION = re.compile(r"\b(?:inte|ej|aldrig|not)\b", re.IGNORECASE)
_MARKS = re.compile(r"(?:\s*\[\d+\])+")


@dataclass(frozen=True)
class CheckResult:
    rule_check: RuleCheck
    rule: Rule | None
    facts: ExtractedFacts
    decision: Decision
    conclusion: str = ""  # the sentence to put first when the answer is corrected
    computed: str = ""  # what the rule gives for the case's own figures ("3 månader: 600 kr")


class RuleChecker:
    """Extracts facts, asks the rule base, and compares its verdict with the answer."""

    def __init__(self, rulebase: RuleBase) -> None:
        self.rulebase = rulebase

    def check(self, question: str, answer_text: str, history: Sequence[str] = (),
              region: str | None = None, as_of: date | None = None,
              allowed_topics: frozenset[str] | None = None,
              given: Mapping[str, Any] | None = None,
              lead: frozenset[str] = frozenset(),
              only: frozenset[str] = frozenset(),
              never: frozenset[str] = frozenset()) -> CheckResult:
        """`allowed_topics` (from the question's kind) limits which rules may decide it;
        `given` are facts the user chose in answer to a question back (they win over what
        the question's text says); `lead` the decision kinds its first part asks for; `only`
        the kinds that alone may decide it when its words name no rule topic; `never` the
        kinds that cannot answer it whatever it names."""
        facts = extract_facts(question, history, region, as_of, self.rulebase)
        if given:
            facts = replace(facts, facts={**facts.facts, **given})
        topics = frozenset(facts.topics)
        if history and not facts.states_facts and not given:
            return _undecided(facts, "Följdfrågan anger inget nytt om fallet som en regel avgör.")
        if allowed_topics is not None:
            topics = (topics & allowed_topics) if topics else allowed_topics
            if not topics:
                return _undecided(facts, "Ingen beslutsregel avgör den här sortens fråga.")
        # Named topics say what decides; without them the question's kind does ("får de
        # byta typ?" is no question of whose responsibility it is).
        decision = self.rulebase.decide(facts.facts, date_explicit=facts.date_explicit,
                                        topics=topics, lead=lead,
                                        only=frozenset() if facts.topics else only,
                                        never=never)
        result = self.judge(answer_text, facts, decision)
        back = None
        if result.rule_check.status != "conflict" and (decision.missing or decision.open):
            back = question_back(self.rulebase, facts.facts, day_of(facts.facts), topics,
                                 decision)
        warnings = result.rule_check.warnings
        if back is not None:
            # The question back says what the open exceptions would change, once.
            warnings = tuple(w for w in warnings if w not in decision.open_warnings)
        rule_check = replace(result.rule_check, question=back, given=dict(given or {}),
                             warnings=warnings)
        return replace(result, rule_check=rule_check)

    def judge(self, answer_text: str, facts: ExtractedFacts, decision: Decision) -> CheckResult:
        rule = decision.rule
        if decision.conflict and rule is not None:
            verdicts = "; ".join(sorted({r.then for r in decision.applicable}))
            check = RuleCheck(status="conflict", verdict=verdicts, rule_id=rule.id,
                              citation=_citation(rule),
                              reason="Flera regler gäller med olika slutsatser.",
                              explanation="Flera regler gäller med olika slutsatser: "
                                          + " | ".join(decision.trace),
                              trace=decision.trace, warnings=decision.warnings)
            return CheckResult(check, rule, facts, decision)
        if decision.verdict is None or rule is None:
            missing = tuple(ask_for(m) for m in decision.missing)
            explanation = ("Regeln kan inte avgöras utan fler uppgifter."
                           if missing else "Ingen regel i regelbasen gäller frågan.")
            check = RuleCheck(status="not_checkable", explanation=explanation,
                              reason=explanation, missing_facts=missing)
            return CheckResult(check, None, facts, decision)
        agrees, contradicts = compare(rule.decision, answer_text)
        if agrees and not _amount_from_its_row(rule, answer_text):
            agrees = False
        warnings = tuple(dict.fromkeys((*decision.warnings, *([rule.notes] if rule.notes else []))))
        computed = decision.computed
        verdict = f"{decision.verdict}; {computed}" if computed else decision.verdict
        steps = (*facts.notes, *decision.trace)
        trace = " → ".join(steps)
        if agrees and not contradicts:
            check = RuleCheck(status="verified", verdict=verdict, rule_id=rule.id,
                              citation=_citation(rule),
                              explanation=f"Svaret stämmer med regeln. {trace}",
                              reason="Svaret stämmer med regeln.", trace=steps,
                              warnings=warnings)
            return CheckResult(check, rule, facts, decision, computed=computed)
        why = ("Svaret motsade regeln och har rättats." if contradicts
               else "Svaret angav inte regelns slutsats; den har lagts till.")
        check = RuleCheck(status="corrected", verdict=verdict, rule_id=rule.id,
                          citation=_citation(rule), explanation=f"{why} {trace}", reason=why,
                          trace=steps, warnings=warnings)
        return CheckResult(check, rule, facts, decision,
                           conclusion=conclusion_for(rule, computed=computed), computed=computed)


def compare(decision: RuleDecision, answer: str) -> tuple[bool, bool]:
    """(the answer states the rule's decision, it states something that contradicts it)."""
    text = answer.lower()
    value = decision.value.lower()
    if decision.kind is DecisionKind.JA_NEJ:
        first = re.match(r"\W*(ja|nej|yes|no)\b", text)
        said = {"yes": "ja", "no": "nej"}.get(first.group(1), first.group(1)) if first else None
        return said == value, said is not None and said != value
    if decision.kind is DecisionKind.BELOPP:
        amount = _AMOUNT.match(value)
        if amount:
            wanted = amount.group(1).replace(" ", "")
            amounts = _stated_amounts(text, amount.group(2))
            return wanted in amounts, bool(amounts - {wanted}) and wanted not in amounts
    if decision.kind is DecisionKind.TAS_INTE_UPP:
        says_silent = "framgår inte" in text or "does not say" in text
        return says_silent, not says_silent
    if decision.kind is DecisionKind.ANSVAR:
        states, opposite = _RESPONSIBLE[value]
        return bool(states.search(text)), bool(opposite.search(text))
    # Inflection aside ("vårdcentralen i första hand"), every word of the decision must be there.
    return all(stem(word) in text for word in value.split()), False


# A rule's amount ("1 980 kr", "25 %"): the number and its unit.
_AMOUNT = re.compile(r"(\d[\d ]*)\s*(kr|%)")


def _stated_amounts(text: str, unit: str) -> set[str]:
    """The amounts of the unit the text states, without spaces ("1 980 kr" → "1980")."""
    return {a.replace(" ", "") for a in re.findall(rf"(\d[\d ]*\d|\d)\s*{re.escape(unit)}", text)}


def _amount_from_its_row(rule: Rule, answer: str) -> bool:
    """An amount agrees when the answer states no other amount or quotes the rule's own row: a
    fee table's other rows hold the same sums in other columns ("200 kr 400 kr" of another
    profession's row holds this row's 400 kr)."""
    amount = _AMOUNT.match(rule.decision.value.lower())
    if rule.decision.kind is not DecisionKind.BELOPP or amount is None:
        return True
    amounts = _stated_amounts(answer, amount.group(2))
    return len(amounts) <= 1 or has_quote(answer, rule.source.quote)


def gives_to_everyone(text: str) -> bool:
    """Whether a sentence grants the decision to everyone, unlicensed staff included."""
    return any(not _NEGATION.search(text[max(0, m.start() - 12):m.end()])
               for m in _EVERYONE.finditer(text))


def contradicts_decision(decision: RuleDecision, sentence: str) -> bool:
    """Whether one sentence says the opposite of a decision: another party's responsibility,
    or everyone where the rule names someone (a party, a category) or says no."""
    if decision.kind is DecisionKind.ANSVAR:
        states, opposite = _RESPONSIBLE[decision.value.lower()]
        text = sentence.lower()
        return bool(opposite.search(text)) and not states.search(text)
    restricts = decision.kind in (DecisionKind.PART, DecisionKind.KATEGORI) or (
        decision.kind is DecisionKind.JA_NEJ and decision.value.lower() == "nej")
    return restricts and gives_to_everyone(sentence)


def cited_parts(text: str) -> list[tuple[str, frozenset[int]]]:
    """The answer cut after each group of [n] markers: (the text, the numbers citing it).
    Text after the last marker stands with an empty set."""
    parts: list[tuple[str, frozenset[int]]] = []
    pos = 0
    for m in _MARKS.finditer(text):
        numbers = frozenset(int(n) for n in re.findall(r"\d+", m.group()))
        parts.append((text[pos:m.start()], numbers))
        pos = m.end()
    if text[pos:].strip():
        parts.append((text[pos:], frozenset()))
    return parts


def weigh_citations(answer: Answer, result: CheckResult) -> CheckResult:
    """A `verified` that the citations do not bear out becomes `corrected`: a cited sentence
    contradicts the rule's decision, or only unreviewed documents state it. A contradicting
    sentence that rests on unreviewed documents alone is taken out of the answer."""
    rule = result.rule
    if result.rule_check.status not in ("verified", "corrected") or rule is None:
        return result
    parts = cited_parts(answer.text)
    unreviewed = frozenset(c.n for c in answer.citations if not c.reviewed)
    against = [i for i, (text, marks) in enumerate(parts)
               if marks and contradicts_decision(rule.decision, text)]
    dropped = [i for i in against if parts[i][1] <= unreviewed]
    if dropped:
        _drop_parts(answer, parts, dropped)
    if result.rule_check.status == "corrected":
        return result
    if dropped:
        why = ("Ett stycke ur ett ogranskat dokument motsade regeln och har tagits bort; "
               "regelns slutsats gäller.")
    elif against:
        why = "Ett citerat stycke i svaret motsäger regeln; regelns slutsats gäller."
    elif unreviewed:
        trusted = " ".join(text for text, marks in parts if not marks or marks - unreviewed)
        agrees, contradicts = compare(rule.decision, trusted)
        if agrees and not contradicts:
            return result
        why = ("Svaret stödde regeln bara med ogranskade dokument; regelns slutsats har lagts "
               "till från en granskad källa.")
    else:
        return result
    explanation = result.rule_check.explanation.replace("Svaret stämmer med regeln.", why, 1)
    check = replace(result.rule_check, status="corrected", reason=why, explanation=explanation)
    return replace(result, rule_check=check,
                   conclusion=conclusion_for(rule, computed=result.computed))


def _drop_parts(answer: Answer, parts: list[tuple[str, frozenset[int]]],
                dropped: list[int]) -> None:
    """Take these parts out of the answer text; citations no longer pointed at go, and the
    rest are numbered 1, 2, … again in their order."""
    kept = [(text, marks) for i, (text, marks) in enumerate(parts) if i not in dropped]
    used = {n for _, marks in kept for n in marks}
    citations = [c for c in sorted(answer.citations, key=lambda c: c.n) if c.n in used]
    number = {c.n: i for i, c in enumerate(citations, 1)}
    answer.citations = [replace(c, n=number[c.n]) for c in citations]
    pieces = [text + "".join(f" [{number[n]}]" for n in sorted(marks, key=number.__getitem__))
              for text, marks in kept]
    answer.text = "".join(pieces).strip()


def conclusion_for(rule: Rule, explained: bool = True, computed: str = "") -> str:
    """The rule's conclusion in its own words; `explained` adds the rule's answer text (what a
    correction needs, since the evidence did not say it), `computed` the case's own figure."""
    text = rule.then.strip()
    text = text[0].upper() + text[1:]
    if computed:
        text = f"{text.rstrip('.')}; {computed}"
    if not text.endswith((".", "!", "?")):
        text += "."
    if explained and rule.answer and rule.answer.strip() not in text:
        text = f"{text} {rule.answer.strip()}"
    return f"Enligt regelkontrollen: {text}"


def _citation(rule: Rule) -> dict[str, str]:
    return {**rule.source.to_json(), "valid": rule.validity, "rule_file": rule.file}


def apply_to_answer(answer: Answer, result: CheckResult, chunks: Sequence[Chunk],
                    english: bool = False) -> Answer:
    """Put the checker's verdict on the answer; a correction leads with the rule and cites it.
    An English question gets the conclusion in English (`english`)."""
    result = weigh_citations(answer, result)
    answer.rule_check = result.rule_check
    answer.warnings = list(dict.fromkeys([*answer.warnings, *result.rule_check.warnings]))
    if result.rule_check.status not in ("corrected", "verified") or result.rule is None:
        return answer
    if english:
        result = replace(result, conclusion=english_conclusion(result.rule))
    elif result.rule_check.status == "verified":
        # The evidence agrees with the rule; the rule's conclusion says it in one line
        # ("hembesök krävs" → kommunens ansvar), so it leads. A process rule's one line names
        # who, not the steps the question asks for: its explanation gives them, unless the
        # answer already quotes the further sentences the rule rests on (its steps).
        source = result.rule.source
        steps_missing = result.rule.topic == "process" and not all(
            has_quote(answer.text, q) for q in (source.also or (source.quote,)))
        result = replace(result, conclusion=conclusion_for(
            result.rule, explained=steps_missing, computed=result.computed))
    if result.rule.decision.kind is DecisionKind.TAS_INTE_UPP:
        return _refused_by_rule(answer, result, chunks, english)
    source = result.rule.source
    chunk = _chunk_with(source.doc, source.quote, chunks)
    verified = result.rule_check.status == "verified"
    if not verified and not english and has_quote(answer.text, source.quote):
        # The answer already quotes the sentence the rule rests on: the rule's conclusion is
        # enough, without its explanation again.
        result = replace(result, conclusion=conclusion_for(result.rule, explained=False,
                                                           computed=result.computed))
    same = next((c for c in answer.citations if verified and chunk is not None
                 and c.doc == source.doc and c.text == chunk.text), None)
    if same is not None:
        # The rule rests on a passage the answer already cites: one source, one number.
        return _lead_with(answer, result.conclusion, same.n, result.rule_check.status, english)
    # The rule leads the answer, so its source becomes [1] and the others move one down.
    n = 1
    answer.citations = [replace(c, n=c.n + 1) for c in answer.citations]
    answer.text = re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + 1}]", answer.text)
    answer.citations.insert(0, rule_citation(result.rule, chunk, n))
    # The conclusion is the rule base's wording, not a quote: it points to the rule's source
    # instead of standing under the source's number as if quoted from it.
    return _lead_with(answer, result.conclusion, n, result.rule_check.status, english)


def rule_citation(rule: Rule, chunk: Chunk | None, n: int) -> Citation:
    """Citation n of the passage a rule rests on (its quote; the chunk's place and title)."""
    source = rule.source
    return Citation(
        n=n, doc=source.doc, title=chunk.title if chunk else "", section=source.section,
        location=chunk.location if chunk else "", quote=source.quote,
        text=chunk.text if chunk else source.quote, date=chunk.date if chunk else None,
        publisher=chunk.publisher if chunk else "", page=chunk.page if chunk else None,
        line_start=chunk.line_start if chunk else None,
        line_end=chunk.line_end if chunk else None,
        reviewed=chunk.reviewed if chunk else True, chunk_id=chunk.id if chunk else None)


def _undecided(facts: ExtractedFacts, reason: str) -> CheckResult:
    """No rule speaks to the question: not checkable, with the reason why."""
    check = RuleCheck(status="not_checkable", explanation=reason, reason=reason)
    return CheckResult(check, None, facts, Decision(None, None))


def _refused_by_rule(answer: Answer, result: CheckResult, chunks: Sequence[Chunk],
                     english: bool) -> Answer:
    """A case the rule base declares the documents leave out: the answer says so and cites
    what they do cover (the rule's source), whatever the passages seemed to say."""
    rule = result.rule
    assert rule is not None
    chunk = _chunk_with(rule.source.doc, rule.source.quote, chunks)
    answer.refused = True
    answer.citations = [rule_citation(rule, chunk, 1)]
    # The rule base's words, not the document's: marked as the rule's source, as a rule's
    # conclusion is, so that a bare [n] stays on verbatim text only.
    source = "rule source" if english else "regelns källa"
    answer.text = f"{REFUSAL} {rule.answer.rstrip('.')} ({source}: [1])."
    answer.conclusion = REFUSAL
    return answer


def _lead_with(answer: Answer, conclusion: str, n: int, status: str, english: bool) -> Answer:
    first, *rest = split_sentences(conclusion)
    source = "rule source" if english else "regelns källa"
    lead = f"{first.rstrip('.')} ({source}: [{n}])."
    marked = " ".join([lead, *rest])
    # A correction stands apart from the text it corrects; an agreeing rule leads it.
    gap = " " if status == "verified" else "\n\n"
    answer.text = f"{marked}{gap}{answer.text}"
    answer.conclusion = lead
    return answer


def _chunk_with(doc: str, quote: str, chunks: Sequence[Chunk]) -> Chunk | None:
    # The same comparison as the rule base's verbatim test, so a rule whose quote passes it
    # finds its chunk (unless the quote runs over a chunk's end).
    return next((c for c in chunks if c.doc == doc and has_quote(c.text, quote)), None)
