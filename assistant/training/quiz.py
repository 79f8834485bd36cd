"""The quiz: questions whose answers are rules' verdicts, deterministic for a seed; alternatives
for closed decisions (ja/nej, kommun/region, the ISO categories), a written answer otherwise, and
`check_answer` to mark either.

Example:
    >>> from assistant.rules.engine import RuleBase
    >>> from assistant.training.topics import rules_for
    >>> rules = rules_for(RuleBase.load(), "avgifter", ["Kronoberg"])
    >>> quiz = make_quiz(rules, "avgifter", titles={}, size=3, seed=0)   # list[QuizItem]
    >>> len(quiz), quiz[0].answer
    (3, '400 kr per flyttningstillfälle')
    >>> short_answer("200 kr (patientavgift vid utprovning)")
    '200 kr'
"""

from __future__ import annotations

import random
import re
from typing import Mapping, Sequence

from assistant.rules.engine import DecisionKind, Rule
from assistant.training.topics import NATIONAL
from assistant.training.values import QuizItem
from assistant.training.wording import (
    describe_condition,
    describe_conditions,
    describe_number,
    drop_parenthetical,
)

MAX_CHOICES = 4  # quiz alternatives are offered only for closed answer sets up to this size


def short_answer(verdict: str) -> str:
    """The decisive words of a verdict: 'hembesök krävs – kommunens ansvar' → 'hembesök krävs'.

    >>> short_answer("200 kr (patientavgift vid utprovning)")
    '200 kr'
    """
    return drop_parenthetical(verdict.split(" – ", 1)[0])


def quiz_answer(rule: Rule) -> str:
    """The answer a quiz expects: the rule's decision, or for an ISO row category and owner."""
    if "iso_code" in rule.when:
        return drop_parenthetical(rule.then)
    return rule.decision.value


def quiz_question(rule: Rule, topic_key: str) -> str | None:
    """A question whose answer is the rule's verdict, or None if the rule cannot be asked."""
    when = dict(rule.when)
    where = f" i {rule.region}" if rule.region != NATIONAL else ""
    if "iso_code" in when:
        product = rule.products[0] if rule.products else "hjälpmedlet"
        use = f" för {when['use']}bruk" if "use" in when else ""
        return f"Vem ansvarar för {product} (ISO {when['iso_code']}){use}{where}?"
    if "topic" in when:
        subject = describe_condition("topic", when["topic"])
        extra = describe_conditions(when, ("region", "topic"))
        extra = f" ({extra})" if extra else ""
        if rule.topic == "survey":
            return f"Vad svarade {rule.region} i enkäten om {subject}{extra}?"
        return f"Vad gäller för {subject}{extra}{where}?"
    desc = describe_conditions(when)
    if topic_key == "gränsdragning":
        return f"Vem ansvarar för hjälpmedel till en patient {desc}{where}?" if desc else None
    if topic_key == "förskrivningsrätt":
        if "request" in when:
            rest = describe_conditions(when, ("region", "request"))
            return f"Vad gäller för {when['request']}{f' ({rest})' if rest else ''}{where}?"
        return f"Får personal {desc} förskriva hjälpmedel{where}?" if desc else None
    if topic_key == "delegering":
        if "delegation_months" in when:
            months = describe_condition("delegation_months", when["delegation_months"])
            return f"Får ett delegeringsbeslut gälla {months}?"
        return f"Kan en arbetsuppgift delegeras {desc}{where}?" if desc else None
    if topic_key == "vaccination":
        who = describe_condition("orderer", when.get("orderer", "")) or "vem som helst"
        vaccine = describe_condition("vaccine", when.get("vaccine", ""))
        target = describe_conditions(when, ("region", "orderer", "vaccine"))
        if target[:1].isdigit():
            target = "personer " + target
        period = (f" (t.o.m. {rule.valid_to.isoformat()})" if rule.valid_to else
                  f" (från {rule.valid_from.isoformat()})" if rule.valid_from else "")
        return (f"Får en {who} ordinera {vaccine}"
                f"{f' till {target}' if target else ''}{period}?")
    if topic_key == "avgifter":
        any_first = when.pop("any", [{}])[0]
        when.update({k: v for k, v in any_first.items() if k not in when})
        noun = f"{when['fee_type']}en" if isinstance(when.get("fee_type"), str) else "avgiften"
        item = when.get("fee_item")
        item_text = f" för {describe_condition('fee_item', item)}" if item else ""
        staff = f" för utprovning av hjälpmedel hos {when['staff']}" if "staff" in when else ""
        setting = f" i {when['setting']}" if "setting" in when else ""
        age = f" ({describe_number('age', when['age'])})" if "age" in when else ""
        year = f" ({rule.valid_from.year})" if rule.valid_from else ""
        return f"Vad är {noun}{item_text}{staff}{setting}{age}{where}{year}?"
    return None


