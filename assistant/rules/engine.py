"""The rule engine: load YAML rules and decide a verdict from facts, with default logic.

Conditions are evaluated in three-valued logic (true, false, unknown when a fact is missing).
Among the rules that apply on the facts' date, a rule listed in another applicable rule's
`overrides` gives way to it (Catala's exceptions); an exception whose facts are unknown does not
decide but is reported, so that the verdict carries a warning instead of false certainty.

Example:
    >>> rb = RuleBase.load()
    >>> d = rb.decide({"region": "Norrbotten", "iso_code": "120606", "use": "utomhus",
    ...                "age": 80, "home_care": False, "housing": "ordinärt boende"})
    >>> d.verdict.startswith("vårdcentral i första hand"), d.rule.id
    (True, 'norrbotten.boundary.iso.120606.utomhus')
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import yaml

from assistant.rules.catalogue import Catalogue, CatalogueError, phrasing

RULES_DIR = Path(__file__).resolve().parent


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file and the rule."""


def ask_for(fact: str) -> str:
    """What to ask the prescriber for a missing fact, in Swedish ("ange patientens ålder")."""
    return Catalogue.load().ask(fact)


class DecisionKind(StrEnum):
    """What a rule decides, so that the checker compares decisions instead of parsing text."""

    JA_NEJ = "ja_nej"      # value: ja | nej
    ANSVAR = "ansvar"      # value: kommun | region (whose responsibility)
    KATEGORI = "kategori"  # value: an ISO row's category (hembesök krävs …)
    BELOPP = "belopp"      # value: an amount as the fee table writes it ("200 kr")
    PART = "part"          # value: a body, unit, system or person (Thord, verksamhetschefen …)
    # value: "tas inte upp": the case is one the document leaves out (a table of groups with no
    # row for it), so the answer is that the documents do not say; `answer` says what they cover
    TAS_INTE_UPP = "tas_inte_upp"


@dataclass(frozen=True)
class RuleDecision:
    kind: DecisionKind
    value: str  # the decisive words, as the conclusion's first words say them


@dataclass(frozen=True)
class Source:
    doc: str
    section: str
    quote: str  # the decisive sentence (or table row) the rule rests on
    also: tuple[str, ...] = ()  # further sentences of the same document the rule encodes

    def to_json(self) -> dict[str, str]:
        return {"doc": self.doc, "section": self.section, "quote": self.quote}


@dataclass(frozen=True)
class Rule:
    id: str
    region: str
    topic: str
    when: Mapping[str, Any]
    then: str
    source: Source
    decision: RuleDecision
    answer: str = ""
    valid_from: date | None = None
    valid_to: date | None = None
    overrides: tuple[str, ...] = ()
    notes: str = ""
    warning: str = ""
    products: tuple[str, ...] = ()
    category: str = ""
    file: str = ""
    # Further topics the rule answers: a boundary rule whose conclusion names who decides
    # ("görs av verksamhetschef") also answers "vem beslutar".
    also_topics: tuple[str, ...] = ()

    def speaks_to(self, topics: frozenset[str]) -> bool:
        """Whether the rule answers a question on these topics (any, when none are given)."""
        return not topics or self.topic in topics or any(t in topics for t in self.also_topics)

    def valid_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))

    def overrides_rule(self, other: Rule) -> bool:
        return any(fnmatch.fnmatchcase(other.id, pattern) for pattern in self.overrides)

    @property
    def validity(self) -> str:
        start = self.valid_from.isoformat() if self.valid_from else "…"
        end = self.valid_to.isoformat() if self.valid_to else "tills vidare"
        return f"{start} – {end}"


