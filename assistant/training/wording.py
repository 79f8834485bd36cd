"""Swedish words for the course material: rule conditions, conclusions and notices, each said
once.

Example:
    >>> describe_conditions({"region": "Norrbotten", "age": {"lt": 18}})
    'under 18 år'
    >>> join_segments("hembesök krävs – kommunens ansvar", "hembesök krävs – kommunens ansvar")
    'hembesök krävs – kommunens ansvar'
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

SEGMENT_SEP = " – "  # how the rule base separates a conclusion's decisive words from the rest


def drop_parenthetical(text: str) -> str:
    """The text without a trailing parenthesis: 'kommunens ansvar (se 3.2)' → 'kommunens ansvar'."""
    return re.sub(r"\s*\([^()]*\)$", "", text).strip() or text.strip()


def _plain(text: str) -> str:
    """Comparison key of a phrase: lower case, single spaces, no parentheses or end stop."""
    text = re.sub(r"\s*\([^()]*\)", "", text)
    return " ".join(text.casefold().split()).strip(" .;,")


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
    "delegation_shared": ("med ett gemensamt beslut för flera mottagare",
                          "med ett personligt beslut för varje mottagare"),
    "delegation_expired": ("när beslutets giltighetstid har gått ut",
                           "inom beslutets giltighetstid"),
    "delegation_documented": ("med ett dokumenterat och undertecknat beslut",
                              "utan ett dokumenterat och undertecknat beslut"),
    "delegator_competent": ("av någon som är reellt kompetent för uppgiften",
                            "av någon som inte är reellt kompetent för uppgiften"),
    "delegation_single_occasion": ("för ett bestämt tillfälle", "för en viss tid"),
    "delegation_open_ended": ("med ett beslut utan slutdatum", "med ett beslut med slutdatum"),
    "same_profession_at_both": ("med samma yrkeskategori hos båda vårdgivarna",
                                "med olika yrkeskategorier hos vårdgivarna"),
}
_PREFIX: dict[str, str] = {
    "housing": "i ", "employer": "anställd av ", "product_area": "inom ", "setting": "i ",
    "staff": "hos ", "profession": "", "orderer": "", "request": "", "fee_item": "",
    "fee_type": "", "product": "", "topic": "", "use": "för ", "sex": "",
    "patient_group": "inskriven på ", "existing_provider": "som redan har hjälpmedel från ",
}
# Values said differently after their prefix ("från kommunen", not "från kommun").
_VALUE_WORDS: dict[str, dict[str, str]] = {
    "existing_provider": {"kommun": "kommunen", "region": "regionen"},
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
# Leading words a condition may carry or not: "inom kryckor" and "kryckor" say one thing.
_LEAD_WORDS = tuple(sorted({p for p in _PREFIX.values() if p}, key=len, reverse=True))


def describe_conditions(when: Mapping[str, Any], skip: Iterable[str] = ("region",)) -> str:
    """A rule's conditions in Swedish words, e.g. 'under 18 år, med hemsjukvård'.

    Each condition is said once, also when the rule base lists it twice or under two keys.

    >>> describe_conditions({"region": "Norrbotten", "age": {"gte": 18}, "home_care": True})
    '18 år eller äldre, med hemsjukvård'
    """
    skipped = set(skip)
    parts = [describe_condition(key, cond) for key, cond in when.items() if key not in skipped]
    return ", ".join(distinct(parts))


def describe_condition(key: str, cond: Any) -> str:
    """One condition (`key: cond` of a rule's `when`) in words; '' if it cannot be said."""
    if key in ("any", "all"):
        subs = distinct(describe_conditions(sub, ()) for sub in cond)
        return (" eller " if key == "any" else ", ").join(subs)
    if key == "vaccine":
        return _VACCINES.get(str(cond).lower(), str(cond))
    if key == "orderer" and isinstance(cond, str):
        return _ORDERERS.get(cond, cond)
    if isinstance(cond, bool):
        # A flag without words of its own is left out rather than written as 'True'.
        yes, no = _BOOL_WORDS.get(key, ("", ""))
        return yes if cond else no
    if key in _NUMBER_UNITS:
        return describe_number(key, cond)
    if key == "use":
        return f"för {cond}bruk"
    prefix = _PREFIX.get(key, "")
    words = _VALUE_WORDS.get(key, {})
    if isinstance(cond, Mapping):
        if "in" in cond:
            values = distinct(words.get(str(v), str(v)) for v in cond["in"])
            return prefix + (values[0] if key in _SYNONYM_KEYS and values else _or_list(values))
        if "not" in cond:
            return f"inte {cond['not']}"
        return ""
    return f"{prefix}{words.get(str(cond), cond)}"


def distinct(phrases: Iterable[str]) -> list[str]:
    """The phrases without empty ones and without repeats, in order (the first wording kept).

    A repeat is the same phrase in other case or spacing, with or without a condition's
    leading word ('kryckor' after 'inom kryckor'), or a compound of an earlier phrase
    ('kognitionshjälpmedel' after 'inom kognition').

    >>> distinct(["inom kryckor", "kryckor", "fritid", "Fritid", "", "fritidshjälpmedel"])
    ['inom kryckor', 'fritid']
    """
    seen: list[str] = []
    out: list[str] = []
    for phrase in phrases:
        key = _without_lead(_plain(phrase))
        if phrase.strip() and not any(_same_stem(key, old) for old in seen):
            seen.append(key)
            out.append(phrase.strip())
    return out


def _same_stem(key: str, other: str) -> bool:
    """Whether one phrase key is the other, or starts with it as a stem ('kommun' of
    'kommunens ansvar'); a stem under four letters must be a whole word ('ja' of 'ja (…)')."""
    short, long = sorted((key, other), key=len)
    if not short or not long.startswith(short):
        return False
    return len(short) == len(long) or len(short) >= 4 or long[len(short)] == " "


def _without_lead(key: str) -> str:
    for lead in _LEAD_WORDS:
        if key.startswith(lead) and len(key) > len(lead):
            return key[len(lead):]
    return key


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


def join_segments(*texts: str) -> str:
    """Conclusions joined with ' – ', each segment said once.

    A segment that repeats an earlier one (the same words, the same words with a parenthesis,
    or the earlier words said in full: 'kommun', 'kommunens ansvar') is dropped; the fuller
    wording is kept in the earlier place.

    >>> join_segments("0 kr", "0 kr (egenavgift)")
    '0 kr (egenavgift)'
    >>> join_segments("kommun", "kommunens ansvar (18 år och äldre)")
    'kommunens ansvar (18 år och äldre)'
    >>> join_segments("ja", "ja – det framgår av föreskriften")
    'ja – det framgår av föreskriften'
    """
    segments: list[str] = []
    keys: list[str] = []
    for text in texts:
        for segment in _segments(text):
            key = _plain(segment)
            if not segment:
                continue
            at = next((i for i, old in enumerate(keys) if _same_stem(key, old)), None)
            if at is None:
                keys.append(key)
                segments.append(segment)
            elif len(segment) > len(segments[at]):
                keys[at], segments[at] = key, segment
    return SEGMENT_SEP.join(segments)


def _segments(text: str) -> list[str]:
    """The text split at ' – ', except inside parentheses ('(… vårdcentral – behandling)')."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth <= 0 and text.startswith(SEGMENT_SEP, i):
            out.append(text[start:i])
            start = i + len(SEGMENT_SEP)
    out.append(text[start:])
    return [s.strip() for s in out]


def merge_notices(notices: Iterable[str]) -> list[str]:
    """Notices that open with the same statement merged into one line, repeats dropped.

    A notice is a statement followed by details ('; …' or further sentences). Notices whose
    statements agree apart from a parenthesis ('(2025-11-18)') become one line: the fullest
    statement, then every distinct detail once, clauses before sentences.

    >>> merge_notices(["Policyn är från 2013; kontrollera riktlinjerna.",
    ...                "Policyn är från 2013 (avtal 2013-02-01); kontrollera riktlinjerna."])
    ['Policyn är från 2013 (avtal 2013-02-01); kontrollera riktlinjerna.']
    """
    groups: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for notice in notices:
        lead, clauses, sentences = _notice_parts(notice)
        if not lead:
            continue
        leads, all_clauses, all_sentences = groups.setdefault(_plain(lead), ([], [], []))
        leads.append(lead)
        all_clauses += clauses
        all_sentences += sentences
    return [_notice_line(*parts) for parts in groups.values()]


def _notice_parts(notice: str) -> tuple[str, list[str], list[str]]:
    """A notice's statement, its '; ' details and its further sentences (without end stops)."""
    sentences = [s.strip().rstrip(".") for s in re.split(r"(?<=\.)\s+(?=[A-ZÅÄÖ])", notice)]
    head, *rest = [s for s in sentences if s] or [""]
    lead, *clauses = [c.strip() for c in head.split(";") if c.strip()] or [""]
    return lead, clauses, rest


def _notice_line(leads: list[str], clauses: list[str], sentences: list[str]) -> str:
    lead = max(leads, key=len)
    known = {_plain(lead)}
    details: list[str] = []
    for clause in distinct(clauses):
        if _plain(clause) not in known:
            known.add(_plain(clause))
            details.append(clause)
    line = "; ".join([lead, *details])
    extra = [s for s in distinct(sentences) if _plain(s) not in known]
    return ". ".join([line, *extra]) + "."