def make_quiz(rules: Sequence[Rule], topic_key: str, titles: Mapping[str, str],
              size: int = 5, seed: int = 0) -> list[QuizItem]:
    """`size` questions from the rules, the same ones for the same seed, spread over regions.

    A question that two rules would answer differently is left out (it would be ambiguous).
    """
    candidates: dict[str, list[Rule]] = {}
    for rule in rules:
        question = quiz_question(rule, topic_key)
        if question:
            candidates.setdefault(question, []).append(rule)
    unambiguous = {q: rs[0] for q, rs in candidates.items()
                   if len({quiz_answer(r) for r in rs}) == 1}
    # Choices only where the answers form a small closed set (ja/nej, kommun/region, the ISO
    # categories): among open answers a "wrong" alternative may say the same in other words.
    kinds: dict[str, set[str]] = {}
    for rule in unambiguous.values():
        kinds.setdefault(_kind(rule), set()).add(quiz_answer(rule))
    rng = random.Random(seed)
    order = sorted(unambiguous)
    rng.shuffle(order)
    # Round-robin over regions so that every chosen region gets a question.
    by_region: dict[str, list[str]] = {}
    for question in order:
        by_region.setdefault(unambiguous[question].region, []).append(question)
    picked: list[str] = []
    while len(picked) < size and any(by_region.values()):
        for region in sorted(by_region):
            if by_region[region] and len(picked) < size:
                picked.append(by_region[region].pop(0))
    items = []
    for question in picked:
        rule = unambiguous[question]
        right = quiz_answer(rule)
        choices = _choices(rule, kinds[_kind(rule)], rng)
        title = titles.get(rule.source.doc, rule.source.doc)
        items.append(QuizItem(question=question, answer=right, explanation=rule.then,
                              choices=tuple(choices), rule_id=rule.id,
                              source=f"{title} – {rule.source.section}",
                              quote=rule.source.quote, validity=rule.validity))
    return items


# Decisions whose every possible answer is known, offered in this order.
_CLOSED: dict[DecisionKind, tuple[str, ...]] = {
    DecisionKind.JA_NEJ: ("ja", "nej"),
    DecisionKind.ANSVAR: ("kommun", "region"),
}


def _kind(rule: Rule) -> str:
    return "iso" if "iso_code" in rule.when else rule.decision.kind.value


def _choices(rule: Rule, answers: set[str], rng: random.Random) -> list[str]:
    """The alternatives to offer: a closed decision's values, or the ISO categories seen."""
    closed = _CLOSED.get(rule.decision.kind)
    if closed and "iso_code" not in rule.when and quiz_answer(rule) in closed:
        return list(closed)
    if _kind(rule) != "iso":
        return []
    choices = sorted(answers)
    if not 1 < len(choices) <= MAX_CHOICES:
        return []
    rng.shuffle(choices)
    return choices


def check_answer(item: QuizItem, given: str | None) -> bool:
    """Whether a participant's answer is the quiz item's answer.

    A chosen alternative must be the answer itself. A written answer is right when it has the
    answer's numbers and its words (a word matching on its first five letters, so that
    'kommunen' answers 'kommun'); small words such as 'per' or 'eller' may be left out.

    >>> item = QuizItem("Vad är avgiften?", "400 kr per år", "", (), "r", "", "", "")
    >>> check_answer(item, "400 kr/år"), check_answer(item, "800 kr")
    (True, False)
    """
    if not given or not given.strip():
        return False
    if not item.is_open:
        return given == item.answer
    want, have = _tokens(drop_parenthetical(item.answer)), _tokens(given)
    if _NEGATIONS & set(have) and not _NEGATIONS & set(_tokens(item.answer)):
        return False  # 'inte Thord' does not answer 'Thord'
    if not want:
        return _tokens(given) == _tokens(item.answer)
    return all(any(_same_word(w, h) for h in have) for w in want)


_SMALL_WORDS = {"och", "eller", "per", "för", "med", "utan", "den", "det", "som", "till", "av",
                "en", "ett", "i", "på", "om", "att", "kr", "år", "st"}
_NEGATIONS = {"inte", "ej", "ingen", "inga", "aldrig"}


def _tokens(text: str) -> list[str]:
    words = re.findall(r"\d+(?:[.,]\d+)?|\w+", text.casefold())
    return [w for w in words if w not in _SMALL_WORDS]


def _same_word(want: str, have: str) -> bool:
    if want[0].isdigit() or have[0].isdigit():
        return want.replace(",", ".") == have.replace(",", ".")
    return want == have or (len(want) >= 5 and have[:5] == want[:5]) or (
        len(want) < 5 and have.startswith(want))


def score(items: Sequence[QuizItem], answers: Mapping[str, str | None]) -> int:
    """How many items are answered right; `answers` maps a question to the given answer."""
    return sum(check_answer(item, answers.get(item.question)) for item in items)
