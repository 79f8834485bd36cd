"""Privacy (assistant/privacy.py): personnummer, samordningsnummer and phone numbers are masked
before anything else sees a question; dates, ISO codes, amounts and invalid numbers are not.

Valid numbers are built here with an independent Luhn implementation, so the tests do not trust
the module's own checksum.
"""

from __future__ import annotations

import json
import logging

import pytest

from assistant.privacy import mask_identifiers, masked_notice
from core.values import Turn


def check_digit(nine: str) -> str:
    """The Luhn check digit for YYMMDDNNN (weights 2,1,2,1,…; digit sums of the products)."""
    total = 0
    for i, ch in enumerate(nine):
        product = int(ch) * (2 - i % 2)
        total += product // 10 + product % 10
    return str((10 - total % 10) % 10)


def valid(yymmdd: str, nnn: str) -> str:
    """A valid 10-digit number YYMMDDNNNC."""
    return yymmdd + nnn + check_digit(yymmdd + nnn)


PNR = valid("850709", "238")  # personnummer, born 1985-07-09
SAMNR = valid("850769", "238")  # samordningsnummer: day 09 + 60
OLD = valid("120402", "111")  # someone born 1912, written with "+"


def test_independent_luhn_agrees_with_known_numbers() -> None:
    assert valid("121212", "121") == "1212121212"  # Skatteverket's example number
    assert valid("811218", "987") == "8112189876"


@pytest.mark.parametrize("written", [
    f"{PNR[:6]}-{PNR[6:]}",  # YYMMDD-NNNN
    PNR,  # YYMMDDNNNN
    f"19{PNR[:6]}-{PNR[6:]}",  # YYYYMMDD-NNNN
    f"19{PNR}",  # YYYYMMDDNNNN
    f"{PNR[:6]} {PNR[6:]}",  # a space instead of the hyphen
    f"{PNR[:6]} - {PNR[6:]}",
    f"{OLD[:6]}+{OLD[6:]}",  # 100 years or older
    f"19{OLD[:6]}+{OLD[6:]}",
    f"{PNR[:6]}\u2013{PNR[6:]}",  # an en dash, as word processors write it
    f"{PNR[:6]} \u2013 {PNR[6:]}",
    f"19{PNR[:6]}\u2212{PNR[6:]}",  # a minus sign
    f"{PNR[:3]}\u200b{PNR[3:6]}-{PNR[6:]}",  # a zero-width space inside
    f"{PNR[:6]}-\u00ad{PNR[6:]}",  # a soft hyphen
])
def test_personnummer_is_masked_in_every_written_form(written: str) -> None:
    masked = mask_identifiers(f"Patienten ({written}) behöver en rollator.")
    assert masked.text == "Patienten ([personnummer]) behöver en rollator."
    assert masked.kinds == ("personnummer",)


@pytest.mark.parametrize("written", [
    f"{SAMNR[:6]}-{SAMNR[6:]}", SAMNR, f"19{SAMNR[:6]}-{SAMNR[6:]}", f"19{SAMNR}",
])
def test_samordningsnummer_is_masked(written: str) -> None:
    masked = mask_identifiers(f"samordningsnr {written}, gäller det?")
    assert masked.text == "samordningsnr [samordningsnummer], gäller det?"
    assert masked.kinds == ("samordningsnummer",)


@pytest.mark.parametrize("written", [
    "+46 70 123 45 67", "+46701234567", "+46-70-123 45 67", "0046 70 123 45 67",
    "0046701234567", "070-123 45 67", "070 - 123 45 67", "0701234567", "073-1234567",
    "08-123 456 78", "08 - 123 456 78", "08-12345678", "+46 (0)8 123 456 78",
    "031-123 45 67", "0920-123 45", "(070) 123 45 67", "070.123.45.67", "46701234567",
    "070\u2013123 45 67",
])
def test_phone_numbers_are_masked(written: str) -> None:
    masked = mask_identifiers(f"Ring mig på {written}.")
    assert masked.text == "Ring mig på [telefonnummer]."
    assert masked.kinds == ("telefonnummer",)


@pytest.mark.parametrize("text", [
    "Gäller från 2025-11-01 till 2025-12-31.",
    "Beslutet togs 20250101 och 20241231.",
    "ISO-kod 12 06 06 och 12 22 18, även 09 12 03.",
    "ISO 120606, 122218, 091203 och 04 06 06.",
    "Egenavgiften är 15 000 kr, 1 500 kr eller 15000 kr per år.",
    "Kostnadsintervall 0-1 500 000 kr.",
    f"Fel kontrollsiffra: {PNR[:9]}{(int(PNR[9]) + 1) % 10} och {PNR[:6]}-{PNR[6:9]}"
    f"{(int(PNR[9]) + 3) % 10}.",
    "Åttasiffrigt nummer 12345678 och 87654321.",
    "Ordernummer 123456-7890 (månad 34 finns inte).",
    "Datum med tid 2025-11-01 10:30.",
    "Sexton siffror 1212121212121212.",
])
def test_look_alikes_are_not_masked(text: str) -> None:
    masked = mask_identifiers(text)
    assert masked.text == text
    assert masked.kinds == ()
    assert not masked.changed


def test_e_mail_addresses_and_a_named_person_with_birth_year_are_masked() -> None:
    masked = mask_identifiers("Mejla anna.andersson@regionx.se om Anna Andersson, född 1950.")
    assert masked.text == "Mejla [e-postadress] om [namn], född 1950."
    assert masked.kinds == ("e-postadress", "namn")
    # A region's name before "född" is no person; a text without identifiers stays as written.
    plain = "Region Norrbotten, född 2013 som samverkan\u2013policy"
    assert mask_identifiers(plain).text == plain


def test_several_kinds_are_listed_once_each() -> None:
    masked = mask_identifiers(f"{PNR}, 070-123 45 67, {SAMNR} och 19{PNR}")
    assert masked.text == ("[personnummer], [telefonnummer], [samordningsnummer] och "
                           "[personnummer]")
    assert sorted(masked.kinds) == ["personnummer", "samordningsnummer", "telefonnummer"]
    notice = masked_notice(masked.kinds)
    assert "personnummer" in notice and "telefonnummer" in notice and "maskerades" in notice
    assert masked_notice(()) == ""


@pytest.fixture(scope="module")
def assistant(bundled_index):
    from assistant.pipeline import Assistant

    settings, _ = bundled_index
    return Assistant.from_settings(settings, build_if_missing=False)


def test_ask_masks_the_question_and_earlier_turns_and_warns(assistant, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    history = [Turn(question=f"Min patient {PNR[:6]}-{PNR[6:]} bor i Norrbotten, ring "
                             "070-123 45 67. Vem förskriver rollator?",
                    answer="Se policyn.")]
    answer = assistant.ask(f"Och om patienten 19{SAMNR} behöver den utomhus?", history=history)
    dumped = json.dumps(answer.to_json(), ensure_ascii=False) + answer.query
    for secret in (PNR, PNR[6:], SAMNR, "123 45 67"):
        assert secret not in dumped
        assert secret not in caplog.text
    assert "[samordningsnummer]" in answer.question
    assert any("maskerades" in w and "samordningsnummer" in w for w in answer.warnings)
    # The follow-up was still understood: the region came from the (masked) earlier turn.
    assert answer.region == "Norrbotten"
    assert not answer.refused


def test_ask_without_identifiers_gives_no_privacy_notice(assistant) -> None:
    answer = assistant.ask("Vem förskriver en rollator för utomhusbruk i Norrbotten?")
    assert not any("maskerades" in w for w in answer.warnings)
