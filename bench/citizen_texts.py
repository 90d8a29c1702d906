"""The citizens' messages the benchmarks and drills send: the distinct texts of the
matcher's evaluation cases (faq/tests.yaml: slang, typos, Palembang dialect, long stories),
in the form Twilio posts them."""

import uuid
from pathlib import Path

import yaml

CASES = Path(__file__).resolve().parent.parent / "faq" / "tests.yaml"


def citizen_texts() -> list[str]:
    """Return the distinct texts of faq/tests.yaml, in file order."""
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    return list(dict.fromkeys(case["text"] for case in cases))


def whatsapp_form(body: str, number: str) -> dict:
    """Return the form Twilio posts for one WhatsApp message, with a new MessageSid."""
    sid = "SM" + uuid.uuid4().hex
    return {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Warga",
        "SmsSid": sid,
        "WaId": number.lstrip("+"),
        "SmsStatus": "received",
        "Body": body,
        "To": "whatsapp:+14155238886",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": f"whatsapp:{number}",
        "ApiVersion": "2010-04-01",
    }
