"""Property test for masking (issue 16 §9): generated variants of every identifier are masked in
a sentence, and generated ordinary text with numbers that are no identifiers is left exactly as
written.

`hypothesis` is not installed here, so the cases come from `random.Random` with a fixed seed:
the same few hundred cases every run, and a failure names the seed, the case number and the
text. Valid personnummer are built with the independent Luhn implementation of
tests/test_privacy.py, never the module's own.
"""

from __future__ import annotations

import random
from typing import Callable

import pytest

from assistant.privacy import PLACEHOLDERS, mask_identifiers
from tests.test_privacy import valid

SEED = 20261201
CASES = 300

# Sentences an identifier is written into; {} is where it stands.
SENTENCES = [
    "Patienten {} behöver en rollator för utomhusbruk.",
    "Gäller det {}?",
    "Kan du kolla {} – hon bor i Luleå.",
    "Uppgifter: {}, boende i Kiruna, 82 år.",
    "({}) ska få en rullstol enligt remiss.",
    "Ring mig på {} om det är oklart.",
    "jag har en patient med {} som behöver hjälp",
    "{} har fått avslag på sin ansökan.",
    "Hennes nummer är {}.",
    "Kontakt: {}; svar senast fredag.",
]
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]


def with_zero_width(rng: random.Random, text: str) -> str:
    """`text` with an invisible character at a random place between two of its characters."""
    at = rng.randrange(1, len(text))
    return text[:at] + rng.choice(ZERO_WIDTH) + text[at:]


def personnummer(rng: random.Random) -> tuple[str, str]:
    """(written form, kind): a valid personnummer or samordningsnummer, written any way."""
    year = rng.randrange(1920, 2024)
    month, day = rng.randrange(1, 13), rng.randrange(1, 29)
    samordning = rng.random() < 0.25
    yymmdd = f"{year % 100:02d}{month:02d}{day + 60 * samordning:02d}"
    ten = valid(yymmdd, f"{rng.randrange(1000):03d}")
    date, tail = ten[:6], ten[6:]
    if rng.random() < 0.5:
        date = f"{year // 100}{date}"
    sep = rng.choice(["", "-", "+", "\u2013", "\u2014", "\u2212", " ", " - ", " \u2013 ", "- ",
                      " -", ".", " . "])
    if sep == "+" and year > 1926:
        sep = "-"  # "+" says the person is 100 or older
    written = date + sep + tail
    if rng.random() < 0.3:
        written = with_zero_width(rng, written)
    return written, "samordningsnummer" if samordning else "personnummer"


def phone(rng: random.Random) -> tuple[str, str]:
    """A Swedish phone number in one of the ways people write them."""
    area = rng.choice(["70", "72", "73", "76", "79", "8", "31", "40", "920", "90", "13"])
    digits = 9 - len(area) + (len(area) == 1)  # 08-123 456 78, 070-123 45 67, 0920-123 45
    subscriber = "".join(rng.choice("0123456789") for _ in range(digits))
    groups = rng.choice([[subscriber],
                         [subscriber[:3], subscriber[3:5], subscriber[5:]],
                         [subscriber[:3], subscriber[3:]],
                         [subscriber[:2], subscriber[2:4], subscriber[4:]]])
    groups = [g for g in groups if g]
    inner = rng.choice([" ", "-", ".", ""])
    rest = inner.join(groups)
    style = rng.randrange(7)
    if style == 0:
        written = f"0{area}{rng.choice(['-', ' - ', ' ', '', '.', chr(0x2013)])}{rest}"
    elif style == 1:
        written = f"(0{area}) {rest}"
    elif style == 2:
        written = f"+46 {area}{rng.choice(['-', ' '])}{rest}"
    elif style == 3:
        written = f"+46{area}{subscriber}"
    elif style == 4:
        written = f"46{area}{subscriber}"
    elif style == 5:
        written = f"0046 {area} {rest}"
    else:
        written = f"+46 (0){area} {rest}"
    if rng.random() < 0.15:
        written = with_zero_width(rng, written)
    return written, "telefonnummer"


FIRST = ["Anna", "Åsa", "Örjan", "Per-Olof", "Karl", "Märta", "Lars", "Ingrid", "Björn", "Eva"]
LAST = ["Andersson", "Öberg", "Lindén", "Johansson", "Ek", "Åström", "Nilsson-Berg", "Kallio"]
LOCAL = ["anna", "a.andersson", "per-olof.ek", "lars+hjalp", "ingrid_n", "bjorn2", "EVA.Ek"]
DOMAINS = ["regionnorrbotten.se", "kiruna.se", "gmail.com", "vgregion.se", "mail.example.co.uk",
           "hjälpmedel.se"]


def email(rng: random.Random) -> tuple[str, str]:
    return f"{rng.choice(LOCAL)}@{rng.choice(DOMAINS)}", "e-postadress"


def named(rng: random.Random) -> tuple[str, str]:
    """'Anna Andersson, född 1950' → the name masked, the birth year kept."""
    name = " ".join([rng.choice(FIRST), *rng.sample(LAST, rng.choice([1, 1, 2]))])
    return name, "namn"


