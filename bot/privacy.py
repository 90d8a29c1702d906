"""Keep personal data out of logs and screens: masking of phone, NIK and KK numbers."""

from __future__ import annotations

import logging
import re

# NIK and KK numbers are 16 digits; allow spaces or dots between groups.
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d[\s.-]?){15}\d(?!\d)")
_PHONE = re.compile(r"(?<![\d])(\+?\d[\d\s-]{8,14}\d)(?!\d)")


def mask_number(number: str | None) -> str:
    """Return a phone number with its middle hidden: +62 812-****-7890."""
    if not number:
        return ""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 8:
        return "****"
    country = "+62 " if digits.startswith("62") else "+"
    local = digits[2:] if digits.startswith("62") else digits
    return f"{country}{local[:3]}-****-{local[-4:]}"


def mask_identifiers(text: str) -> str:
    """Return text with 16-digit NIK/KK numbers reduced to their last four digits."""

    def hide(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "************" + digits[-4:]

    return _SIXTEEN_DIGITS.sub(hide, text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks NIK/KK numbers in every record's final message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_identifiers(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
