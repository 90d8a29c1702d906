"""Keep personal data out of logs and screens: masking of phone, NIK and KK numbers."""

from __future__ import annotations

import logging
import re

# NIK and KK numbers are 16 digits; allow spaces or dots between groups.
_SIXTEEN_DIGITS = re.compile(r"(?<!\d)(\d[\s.-]?){15}\d(?!\d)")
# Phone numbers as logs and people write them: +62 / 62 / 0 then 8 (Indonesian mobiles),
# or any "+" and 8-15 digits; spaces and dashes between digits.
_PHONE = re.compile(r"(?<![\w+])(?:(?:\+?62|0)[\s-]?8\d|\+\d\d)(?:[\s-]?\d){6,12}(?!\d)")


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


def mask_phones(text: str) -> str:
    """Return text with every phone number masked like mask_number (+62 812-****-7890)."""

    def hide(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return mask_number("62" + digits[1:] if digits.startswith("0") else match.group(0))

    return _PHONE.sub(hide, text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks NIK/KK and phone numbers in every record's final message.

    Phone numbers are masked too because libraries log what they were given: SQLAlchemy's
    result rows at DEBUG, an HTTP client's request bodies — and an anonymous pungli
    reporter's number must never reach a log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_phones(mask_identifiers(message))
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # A traceback's last line quotes the exception, e.g. SQL with its parameters.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(mask_identifiers(record.exc_text))
        return True