def born(rng: random.Random) -> str:
    year = rng.randrange(1920, 2024)
    return rng.choice([f", född {year}", f" född {year}", f", f. {year}",
                       f", född {year}-0{rng.randrange(1, 10)}-1{rng.randrange(10)}"])


KINDS: list[Callable[[random.Random], tuple[str, str]]] = [personnummer, phone, email, named]


def identifier_cases() -> list[tuple[int, str, str, str]]:
    """(case number, text, the expected masked text, kind)."""
    rng = random.Random(SEED)
    cases = []
    for n in range(CASES):
        make = KINDS[n % len(KINDS)]
        written, kind = make(rng)
        sentence = rng.choice(SENTENCES)
        if kind == "namn":
            # A name is masked only before "född"; the birth year stays (it is no identifier).
            tail = born(rng)
            sentence = rng.choice(["Jag har en patient, {}, som behöver en rollator.",
                                   "gäller {}, boende i Luleå", "Remiss för {} i Kiruna.",
                                   "Patienten {} har fått en rullstol.", "Hon {} – vad gäller?"])
            text = sentence.format(written + tail)
            expected = sentence.format(PLACEHOLDERS[kind] + tail)
        else:
            text = sentence.format(written)
            expected = sentence.format(PLACEHOLDERS[kind])
        cases.append((n, text, expected, kind))
    return cases


@pytest.mark.parametrize(("n", "text", "expected", "kind"), identifier_cases(),
                         ids=lambda v: str(v) if isinstance(v, int) else None)
def test_a_generated_identifier_is_masked_in_its_sentence(n: int, text: str, expected: str,
                                                          kind: str) -> None:
    masked = mask_identifiers(text)
    assert masked.text == expected, f"seed {SEED}, case {n}: {text!r}"
    assert masked.kinds == (kind,), f"seed {SEED}, case {n}: {text!r}"


# Ordinary text with numbers that are no identifiers; each piece stands between words, so two
# numbers never run together into something that could be one.
ORDINARY: list[Callable[[random.Random], str]] = [
    lambda r: f"ISO {r.randrange(1, 100):02d} {r.randrange(100):02d} {r.randrange(100):02d}",
    lambda r: f"ISO-kod {r.randrange(1, 100):02d}{r.randrange(100):02d}{r.randrange(100):02d}",
    lambda r: f"{r.randrange(1, 100)} {r.randrange(1000):03d} kr",
    lambda r: f"{r.randrange(100, 100000)} kronor",
    lambda r: f"0-{r.randrange(1, 10)} {r.randrange(1000):03d} {r.randrange(1000):03d} kr",
    lambda r: f"{r.randrange(2000, 2031)}-{r.randrange(1, 13):02d}-{r.randrange(1, 29):02d}",
    lambda r: f"{r.randrange(2000, 2031)}{r.randrange(1, 13):02d}{r.randrange(1, 29):02d}",
    lambda r: f"{r.randrange(1, 29)} november {r.randrange(2000, 2031)}",
    lambda r: f"{r.choice(['3', '7,5', '15', '1,5'])} hp",
    lambda r: f"{r.randrange(1, 100)} %",
    lambda r: f"SFS {r.randrange(1980, 2025)}:{r.randrange(1, 1000)}",
    lambda r: f"kl. {r.randrange(7, 10):02d}.00–{r.randrange(15, 18)}.30",
    lambda r: f"vecka {r.randrange(1, 53)}",
    lambda r: f"{r.randrange(1, 100)} år",
    lambda r: f"version {r.randrange(1, 10)}.{r.randrange(10)}",
    lambda r: f"avgift {r.randrange(50, 500)} kr per {r.randrange(2, 13)} månader",
    lambda r: f"{r.randrange(1, 13)}/{r.randrange(1, 29)}",
    lambda r: f"sidan {r.randrange(1, 300)}",
    lambda r: f"Region {r.choice(['Norrbotten', 'Dalarna'])}, född {r.randrange(1920, 2024)}",
]
FILLER = ["Enligt riktlinjen gäller", "och", "samt", "men inte", "för", "med", "från",
          "Hjälpmedlet kostar", "se", "som", "enligt"]


def ordinary_cases() -> list[tuple[int, str]]:
    rng = random.Random(SEED + 1)
    cases = []
    for n in range(CASES):
        parts = [rng.choice(FILLER)]
        for _ in range(rng.randrange(1, 4)):
            parts += [rng.choice(ORDINARY)(rng), rng.choice(FILLER)]
        cases.append((n, " ".join(parts) + rng.choice([".", "?", ""])))
    return cases


@pytest.mark.parametrize(("n", "text"), ordinary_cases(),
                         ids=lambda v: str(v) if isinstance(v, int) else None)
def test_ordinary_text_with_numbers_is_kept_exactly(n: int, text: str) -> None:
    masked = mask_identifiers(text)
    assert masked.text == text, f"seed {SEED + 1}, case {n}: {text!r}"
    assert not masked.changed