@dataclass(frozen=True)
class Evaluation:
    """Three-valued result of a rule's conditions: True, False or None (unknown)."""

    state: bool | None
    satisfied: int = 0  # leaf conditions known to hold
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    verdict: str | None
    rule: Rule | None = None
    applicable: tuple[Rule, ...] = ()
    missing: tuple[str, ...] = ()
    trace: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    conflict: bool = False  # several rules apply and none overrides the others
    date_assumed: bool = False  # decided with the newest rule version, not the asked date
    computed: str = ""  # the decision applied to the case's figures ("för 3 månader 600 kr")
    open: tuple[str, ...] = ()  # exceptions to the chosen rule that missing facts leave open
    open_warnings: tuple[str, ...] = ()  # the warnings saying so (a question back replaces them)


@dataclass
class RuleBase:
    rules: list[Rule] = field(default_factory=list)

    @classmethod
    def load(cls, folder: Path = RULES_DIR) -> RuleBase:
        rules: list[Rule] = []
        for path in sorted(folder.rglob("*.yaml")):
            if {"tests", "catalogue"} & set(path.relative_to(folder).parts):
                continue
            rules.extend(load_rules(path))
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise RuleFileError(f"{rule.file}: regel-id {rule.id!r} förekommer två gånger.")
            seen.add(rule.id)
        _check_products(rules)
        return cls(rules)

    @cached_property
    def topics(self) -> frozenset[str]:
        """Every topic a rule of the base decides."""
        return frozenset(t for r in self.rules for t in (r.topic, *r.also_topics))

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def decide(self, facts: Mapping[str, Any], day: date | None = None,
               date_explicit: bool = True, topics: Iterable[str] = (),
               lead: Iterable[str] = (), only: Iterable[str] = (),
               never: Iterable[str] = ()) -> Decision:
        """The verdict for these facts on `day` (default: the facts' date, else today).

        `topics` limits the rules to what the question asks about (an elrullstol question on
        fees is not decided by the boundary rule); `only`, when given, the decision kinds
        that may answer at all (a "får de …" question whose text names no rule topic is not
        answered by a party); `never` the kinds that cannot answer it (a question for a list
        of items is not answered by a yes or no). When the date was not asked for
        (`date_explicit=False`) and no rule valid today decides, the newest expired version
        that does is used, with a warning.
        """
        day = day or day_of(facts)
        facts = Catalogue.load().canonical_facts(facts)
        topics = frozenset(topics)
        lead = frozenset(lead)
        only = frozenset(only)
        never = frozenset(never)
        decision = self._decide(facts, day, topics, lead, only, never)
        # An older version decides only when no rule valid today could (not when today's rules
        # merely need a fact more: then the checker asks for it).
        if (decision.verdict is None and not decision.conflict and not date_explicit
                and not decision.missing):
            older = self._decide(facts, None, topics, lead, only, never)
            if older.verdict is not None and older.rule is not None:
                warning = (f"Regeln gäller {older.rule.validity}; nyare uppgifter finns inte i "
                           "dokumenten.")
                # Everything the older decision found (its computed total too), with a warning.
                return replace(older, warnings=(*older.warnings, warning), date_assumed=True)
        return decision

    def _decide(self, facts: Mapping[str, Any], day: date | None,
                topics: frozenset[str] = frozenset(),
                lead: frozenset[str] = frozenset(),
                only: frozenset[str] = frozenset(),
                never: frozenset[str] = frozenset()) -> Decision:
        trace: list[str] = []
        applicable: list[Rule] = []
        open_rules: list[tuple[Rule, Evaluation]] = []
        for rule in self.rules:
            if day is not None and not rule.valid_on(day):
                continue
            if not rule.speaks_to(topics):
                continue
            if (only and rule.decision.kind.value not in only
                    or rule.decision.kind.value in never):
                continue
            result = evaluate(rule.when, facts)
            if result.state is True:
                applicable.append(rule)
            elif (result.state is None and result.satisfied >= 1
                  and (not topics or rule.topic in topics)):
                # A rule reached by one of its further topics answers when it applies; it
                # asks nothing back of a question on that topic.
                open_rules.append((rule, result))
        if day is None:
            # Newest version first, so an expired rule set falls back to its latest validity.
            applicable.sort(key=lambda r: r.valid_to or date.max, reverse=True)
        winners = [r for r in applicable
                   if not any(o is not r and o.overrides_rule(r) for o in applicable)]
        for rule in applicable:
            if rule not in winners:
                by = next(o for o in applicable if o is not rule and o.overrides_rule(rule))
                trace.append(f"{rule.id} gäller men undantaget {by.id} går före")
        # The question's first part asks for a kind of decision (ja/nej for "kan hon få …"):
        # rules giving it answer before rules for its later parts.
        leading = [r for r in winners if r.decision.kind.value in lead]
        if leading and len(leading) < len(winners):
            trace.extend(f"{r.id} gäller men frågan frågar först efter {leading[0].id}s slag av "
                         "beslut" for r in winners if r not in leading)
            winners = leading
        # A rule on the process topic asked about (`topic` in its when) speaks more directly to
        # the question than one that merely matches the product or the person.
        on_topic = [r for r in winners if "topic" in r.when]
        if on_topic and len(on_topic) < len(winners):
            trace.extend(f"{r.id} gäller men {on_topic[0].id} gäller frågans ämne"
                         for r in winners if r not in on_topic)
            winners = on_topic
        if not winners:
            missing = _ordered_missing(open_rules)
            return Decision(None, None, (), missing, tuple(trace))
        # Rules that reach the same decision for different reasons agree ("nej" because the
        # decision is unsigned, "nej" because it has no end date): only decisions can conflict.
        verdicts = {(w.decision.kind, w.decision.value.lower()) for w in winners}
        if day is None:
            newest = winners[0].valid_to
            winners = [w for w in winners if w.valid_to == newest]
            verdicts = {(w.decision.kind, w.decision.value.lower()) for w in winners}
        chosen = max(winners, key=lambda r: count_conditions(r.when))
        trace.append(f"{chosen.id} avgör: {chosen.then}")
        trace.extend(f"{w.id} leder till samma beslut: {w.then}" for w in winners
                     if w is not chosen and len(verdicts) == 1)
        warnings = [w.warning for w in winners if w.warning]
        # Exceptions that might apply if we knew more: say so instead of false certainty.
        exceptions = tuple(r.id for r, _ in open_rules if r.overrides_rule(chosen))
        pending: list[str] = []
        for rule, result in open_rules:
            # Only an exception of which more than the region is known is worth a warning.
            if rule.overrides_rule(chosen) and result.satisfied - ("region" in rule.when) >= 1:
                pending.append(f"Undantag ({rule.then}) kan gälla: "
                               f"{'; '.join(ask_for(m) for m in result.missing)}.")
                trace.append(f"undantaget {rule.id} är okänt: saknar {', '.join(result.missing)}")
        warnings.extend(pending)
        if len(verdicts) > 1:
            trace.append("flera regler gäller med olika slutsatser: "
                         + "; ".join(f"{w.id} → {w.then}" for w in winners))
            return Decision(None, chosen, tuple(winners), (), tuple(trace),
                            tuple(dict.fromkeys(warnings)), conflict=True)
        return Decision(chosen.then, chosen, tuple(applicable), (), tuple(trace),
                        tuple(dict.fromkeys(warnings)),
                        computed=computed_amount(chosen.decision, facts), open=exceptions,
                        open_warnings=tuple(dict.fromkeys(pending)))


