"""The citizens' messages the benchmarks and drills send: the distinct texts of the
matcher's evaluation cases (faq/tests.yaml: slang, typos, Palembang dialect, long stories)."""

from pathlib import Path

import yaml

CASES = Path(__file__).resolve().parent.parent / "faq" / "tests.yaml"


def citizen_texts() -> list[str]:
    """Return the distinct texts of faq/tests.yaml, in file order."""
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))["cases"]
    return list(dict.fromkeys(case["text"] for case in cases))
