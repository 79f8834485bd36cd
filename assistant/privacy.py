"""Mask Swedish personal identity numbers and phone numbers in free text.

Questions may carry patient details. Before a question is logged, stored with feedback or sent
to any language model, identifiers are replaced by a placeholder and the user is told so.

Masked:
- personnummer: YYMMDD-NNNN, YYMMDD+NNNN (100 years or older), YYMMDDNNNN, YYYYMMDD-NNNN,
  YYYYMMDDNNNN (also with a space or " - " as separator), with a valid Luhn check digit and
  a real month and day;
- samordningsnummer: the same with 60 added to the day (61–91);
- phone numbers: Swedish numbers written with a leading 0 (right before the area code), +46,
  0046 or 46 (optionally "(0)") and 7–10 further digits, with spaces, hyphens, dots or " - "
  between digit groups, the area code also in brackets ("(070) 123 45 67");
- e-mail addresses;
- a person's name written before a birth date or year ("Anna Andersson, född 1950").

Dashes of every kind (–, —, −) count as a hyphen and invisible characters (zero-width spaces and
joiners, soft hyphens) are ignored, so "501015–1234" or a number with a hidden character inside
is masked too.

Not masked: dates (2025-11-01), ISO codes (12 06 06, 120606), amounts (15 000 kr) and numbers
that fail the checksum.

Example:
    >>> masked = mask_identifiers("Patient 19121212-1212, ring 070-123 45 67")
    >>> masked.text
    'Patient [personnummer], ring [telefonnummer]'
    >>> masked.kinds
    ('personnummer', 'telefonnummer')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

PLACEHOLDERS = {
    "personnummer": "[personnummer]",
    "samordningsnummer": "[samordningsnummer]",
    "telefonnummer": "[telefonnummer]",
    "e-postadress": "[e-postadress]",
    "namn": "[namn]",
}
# Characters a copied text may hide inside a number: zero-width spaces and joiners, the BOM, the
# soft hyphen and the word joiner.
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
# Dashes written for a hyphen in a number ("501015–1234").
_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
                         "\u2014": "-", "\u2212": "-"})

# Digits not glued to other digits (or to a hyphen-number, as in an ISO code or an amount).
_ID = re.compile(
    r"(?<![\d+-])"
    r"(?P<century>\d{2})?(?P<yy>\d{2})(?P<mm>\d{2})(?P<dd>\d{2})"
    # "121212-1212", "121212 - 1212", "121212 1212", "121212+1212" (aged 100 or more)
    r"\s?(?P<sep>[-+]?)\s?"
    r"(?P<tail>\d{4})"
    r"(?![\d])"
)
_PHONE = re.compile(
    r"(?<![\w+(])"
    # A national "0" is written right before the area code ("070", "08"); after +46/0046/46 a
    # space, hyphen or "(0)" may follow. Not requiring that made "0-1 500 000 kr" a number.
    r"(?:(?:\+46|0046|46)[\s.-]*(?:\(0\)[\s.-]*)?|0|\(0)"
    r"[1-9](?:\d{0,3}\))?(?:(?:\s?[-.]\s?|\s)?\d){6,9}"
    r"(?![\d])"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Two or more capitalised words right before "född" and a date or year (not a region's name).
_NAMED = re.compile(r"\b(?!(?:Region|Kommun|Landstinget)\b)[A-ZÅÄÖ][a-zåäöéü]+"
                    r"(?:[ -][A-ZÅÄÖ][a-zåäöéü]+)+(?=,?\s+(?:född|f\.)\s+\d)")


@dataclass(frozen=True)
class Masked:
    """Text with identifiers replaced, and which kinds were found (in order, each once)."""

    text: str
    kinds: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_ok(digits: str) -> bool:
    """Luhn checksum as used for the 10-digit form YYMMDDNNNN."""
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _id_kind(match: re.Match[str]) -> str | None:
    century = match.group("century")
    if century is not None and century not in {"18", "19", "20"}:
        return None
    month, day = int(match.group("mm")), int(match.group("dd"))
    if not 1 <= month <= 12:
        return None
    ten = match.group("yy") + match.group("mm") + match.group("dd") + match.group("tail")
    if not luhn_ok(ten):
        return None
    if 1 <= day <= 31:
        return "personnummer"
    if 61 <= day <= 91:
        return "samordningsnummer"
    return None


def mask_identifiers(text: str) -> Masked:
    """Replace personnummer, samordningsnummer and phone numbers; see the module docstring."""
    kinds: list[str] = []

    def replace_id(match: re.Match[str]) -> str:
        kind = _id_kind(match)
        if kind is None:
            return match.group(0)
        kinds.append(kind)
        return PLACEHOLDERS[kind]

    def replace_phone(match: re.Match[str]) -> str:
        kinds.append("telefonnummer")
        return PLACEHOLDERS["telefonnummer"]

    def replace(kind: str) -> Callable[[re.Match[str]], str]:
        def sub(_: re.Match[str]) -> str:
            kinds.append(kind)
            return PLACEHOLDERS[kind]
        return sub

    # Read as written, but without hidden characters and with one kind of hyphen; text that
    # holds no identifier is returned exactly as it came.
    clean = _INVISIBLE.sub("", text).translate(_DASHES)
    masked = _EMAIL.sub(replace("e-postadress"), clean)
    masked = _ID.sub(replace_id, masked)
    masked = _PHONE.sub(replace_phone, masked)
    masked = _NAMED.sub(replace("namn"), masked)
    if not kinds:
        return Masked(text=text)
    return Masked(text=masked, kinds=tuple(dict.fromkeys(kinds)))


def masked_notice(kinds: tuple[str, ...]) -> str:
    """The Swedish note shown to the user when something was masked."""
    if not kinds:
        return ""
    return ("Av integritetsskäl maskerades " + " och ".join(kinds)
            + " i frågan innan den behandlades eller sparades.")
