"""Personal numbers never reach logs or screens whole."""

from __future__ import annotations

import logging

import pytest

from bot.privacy import MaskingFilter, mask_identifiers, mask_number


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+6281234567890", "+62 812-****-7890"),
        ("whatsapp:+6281234567890", "+62 812-****-7890"),
        ("+14155238886", "+141-****-8886"),
        ("123", "****"),
        ("", ""),
    ],
)
def test_mask_number(number, masked):
    assert mask_number(number) == masked


@pytest.mark.parametrize(
    "text",
    [
        "NIK saya 1671041205900003 mohon dicek",
        "nik 1671 0412 0590 0003",
        "KK:1671.0412.0590.0003",
    ],
)
def test_sixteen_digit_numbers_are_masked(text):
    masked = mask_identifiers(text)
    assert "0003" in masked
    assert "167104" not in masked.replace(" ", "").replace(".", "")


def test_shorter_numbers_are_kept():
    assert mask_identifiers("bayar 50000 di loket 12") == "bayar 50000 di loket 12"


def test_logging_filter_masks_nik_in_formatted_records(caplog):
    logger = logging.getLogger("test.privacy")
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    handler.addFilter(MaskingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("pesan dari warga: %s", "NIK 1671041205900003")
    finally:
        logger.removeHandler(handler)
    assert "1671041205900003" not in records[0].getMessage()