_RATE = re.compile(r"(\d[\d ]*)\s*kr per (påbörjad )?månad")
_YEARLY = re.compile(r"(\d[\d ]*)\s*kr per år")
_SHARE = re.compile(r"(\d+)\s*%\s*av kostnaden")


def day_of(facts: Mapping[str, Any]) -> date:
    """The day the facts are decided for: their date, else today."""
    return as_date(facts.get("date")) or date.today()


def computed_amount(decision: RuleDecision, facts: Mapping[str, Any]) -> str:
    """A monthly or yearly fee over the case's period ("200 kr per påbörjad månad", 3 months;
    "800 kr per år", 2 years), or a share of the product's value, as the total it comes to, in
    Swedish; empty when the rule is no rate or the period is unknown."""
    if decision.kind is not DecisionKind.BELOPP:
        return ""
    share = _SHARE.search(decision.value)
    if share and facts.get("amount_kr"):
        # "35% av kostnaden" of a product worth 3 200 kr.
        total = round(int(share.group(1)) * int(facts["amount_kr"]) / 100)
        return (f"för ett hjälpmedel som kostar {_kronor(int(facts['amount_kr']))} blir det "
                f"{_kronor(total)} ({share.group(1)} % av kostnaden)")
    months = facts.get("period_months")
    if not months:
        return ""
    rate = _RATE.search(decision.value)
    if rate:
        amount = int(rate.group(1).replace(" ", ""))
        unit = "påbörjade månader" if rate.group(2) else "månader"
        return (f"för {months} {unit} blir det {_kronor(amount * int(months))} "
                f"({months} × {amount} kr)")
    yearly = _YEARLY.search(decision.value)
    if yearly:
        # A yearly fee is paid for every year begun.
        amount = int(yearly.group(1).replace(" ", ""))
        years = -(-int(months) // 12)
        return (f"för {years} år blir det {_kronor(amount * years)} ({years} × {amount} kr)")
    return ""


def _kronor(amount: int) -> str:
    """An amount as the fee tables write it: "1 120 kr"."""
    return f"{amount:,} kr".replace(",", " ")


def _check_products(rules: list[Rule]) -> None:
    # A product in `when:` must be one a question can name: a product some rule lists or a
    # product word of the phrasing (the words the fact reader looks for).
    named = {p for r in rules for p in r.products} | {
        str(w).lower() for words in phrasing()["product_areas"].values() for w in words}
    for rule in rules:
        for value in values_of(rule.when, "product"):
            if str(value).lower() not in named:
                raise RuleFileError(f"{rule.file}: regel {rule.id!r}: produkten {value!r} står "
                                    "inte i någon regels 'products' och kan aldrig läsas ur en "
                                    "fråga.")


def conditions(when: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every (fact, condition) of a `when:`, through its all/any groups."""
    for key, cond in when.items():
        if key in ("all", "any"):
            for sub in cond:
                yield from conditions(sub)
        else:
            yield key, cond


def files_a_product(rule: Rule) -> bool:
    """Whether the rule decides by the thing asked about (a product, a product area or an ISO
    row), not only by the person or the place."""
    return bool(rule.products) or any(values_of(rule.when, fact)
                                      for fact in ("product", "product_area", "iso_code"))


def values_of(when: Mapping[str, Any], fact: str) -> list[Any]:
    """Every value a `when:` compares `fact` with (through all/any and in/not)."""
    found: list[Any] = []
    for key, cond in conditions(when):
        if key != fact:
            continue
        if isinstance(cond, Mapping):
            for op, arg in cond.items():
                if op in ("in", "not"):
                    found.extend(arg if isinstance(arg, list) else [arg])
        else:
            found.append(cond)
    return found


def _ordered_missing(open_rules: list[tuple[Rule, Evaluation]]) -> tuple[str, ...]:
    # The closest candidates (most conditions already met) name the facts worth asking for.
    open_rules = [(r, e) for r, e in open_rules if e.satisfied >= 2]
    if not open_rules:
        return ()
    best = max(e.satisfied for _, e in open_rules)
    missing: list[str] = []
    for _, result in open_rules:
        if result.satisfied == best:
            missing.extend(result.missing)
    return tuple(dict.fromkeys(missing))


def evaluate(when: Mapping[str, Any], facts: Mapping[str, Any]) -> Evaluation:
    """All conditions of a mapping, in three-valued logic."""
    results = [_evaluate_key(key, cond, facts) for key, cond in when.items()]
    return _conjunction(results)


def _conjunction(results: Iterable[Evaluation]) -> Evaluation:
    results = list(results)
    satisfied = sum(r.satisfied for r in results)
    missing = tuple(dict.fromkeys(m for r in results for m in r.missing))
    if any(r.state is False for r in results):
        return Evaluation(False, satisfied, missing)
    if any(r.state is None for r in results):
        return Evaluation(None, satisfied, missing)
    return Evaluation(True, satisfied, ())


def _evaluate_key(key: str, cond: Any, facts: Mapping[str, Any]) -> Evaluation:
    if key == "all":
        return _conjunction(evaluate(sub, facts) for sub in cond)
    if key == "any":
        results = [evaluate(sub, facts) for sub in cond]
        if any(r.state is True for r in results):
            return Evaluation(True, max(r.satisfied for r in results if r.state))
        if all(r.state is False for r in results):
            return Evaluation(False)
        missing = tuple(dict.fromkeys(m for r in results for m in r.missing))
        return Evaluation(None, max(r.satisfied for r in results), missing)
    if key not in facts or facts[key] is None:
        return Evaluation(None, 0, (key,))
    value = facts[key]
    ok = _matches(value, cond)
    return Evaluation(ok, 1 if ok else 0)


def _matches(value: Any, cond: Any) -> bool:
    if isinstance(cond, Mapping):
        return all(_operator(op, value, arg) for op, arg in cond.items())
    return _equal(value, cond)


def _operator(op: str, value: Any, arg: Any) -> bool:
    if op == "in":
        return any(_equal(value, a) for a in arg)
    if op == "not":
        return not (_equal(value, arg) if not isinstance(arg, list)
                    else any(_equal(value, a) for a in arg))
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return {"lt": number < arg, "lte": number <= arg,
            "gt": number > arg, "gte": number >= arg}[op]


def _equal(value: Any, expected: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return value is expected if isinstance(value, bool) else False
    if isinstance(expected, (int, float)) and not isinstance(value, str):
        return float(value) == float(expected)
    return str(value).strip().lower() == str(expected).strip().lower()


def count_conditions(when: Mapping[str, Any]) -> int:
    return sum(len(cond) if isinstance(cond, Mapping) else 1 for _, cond in conditions(when))


def load_rules(path: Path) -> list[Rule]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path.name}: ogiltig YAML ({exc}).") from exc
    defaults: Mapping[str, Any] = {}
    if isinstance(data, Mapping):
        # {defaults: …, rules: […]}: what every rule of the file shares, said once.
        defaults, data = data.get("defaults") or {}, data.get("rules") or []
    if not isinstance(data, list):
        raise RuleFileError(f"{path.name}: filen ska vara en lista av regler (eller defaults "
                            "och rules).")
    return [_rule(version, path) for entry in data
            for version in _versions(_with_defaults(entry, defaults), path)]


def _with_defaults(entry: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The rule with the file's defaults under it; `source` is merged key by key."""
    merged = {**defaults, **entry}
    if isinstance(defaults.get("source"), Mapping) or isinstance(entry.get("source"), Mapping):
        merged["source"] = {**(defaults.get("source") or {}), **(entry.get("source") or {})}
    return merged


def _versions(entry: dict[str, Any], path: Path) -> list[dict[str, Any]]:
    """A rule with dated `amounts` (OpenFisca's dated parameters) as one rule per amount: each
    holds from its date until the next one (the last until its own `until` or the rule's
    `valid_to`). The newest keeps the rule's id; older ones get "@<date>". `{amount}` in then,
    decision and answer is the amount; an amount's quote and section are its source."""
    amounts = entry.get("amounts")
    if not amounts:
        return [entry]
    if not isinstance(amounts, Mapping):
        raise RuleFileError(f"{path.name}: regel {entry.get('id')!r}: 'amounts' ska vara "
                            "datum: {value: …, quote: …}.")
    dated = sorted((as_date(day), info) for day, info in amounts.items())
    out: list[dict[str, Any]] = []
    for i, (start, info) in enumerate(dated):
        if start is None or not isinstance(info, Mapping) or not info.get("value"):
            raise RuleFileError(f"{path.name}: regel {entry.get('id')!r}: varje belopp behöver "
                                "ett datum och value.")
        value = str(info["value"])
        following = dated[i + 1][0] if i + 1 < len(dated) else None
        end = (as_date(info.get("until")) or
               (following - timedelta(days=1) if following else as_date(entry.get("valid_to"))))
        fill = {"amount": value}
        version = {k: v for k, v in entry.items() if k != "amounts"}
        version.update(
            id=entry["id"] if following is None else f"{entry['id']}@{start.isoformat()}",
            then=str(entry["then"]).format(**fill),
            decision={"kind": info.get("kind", "belopp"), "value": value},
            answer=str(info.get("answer") or entry.get("answer") or "").format(**fill),
            valid_from=start, valid_to=end,
            source={**(entry.get("source") or {}),
                    **{k: info[k] for k in ("doc", "section", "quote", "also") if k in info}},
            **{k: info[k] for k in ("warning", "notes") if k in info})
        out.append(version)
    return out


def _rule(entry: Mapping[str, Any], path: Path) -> Rule:
    name = f"{path.parent.name}/{path.name}"
    rid = entry.get("id", "?")
    for required in ("id", "region", "topic", "when", "then", "decision", "source"):
        if required not in entry:
            raise RuleFileError(f"{name}: regel {rid!r} saknar fältet {required!r}.")
    src = entry["source"] or {}
    if not all(src.get(k) for k in ("doc", "quote")):
        raise RuleFileError(f"{name}: regel {rid!r} saknar source.doc eller source.quote.")
    try:
        when = Catalogue.load().canonical_when(entry["when"], f"{name}: regel {rid!r}")
    except CatalogueError as exc:
        raise RuleFileError(str(exc)) from exc
    return Rule(
        id=str(entry["id"]),
        region=str(entry["region"]),
        topic=str(entry["topic"]),
        when=when,
        then=str(entry["then"]),
        decision=_decision(entry["decision"], name, rid),
        source=Source(str(src["doc"]), str(src.get("section", "")), str(src["quote"]),
                      tuple(str(q) for q in src.get("also") or ())),
        answer=str(entry.get("answer") or ""),
        valid_from=as_date(entry.get("valid_from")),
        valid_to=as_date(entry.get("valid_to")),
        overrides=tuple(entry.get("overrides") or ()),
        notes=str(entry.get("notes") or ""),
        warning=str(entry.get("warning") or ""),
        products=tuple(str(p).lower() for p in entry.get("products") or ()),
        category=str(entry.get("category") or ""),
        file=name,
        also_topics=tuple(str(t) for t in entry.get("also_topics") or ()),
    )


def _decision(raw: Any, name: str, rid: str) -> RuleDecision:
    kinds = ", ".join(k.value for k in DecisionKind)
    if not isinstance(raw, Mapping) or not raw.get("value"):
        raise RuleFileError(f"{name}: regel {rid!r}: 'decision' ska vara {{kind: …, value: …}} "
                            f"(kind: {kinds}).")
    try:
        kind = DecisionKind(str(raw.get("kind")))
    except ValueError:
        raise RuleFileError(f"{name}: regel {rid!r}: okänd decision.kind {raw.get('kind')!r} "
                            f"(tillåtna: {kinds}).") from None
    value = str(raw["value"])
    if kind is DecisionKind.JA_NEJ and value not in ("ja", "nej"):
        raise RuleFileError(f"{name}: regel {rid!r}: ett ja/nej-beslut har value ja eller nej.")
    if kind is DecisionKind.ANSVAR and value not in ("kommun", "region"):
        raise RuleFileError(f"{name}: regel {rid!r}: ett ansvarsbeslut har value kommun eller "
                            "region.")
    return RuleDecision(kind, value)


def as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
