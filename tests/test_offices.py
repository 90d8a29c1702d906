"""offices.yaml: validation, recognising a citizen's kabupaten/kota, and per-office hours."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from bot.config import ROOT, load_yaml
from bot.offices import OfficesError, load_offices, parse_offices

DEFAULT_OFFICE = load_yaml()["office"]
DIRECTORY = load_offices(ROOT / "offices.yaml", DEFAULT_OFFICE)
RAW = yaml.safe_load((ROOT / "offices.yaml").read_text(encoding="utf-8"))

# How people in Sumatera Selatan actually write their kabupaten/kota.
SPELLINGS = {
    "palembang": [
        "Palembang",
        "plg",
        "sy tinggal di plg kak",
        "pelembang",
        "palembamg",
        "Kota Palembang",
        "plembang",
    ],
    "lubuklinggau": ["Lubuk Linggau", "lubuklinggau", "Llg", "linggau", "lubuklinggo"],
    "pagaralam": ["Pagar Alam", "pagaralam", "kota pagar alam"],
    "prabumulih": ["Prabumulih", "prabu", "prabumulih kak", "prabumuli"],
    "oku": ["OKU", "Ogan Komering Ulu", "baturaja", "kab. oku", "baturajo"],
    "oki": ["OKI", "Ogan Komering Ilir", "kayuagung", "Kayu Agung"],
    "muara-enim": ["Muara Enim", "muaraenim", "kab muara enim"],
    "lahat": ["Lahat", "kabupaten lahat"],
    "musi-rawas": ["Musi Rawas", "mura", "muara beliti"],
    "musi-banyuasin": ["Muba", "Musi Banyuasin", "sekayu", "musi banyu asin"],
    "banyuasin": ["Banyuasin", "banyu asin", "pangkalan balai", "kab banyuasin"],
    "ogan-ilir": ["Ogan Ilir", "OI", "indralaya", "inderalaya"],
    "oku-selatan": ["OKU Selatan", "okus", "Ogan Komering Ulu Selatan", "muaradua"],
    "oku-timur": ["OKU Timur", "okut", "kab. oku timur", "martapura"],
    "empat-lawang": ["Empat Lawang", "4 lawang", "empatlawang", "tebing tinggi"],
    "pali": ["PALI", "Penukal Abab Lematang Ilir", "pali kak"],
    "musi-rawas-utara": ["Musi Rawas Utara", "muratara", "MURATARA"],
}


def test_all_seventeen_kabupaten_kota_are_listed():
    kinds = [o.kind for o in DIRECTORY.offices]
    assert len(DIRECTORY.offices) == 17
    assert kinds.count("kabupaten") == 13 and kinds.count("kota") == 4
    assert set(SPELLINGS) == {o.id for o in DIRECTORY.offices}


def test_no_office_has_an_invented_address_or_phone():
    # Addresses and phone numbers stay null until confirmed from a source.
    assert all(o.address is None and o.phone is None for o in DIRECTORY.offices)


@pytest.mark.parametrize(
    ("text", "office_id"),
    [(text, office_id) for office_id, texts in SPELLINGS.items() for text in texts],
)
def test_recognises_real_spellings(text, office_id):
    office = DIRECTORY.recognise(text)
    assert office is not None, text
    assert office.id == office_id


@pytest.mark.parametrize(
    "text", ["Jakarta", "Bandung", "tidak tahu", "", "Sumatera Selatan", "halo kak", "123"]
)
def test_does_not_guess_a_place_that_is_not_there(text):
    assert DIRECTORY.recognise(text) is None


def test_naming_two_offices_is_ambiguous():
    assert DIRECTORY.recognise("oku atau oki") is None
    assert DIRECTORY.candidates("oku atau oki") == ["oku", "oki"]


def test_longer_names_win_over_the_names_they_contain():
    assert DIRECTORY.recognise("musi rawas utara").id == "musi-rawas-utara"
    assert DIRECTORY.recognise("kab oku timur").id == "oku-timur"


def test_district_numbers_belong_to_their_office():
    data = copy.deepcopy(RAW)
    data["offices"][0]["numbers"] = ["+6271112345"]
    directory = parse_offices(data, DEFAULT_OFFICE)
    assert directory.for_number("+6271112345").id == data["offices"][0]["id"]
    assert directory.for_number("+6200000000") is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.update(id="Palembang Kota"), "id harus huruf kecil"),
        (lambda o: o.update(kind="kecamatan"), "kind harus"),
        (lambda o: o.update(color="biru"), "kunci tidak dikenal: color"),
        (lambda o: o.update(numbers=["0711-123"]), "E.164"),
        (lambda o: o.update(hours={"mon": "15:00-08:00"}), "jam buka harus sebelum"),
        (lambda o: o.update(hours={"senin": "08:00-15:00"}), "hari tidak dikenal"),
        (lambda o: o.update(holidays=["besok"]), "tanggal libur"),
        (lambda o: o.update(blank_stock={"status": "banyak"}), "blank_stock"),
        (lambda o: o.update(name=""), "kolom wajib kosong: name"),
    ],
)
def test_invalid_office_fields_are_reported(change, message):
    data = copy.deepcopy(RAW)
    change(data["offices"][0])
    with pytest.raises(OfficesError) as error:
        parse_offices(data, DEFAULT_OFFICE)
    assert any(message in p for p in error.value.problems), error.value.problems


def test_an_alias_for_two_offices_is_reported():
    data = copy.deepcopy(RAW)
    data["offices"][1]["aliases"].append("plg")
    with pytest.raises(OfficesError, match="alias 'plg'"):
        parse_offices(data, DEFAULT_OFFICE)


def test_duplicate_ids_and_shared_numbers_are_reported():
    data = copy.deepcopy(RAW)
    data["offices"][1]["id"] = data["offices"][0]["id"]
    data["offices"][2]["numbers"] = ["+6271112345"]
    data["offices"][3]["numbers"] = ["+6271112345"]
    with pytest.raises(OfficesError) as error:
        parse_offices(data, DEFAULT_OFFICE)
    text = "; ".join(error.value.problems)
    assert "id ganda" in text and "+6271112345" in text


def test_office_hours_and_holidays_in_jakarta_time():
    data = copy.deepcopy(RAW)
    data["offices"][0]["hours"] = {"mon": "07:30-16:00", "sat": "08:00-12:00"}
    data["offices"][0]["holidays"] = [dt.date(2026, 11, 30)]
    office = parse_offices(data, DEFAULT_OFFICE).offices[0]
    wib_saturday_0900 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
    assert office.hours.is_open(wib_saturday_0900)
    holiday_monday_0800 = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)
    assert not office.hours.is_open(holiday_monday_0800)
    # From Saturday 23:30 WIB (16:30 UTC), Sunday is closed and Monday is a holiday.
    late_saturday = dt.datetime(2026, 11, 28, 16, 30, tzinfo=dt.UTC)
    assert office.hours.next_opening(late_saturday).isoformat() == "2026-12-05T08:00:00+07:00"


def test_offices_without_hours_use_the_configured_default():
    office = DIRECTORY.get("lahat")
    assert (
        office.hours.windows
        == load_offices(ROOT / "offices.yaml", DEFAULT_OFFICE).get("palembang").hours.windows
    )
    assert office.hours.windows[0] == (dt.time(8, 0), dt.time(15, 0))
