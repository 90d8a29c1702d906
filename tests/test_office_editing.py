"""Editing offices.yaml without Flask: one office's block changed, every other byte kept,
the loader's rules as the gate, versions, revert (bot.office_editing, bot.yaml_files)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml

from bot import office_editing, yaml_files
from bot.config import ROOT
from bot.offices import load_offices

DEFAULT = {"timezone": "Asia/Jakarta", "hours": {"mon": "08:00-15:00"}}
TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def path(tmp_path):
    target = tmp_path / "offices.yaml"
    shutil.copyfile(ROOT / "offices.yaml", target)
    return target


def same_outside(new: str, old: str, block) -> bool:
    """Return True when every line before and after the office's block is unchanged."""
    new_lines, old_lines = new.splitlines(keepends=True), old.splitlines(keepends=True)
    tail = old_lines[block.end :]
    return (
        new_lines[: block.start] == old_lines[: block.start]
        and new_lines[len(new_lines) - len(tail) :] == tail
    )


def test_every_office_is_a_block_and_the_file_reads_back_unchanged(path):
    file = office_editing.read(path)
    assert file.error is None
    assert len(file.blocks) == 17
    assert all(b.text.lstrip().startswith(f"- id: {b.office_id}") for b in file.blocks)
    plan = office_editing.plan_edit(path, "lahat", {}, None)
    assert plan.text == file.text  # no change: the same bytes


def test_an_edit_changes_only_its_block(path):
    original = path.read_bytes()
    block = office_editing.find(path, "lahat")
    changes = {
        "hours": {"mon": "07:30-14:00", "fri": "07:30-11:00"},
        "holidays": [dt.date(2026, 12, 25), dt.date(2027, 1, 1)],
        "blank_stock": {"status": "terbatas", "updated": TODAY},
    }
    plan = office_editing.plan_edit(path, "lahat", changes, block.version)
    assert same_outside(plan.text, original.decode(), block)
    assert "# --- 13 kabupaten" in plan.text
    raw = yaml.safe_load(plan.text)
    lahat = next(o for o in raw["offices"] if o["id"] == "lahat")
    assert lahat["hours"] == {"mon": "07:30-14:00", "fri": "07:30-11:00"}
    assert lahat["holidays"] == [dt.date(2026, 12, 25), dt.date(2027, 1, 1)]
    assert lahat["blank_stock"] == {"status": "terbatas", "updated": TODAY}
    assert list(lahat)[-3:] == ["hours", "holidays", "blank_stock"]
    assert "blank_stock: {status: terbatas, updated: 2026-12-02}" in plan.after
    assert 'mon: "07:30-14:00"' in plan.after


def test_a_stale_version_is_a_conflict(path):
    block = office_editing.find(path, "lahat")
    with pytest.raises(office_editing.Conflict) as conflict:
        office_editing.plan_edit(path, "lahat", {"holidays": [TODAY]}, "0" * 16)
    assert conflict.value.current.version == block.version


def test_revert_puts_back_only_the_editable_keys(path):
    original = path.read_text(encoding="utf-8")
    block = office_editing.find(path, "lahat")
    plan = office_editing.plan_edit(path, "lahat", {"holidays": [TODAY]}, block.version)
    yaml_files.write_atomic(
        path, plan.text.replace("aliases: [lahat]", "aliases: [lahat]  # nama kota")
    )
    revert = office_editing.plan_revert(path, "lahat", plan.before)
    assert "holidays" not in revert.after
    assert "# nama kota" in revert.after  # a direct edit since then is kept
    assert revert.text == original.replace("aliases: [lahat]", "aliases: [lahat]  # nama kota")


def test_the_loader_rules_block_a_broken_office_and_name_the_field(path):
    block = office_editing.find(path, "lahat")
    plan = office_editing.plan_edit(path, "lahat", {"holidays": [TODAY]}, block.version)
    broken = plan.text.replace("- 2026-12-02", "- besok")
    verdict = office_editing.verify(
        office_editing.Plan(**{**plan.__dict__, "text": broken}), DEFAULT
    )
    assert not verdict.ok
    assert "tanggal libur" in verdict.errors["holidays"][0]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"hours_mon": "8-15"}, "hours_mon"),
        ({"hours_tue": "15:00-08:00"}, "hours_tue"),
        ({"hours_wed": "08:00-25:00"}, "hours_wed"),
        ({"holiday_add": "31/02/2026"}, "holiday_add"),
        ({"holiday_add": "natal"}, "holiday_add"),
        ({"stock_status": "banyak"}, "stock_status"),
        ({"stock_status": "habis", "stock_updated": "2026-12-03"}, "stock_updated"),
        ({"stock_status": "habis", "stock_updated": "kemarin"}, "stock_updated"),
        ({"hours_mon": ""}, "hours"),  # no day open and not the general hours
    ],
)
def test_form_values_are_checked_per_field(values, field):
    form = {**office_editing.form_values({"hours": {"mon": "08:00-15:00"}}), **values}
    _, errors = office_editing.parse_values(form, {}, TODAY)
    assert list(errors) == [field]


def test_form_values_are_read_kindly():
    form = {
        **office_editing.form_values({"holidays": [dt.date(2026, 12, 25)]}, {"mon": "x"}),
        "hours_default": "",
        "hours_mon": "08.00 - 15.00",
        "holidays": ["2026-12-25", "2027-01-01"],
        "holiday_remove": ["2027-01-01"],
        "holiday_add": "17/08/2027, 2027-03-20",
        "stock_status": "habis",
        "stock_updated": "",
    }
    data, errors = office_editing.parse_values(form, {}, TODAY)
    assert errors == {}
    assert data["hours"] == {"mon": "08:00-15:00"}
    assert data["holidays"] == [dt.date(2026, 12, 25), dt.date(2027, 3, 20), dt.date(2027, 8, 17)]
    assert data["blank_stock"] == {"status": "habis", "updated": TODAY}  # empty date: today


def test_a_new_status_with_the_date_untouched_is_as_of_today():
    stored = {"blank_stock": {"status": "tersedia", "updated": dt.date(2026, 11, 2)}}
    form = {**office_editing.form_values(stored), "stock_status": "habis"}
    data, _ = office_editing.parse_values(form, stored, TODAY)
    assert data["blank_stock"]["updated"] == TODAY
    form = {**office_editing.form_values(stored)}
    data, _ = office_editing.parse_values(form, stored, TODAY)
    assert data["blank_stock"]["updated"] == dt.date(2026, 11, 2)  # unchanged stock keeps its date


def test_a_saved_file_loads(path):
    block = office_editing.find(path, "oki")
    changes = {"hours": {"sat": "08:00-12:00"}, "holidays": [TODAY], "blank_stock": None}
    result = office_editing.save(
        path, lambda p: office_editing.plan_edit(p, "oki", changes, block.version), DEFAULT
    )
    assert result.saved
    office = load_offices(path, DEFAULT).get("oki")
    assert office.hours.is_open(dt.datetime(2026, 12, 5, 3, tzinfo=dt.UTC))  # Saturday 10.00
    assert not office.hours.is_open(dt.datetime(2026, 12, 2, 3, tzinfo=dt.UTC))  # the holiday


def test_a_busy_file_is_refused(path):
    with yaml_files.folder_lock(path.parent), pytest.raises(office_editing.EditError) as busy:
        office_editing.save(
            path,
            lambda p: office_editing.plan_edit(p, "oki", {"holidays": [TODAY]}, None),
            DEFAULT,
            lock_timeout=0.1,
        )
    assert busy.value.code == "busy"
