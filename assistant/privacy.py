"""Mask Swedish personal identity numbers and phone numbers in free text.

Questions may carry patient details. Before a question is logged, stored with feedback or sent
to any language model, identifiers are replaced by a placeholder and the user is told so.

Masked:
- personnummer: YYMMDD-NNNN, YYMMDD+NNNN (100 years or older), YYMMDDNNNN, YYYYMMDD-NNNN,
  YYYYMMDDNNNN (also with a space, a dot or " - " as separator), with a valid Luhn check digit and
  a real month and day;
- samordningsnummer: the same with 60 added to the day (61–91);
- phone numbers: Swedish numbers written with a leading 0 (right before the area code), +46,
  0046 or 46 (optionally "(0)") and 7–10 further digits, with spaces, hyphens, dots or " - "
  between digit groups, the area code also in brackets ("(070) 123 45 67"), the whole number
  also inside brackets;
- e-mail addresses;
- a person's name written before a birth date or year ("Anna Andersson, född 1950").

Dashes of every kind (–, —, −) count as a hyphen and invisible characters (zero-width spaces and
joiners, soft hyphens) are ignored, so "501015–1234" or a number with a hidden character inside
is masked too. Only the identifier is replaced: the rest of the text stays as written.

Not masked: dates (2025-11-01), ISO codes (12 06 06, 120606), amounts (15 000 kr), opening
hours (kl. 08.00–16.30) and numbers that fail the checksum.

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
    # "121212.1212" too: dots are a common separator in copied records.
    r"\s?(?P<sep>[-+.]?)\s?"
    r"(?P<tail>\d{4})"
    r"(?![\d])"
)
_PHONE = re.compile(
    # A bracket may stand before a number ("(+46 70 …)", "((070) …)"): the match then starts
    # at the number, or at "(0" for a bracketed area code.
    r"(?<![\w+])"
    # A national "0" is written right before the area code ("070", "08"); after +46/0046/46 a
    # space, hyphen or "(0)" may follow. Without that, "0-1 500 000 kr" would be a number.
    r"(?:(?:\+46|0046|46)[\s.-]*(?:\(0\)[\s.-]*)?|0|\(0)"
    r"[1-9](?:\d{0,3}\))?(?:(?:\s?[-.]\s?|\s)?\d){6,9}"
    r"(?![\d])"
)
# Opening hours ("kl. 08.00–16.30") have a phone number's digits and dots but are a time range.
_TIME_RANGE = re.compile(r"\d{2}[.:][0-5]\d\s?-\s?\d{1,2}[.:][0-5]\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Two or more capitalised words right before "född" and a date or year: not a region's name,
# and not a word for the person that starts the sentence ("Patienten Anna Andersson, född …").
_NOT_NAMES = ("Region|Kommun|Landstinget|Patienten|Patient|Brukaren|Kvinnan|Mannen|Flickan|"
              "Pojken|Barnet|Dottern|Sonen|Hon|Han|Min|Vår|Remiss|Gäller|Ang")
_NAMED = re.compile(rf"\b(?!(?:{_NOT_NAMES})\b)[A-ZÅÄÖ][a-zåäöéü]+"
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


def _readable(text: str) -> tuple[str, list[int]]:
    """`text` without hidden characters and with one kind of hyphen, and for each of its
    characters (and its end) the index it has in `text`."""
    kept = [i for i, ch in enumerate(text) if not _INVISIBLE.match(ch)]
    return "".join(text[i] for i in kept).translate(_DASHES), [*kept, len(text)]


def _replace(text: str, pattern: re.Pattern[str],
             placeholder: Callable[[re.Match[str]], str | None]) -> str:
    """`text` with each match of `pattern` (found in its readable form) replaced where
    `placeholder` gives one; everything outside a match stays exactly as written (an en dash
    elsewhere in the sentence is not turned into a hyphen)."""
    readable, where = _readable(text)
    out, last = [], 0
    for match in pattern.finditer(readable):
        new = placeholder(match)
        if new is None:
            continue
        start, end = where[match.start()], where[match.end() - 1] + 1
        out += [text[last:start], new]
        last = end
    return "".join([*out, text[last:]]) if out else text


def mask_identifiers(text: str) -> Masked:
    """Replace personnummer, samordningsnummer, phone numbers, e-mail addresses and a name
    before "född"; see the module docstring."""
    kinds: list[str] = []

    def replace_id(match: re.Match[str]) -> str | None:
        kind = _id_kind(match)
        if kind is None:
            return None
        kinds.append(kind)
        return PLACEHOLDERS[kind]

    def replace_phone(match: re.Match[str]) -> str | None:
        if _TIME_RANGE.fullmatch(match.group(0)):
            return None
        kinds.append("telefonnummer")
        return PLACEHOLDERS["telefonnummer"]

    def replace(kind: str) -> Callable[[re.Match[str]], str]:
        def sub(_: re.Match[str]) -> str:
            kinds.append(kind)
            return PLACEHOLDERS[kind]
        return sub

    # Matched as read (no hidden characters, one kind of hyphen), replaced in the text as
    # written; a text that holds no identifier comes back unchanged.
    masked = _replace(text, _EMAIL, replace("e-postadress"))
    masked = _replace(masked, _ID, replace_id)
    masked = _replace(masked, _PHONE, replace_phone)
    masked = _replace(masked, _NAMED, replace("namn"))
    return Masked(text=masked, kinds=tuple(dict.fromkeys(kinds)))


def masked_notice(kinds: tuple[str, ...]) -> str:
    """The Swedish note shown to the user when something was masked."""
    if not kinds:
        return ""
    return ("Av integritetsskäl maskerades " + " och ".join(kinds)
            + " i frågan innan den behandlades eller sparades.")
