"""Rule conditions in Swedish words, for key rules, tables and quiz questions.

Example:
    >>> describe_conditions({"region": "Norrbotten", "age": {"lt": 18}})
    'under 18 år'
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping


def drop_parenthetical(text: str) -> str:
    """The text without a trailing parenthesis: 'kommunens ansvar (se 3.2)' → 'kommunens ansvar'."""
    return re.sub(r"\s*\([^()]*\)$", "", text).strip() or text.strip()


_BOOL_WORDS: dict[str, tuple[str, str]] = {
    "home_care": ("med hemsjukvård", "utan hemsjukvård"),
    "can_reach_vardcentral": ("som kan uppsöka vårdcentralen",
                              "som inte kan uppsöka vårdcentralen"),
    "licensed": ("som är legitimerad", "som inte är legitimerad"),
    "appointed_by_manager": ("utsedd av verksamhetschefen", "som inte är utsedd av "
                                                            "verksamhetschefen"),
    "training_completed": ("med genomgången förskrivarutbildning",
                           "utan genomgången förskrivarutbildning"),
    "care_agreement": ("med vårdavtal", "utan vårdavtal"),
    "receiver_licensed": ("till legitimerad personal", "till personal utan legitimation"),
    "receiver_has_task_competence": ("som har kompetens för uppgiften",
                                     "som saknar kompetens för uppgiften"),
    "pregnant": ("gravida", "som inte är gravida"),
}
_PREFIX: dict[str, str] = {
    "housing": "i ", "employer": "anställd av ", "product_area": "inom ", "setting": "i ",
    "staff": "hos ", "profession": "", "orderer": "", "request": "", "fee_item": "",
    "fee_type": "", "product": "", "topic": "", "use": "för ", "sex": "",
}
_NUMBER_UNITS = {"age": "år", "delegation_months": "månader", "amount_kr": "kr",
                 "school_year": "", "birth_year": ""}
_NUMBER_NAMES = {"school_year": "årskurs", "birth_year": "födda", "amount_kr": "värde"}
_VACCINES = {"hpv": "HPV-vaccin", "kikhosta": "vaccin mot kikhosta"}
_ORDERERS = {"sjuksköterska 3 hp": "sjuksköterska med minst 3 hp i vaccinationsverksamhet",
             "sjuksköterska": "sjuksköterska utan specialistutbildning och utan 3 hp i "
                              "vaccinationsverksamhet"}
# Keys whose `in:` lists are synonyms of one thing: name the first, not all of them.
_SYNONYM_KEYS = {"fee_item", "product", "request", "topic"}


def describe_conditions(when: Mapping[str, Any], skip: Iterable[str] = ("region",)) -> str:
    """A rule's conditions in Swedish words, e.g. 'under 18 år, med hemsjukvård'.

    >>> describe_conditions({"region": "Norrbotten", "age": {"gte": 18}, "home_care": True})
    '18 år eller äldre, med hemsjukvård'
    """
    skipped = set(skip)
    parts = [describe_condition(key, cond) for key, cond in when.items() if key not in skipped]
    return ", ".join(p for p in parts if p)


def describe_condition(key: str, cond: Any) -> str:
    """One condition (`key: cond` of a rule's `when`) in words; '' if it cannot be said."""
    if key in ("any", "all"):
        subs = [describe_conditions(sub, ()) for sub in cond]
        return (" eller " if key == "any" else ", ").join(s for s in subs if s)
    if key == "vaccine":
        return _VACCINES.get(str(cond).lower(), str(cond))
    if key == "orderer" and isinstance(cond, str):
        return _ORDERERS.get(cond, cond)
    if key in _BOOL_WORDS and isinstance(cond, bool):
        yes, no = _BOOL_WORDS[key]
        return yes if cond else no
    if key in _NUMBER_UNITS:
        return describe_number(key, cond)
    if key == "use":
        return f"för {cond}bruk"
    prefix = _PREFIX.get(key, "")
    if isinstance(cond, Mapping):
        if "in" in cond:
            values = [str(v) for v in cond["in"]]
            return prefix + (values[0] if key in _SYNONYM_KEYS else _or_list(values))
        if "not" in cond:
            return f"inte {cond['not']}"
        return ""
    return f"{prefix}{cond}"


def describe_number(key: str, cond: Any) -> str:
    """A numeric condition with its unit, e.g. {"lt": 18} for age → 'under 18 år'."""
    unit = _NUMBER_UNITS[key]
    name = _NUMBER_NAMES.get(key, "")

    def fmt(n: Any) -> str:
        return " ".join(x for x in (name, str(n), unit) if x)

    if not isinstance(cond, Mapping):
        return fmt(cond)
    low = cond.get("gte", None if "gt" not in cond else f">{cond['gt']}")
    high = cond.get("lte", None if "lt" not in cond else f"<{cond['lt']}")
    if "gte" in cond and "lte" in cond:
        return " ".join(x for x in (name, f"{cond['gte']}–{cond['lte']}", unit) if x)
    if "lt" in cond:
        return f"under {fmt(cond['lt'])}"
    if "gt" in cond:
        return f"över {fmt(cond['gt'])}"
    if "gte" in cond:
        return f"{fmt(cond['gte'])} eller " + ("senare" if key == "birth_year" else
                                               "högre" if key == "school_year" else "äldre"
                                               if key == "age" else "mer")
    if "lte" in cond:
        return f"{fmt(cond['lte'])} eller " + ("tidigare" if key == "birth_year" else
                                               "lägre" if key == "school_year" else "yngre"
                                               if key == "age" else "mindre")
    return fmt(low or high or "")


def _or_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " eller " + items[-1]
