"""The fact catalogue: which facts the rules may name, of which type, with which values.

`facts.yaml` declares the facts (OpenFisca's variables); `phrasing.yaml` says how each value is
written in a question. The rule loader asks the catalogue to check and canonicalise every
`when:`, so a typo in a fact or a value fails at load time instead of never firing.

Example:
    >>> cat = Catalogue.load()
    >>> cat.canonical_value("topic", "överrapportering")
    'överrapportering av förskrivaransvar'
    >>> cat.ask("age")
    'ange patientens ålder'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

CATALOGUE_DIR = Path(__file__).resolve().parent
FACTS_PATH = CATALOGUE_DIR / "facts.yaml"
PHRASING_PATH = CATALOGUE_DIR / "phrasing.yaml"
_OPERATORS = {"in", "not", "lt", "lte", "gt", "gte"}


class FactType(StrEnum):
    ENUM = "enum"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DATE = "date"
    AMOUNT = "amount"
    CODE = "code"
    TEXT = "text"


class CatalogueError(ValueError):
    """A `when:` that names an unknown fact or value; the message says which and where."""


@dataclass(frozen=True)
class FactSpec:
    name: str
    type: FactType
    label: str
    ask: str
    values: Mapping[str, str] = field(default_factory=dict)  # canonical value → Swedish label
    aliases: Mapping[str, str] = field(default_factory=dict)  # lower-case spelling → canonical
    values_from: str = ""
    question: str = ""  # the question back when the fact would change the verdict ("" = never)
    unit: str = ""  # an integer's unit in Swedish ("år"), for the chat's choices

    def canonical(self, value: Any) -> Any:
        """The canonical spelling of an enum value; None when the value is not declared."""
        if self.type is not FactType.ENUM:
            return value
        return self.aliases.get(str(value).strip().lower())

    def spellings(self, value: str) -> tuple[str, ...]:
        """The value and its aliases: the words a reader may look for."""
        return (value, *(a for a, v in self.aliases.items() if v == value and a != value.lower()))


@dataclass(frozen=True)
class Catalogue:
    facts: Mapping[str, FactSpec]

    @classmethod
    def load(cls, path: Path = FACTS_PATH) -> Catalogue:
        return _load(path)

    def spec(self, fact: str) -> FactSpec | None:
        return self.facts.get(fact)

    def ask(self, fact: str) -> str:
        spec = self.facts.get(fact)
        return spec.ask if spec else f"ange {fact}"

    def canonical_value(self, fact: str, value: Any) -> Any:
        spec = self.facts.get(fact)
        return spec.canonical(value) if spec else None

    def canonical_facts(self, facts: Mapping[str, Any]) -> dict[str, Any]:
        """Facts with enum values in canonical spelling (an alias read as its value; an
        undeclared value kept as it is, so that it simply matches no rule)."""
        out = dict(facts)
        for key, value in facts.items():
            spec = self.facts.get(key)
            if spec is not None and spec.type is FactType.ENUM and value is not None:
                out[key] = spec.canonical(value) or value
        return out

    def canonical_when(self, when: Any, where: str) -> dict[str, Any]:
        """`when:` with every enum value in canonical spelling; CatalogueError names the first
        unknown fact, value or operator."""
        if not isinstance(when, Mapping):
            raise CatalogueError(f"{where}: 'when' ska vara en mappning.")
        out: dict[str, Any] = {}
        for key, cond in when.items():
            if key in ("all", "any"):
                out[key] = [self.canonical_when(sub, where) for sub in cond]
                continue
            spec = self.facts.get(key)
            if spec is None:
                raise CatalogueError(
                    f"{where}: okänt faktum {key!r} i 'when' (finns inte i "
                    f"rules/catalogue/facts.yaml; kända: {', '.join(sorted(self.facts))}).")
            out[key] = self._condition(spec, cond, where)
        return out

    def _condition(self, spec: FactSpec, cond: Any, where: str) -> Any:
        if isinstance(cond, Mapping):
            unknown = set(cond) - _OPERATORS
            if unknown:
                raise CatalogueError(f"{where}: okänd operator {sorted(unknown)} för "
                                     f"{spec.name!r}.")
            return {op: ([self._value(spec, v, where) for v in arg] if isinstance(arg, list)
                         else self._value(spec, arg, where) if op in ("in", "not") else arg)
                    for op, arg in cond.items()}
        return self._value(spec, cond, where)

    def _value(self, spec: FactSpec, value: Any, where: str) -> Any:
        if spec.type is FactType.BOOLEAN and not isinstance(value, bool):
            raise CatalogueError(f"{where}: {spec.name!r} är ett ja/nej-faktum; {value!r} "
                                 "ska vara true eller false.")
        if spec.type is FactType.ENUM:
            canonical = spec.canonical(value)
            if canonical is None:
                raise CatalogueError(
                    f"{where}: okänt värde {value!r} för {spec.name!r} (tillåtna: "
                    f"{', '.join(spec.values)}; lägg till värdet eller ett alias i "
                    "rules/catalogue/facts.yaml).")
            return canonical
        return value


@lru_cache(maxsize=4)
def _load(path: Path) -> Catalogue:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    facts: dict[str, FactSpec] = {}
    for name, entry in data.items():
        values: dict[str, str] = {}
        aliases: dict[str, str] = {}
        for value, info in (entry.get("values") or {}).items():
            info = info or {}
            values[str(value)] = str(info.get("label") or value)
            aliases[str(value).lower()] = str(value)
            for alias in info.get("aliases") or ():
                aliases.setdefault(str(alias).lower(), str(value))
        facts[name] = FactSpec(name=name, type=FactType(entry["type"]),
                               label=str(entry.get("label") or name),
                               ask=str(entry.get("ask") or f"ange {name}"), values=values,
                               aliases=aliases, values_from=str(entry.get("values_from") or ""),
                               question=str(entry.get("question") or ""),
                               unit=str(entry.get("unit") or ""))
    return Catalogue(facts)


@lru_cache(maxsize=1)
def phrasing() -> dict[str, Any]:
    """How fact values are written in questions (`phrasing.yaml`)."""
    with PHRASING_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)
