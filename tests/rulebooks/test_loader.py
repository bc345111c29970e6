"""Rulebooks: the shipped ones load; malformed ones are refused with a useful message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from nhs_oversight.rulebooks import (
    WHAT_IF,
    RulebookError,
    apply_what_if,
    load_library,
    parse_set,
    read_rulebook_file,
)

VALUE = """
    value: 12
    unit: cases
    source: {title: A source, address: https://example.org/a}
    status: seed
    note: a note
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _book(
    rid: str,
    regime: str = "test",
    frm: str | None = "2012-04-01",
    to: str | None = None,
    extends: str | None = None,
    values: str = "  de_minimis:" + VALUE,
) -> str:
    lines = [f"id: {rid}"]
    if extends:
        lines.append(f"extends: {extends}")
    else:
        lines += [f"regime: {regime}", f"title: Test {rid}"]
    if frm:
        lines.append(f"in_force: {{from: {frm}" + (f", to: {to}}}" if to else "}"))
    lines.append("values:")
    return "\n".join(lines) + "\n" + values


def test_shipped_library_loads_and_every_value_has_source_and_status(library) -> None:
    ids = library.ids()
    for rid in (
        "hcai-counting-2008",
        "mrsa-objective-2009-10",
        "mrsa-objective-2010-11",
        "mrsa-zero-tolerance-2013-14",
    ):
        assert rid in ids
    for rb in library.all():
        for v in rb.values.values():
            assert v.source.title and v.source.address
            assert v.status in ("seed", "confirmed", "assumed")
            assert v.note


def test_in_force_chooses_by_date(library) -> None:
    assert library.in_force("mrsa-objective", dt.date(2009, 4, 1)).id == "mrsa-objective-2009-10"
    assert library.in_force("mrsa-objective", dt.date(2010, 4, 1)).id == "mrsa-objective-2010-11"
    assert library.in_force("mrsa-objective", dt.date(2013, 3, 31)).id == "mrsa-objective-2010-11"
    assert library.in_force("mrsa-objective", dt.date(2013, 4, 1)).id == "mrsa-zero-tolerance-2013-14"
    with pytest.raises(RulebookError, match="no rulebook of regime"):
        library.in_force("mrsa-objective", dt.date(2008, 4, 1))


def test_extends_inherits_and_overrides(library) -> None:
    old = library.get("mrsa-objective-2009-10")
    new = library.get("mrsa-objective-2010-11")
    assert old.extends == ("mrsa-objective-2010-11",)
    assert old.regime == new.regime
    assert old.value("exemption_below_cases") == 12
    assert new.value("exemption_below_cases") is None
    assert old["worse_than_median_reduction"].rulebook == "mrsa-objective-2010-11"
    assert old.value("worse_than_median_reduction") == 0.2
    assert old["reduction_method"].status == "assumed"


def test_unknown_key_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x", _book("x") + "colour: blue\n")
    with pytest.raises(RulebookError, match=r"colour: unknown key"):
        read_rulebook_file(path)


def test_unknown_key_inside_a_value_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x", _book("x", values="  de_minimis:" + VALUE + "    colour: blue\n"))
    with pytest.raises(RulebookError, match=r"values.de_minimis.colour: unknown key"):
        read_rulebook_file(path)


@pytest.mark.parametrize("drop", ["source", "status", "unit", "note"])
def test_value_without_source_status_unit_or_note_is_refused(tmp_path: Path, drop: str) -> None:
    value = "\n".join(line for line in VALUE.splitlines() if not line.strip().startswith(drop + ":"))
    path = _write(tmp_path, "x", _book("x", values="  de_minimis:" + value + "\n"))
    with pytest.raises(RulebookError, match=rf"values.de_minimis.{drop}: required key is missing"):
        read_rulebook_file(path)


def test_bad_status_and_unresolved_source_key_are_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x", _book("x", values="  de_minimis:" + VALUE.replace("status: seed", "status: guessed")))
    with pytest.raises(RulebookError, match="status"):
        read_rulebook_file(path)
    path = _write(
        tmp_path,
        "y",
        _book(
            "y",
            values="  de_minimis:"
            + VALUE.replace("source: {title: A source, address: https://example.org/a}", "source: nowhere"),
        ),
    )
    with pytest.raises(RulebookError, match="'nowhere' is not a key of `sources`"):
        read_rulebook_file(path)


def test_in_force_to_before_from_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "x", _book("x", frm="2013-04-01", to="2012-03-31"))
    with pytest.raises(RulebookError, match="before"):
        read_rulebook_file(path)


def test_overlapping_dates_within_a_regime_are_refused(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path, "a", _book("a", frm="2012-04-01", to="2013-03-31"))
    _write(tmp_path, "b", _book("b", frm="2013-03-31"))
    with pytest.raises(RulebookError, match="in force on the same dates"):
        load_library([tmp_path])


def test_adjacent_dates_and_alternatives_are_fine(tmp_path: Path) -> None:
    _write(tmp_path, "a", _book("a", frm="2012-04-01", to="2013-03-31"))
    _write(tmp_path, "b", _book("b", frm="2013-04-01"))
    _write(tmp_path, "c", _book("c", frm=None))  # an alternative, used only when named
    lib = load_library([tmp_path])
    assert lib.in_force("test", dt.date(2013, 3, 31)).id == "a"
    assert lib.in_force("test", dt.date(2013, 4, 1)).id == "b"
    assert lib.get("c").in_force is None


def test_extends_unknown_and_cycles_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "a", _book("a", extends="nope", frm=None))
    with pytest.raises(RulebookError, match="extends 'nope'"):
        load_library([tmp_path])
    cyc = tmp_path / "cyc"
    _write(cyc, "p", _book("p", extends="q", frm=None))
    _write(cyc, "q", _book("q", extends="p", frm=None))
    with pytest.raises(RulebookError, match="cycle"):
        load_library([cyc])


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, "dup", _book("mrsa-objective-2010-11", frm=None))
    with pytest.raises(RulebookError, match="already defined"):
        load_library([tmp_path])


def test_user_file_by_path_can_extend_a_shipped_rulebook(tmp_path: Path, library) -> None:
    path = _write(
        tmp_path,
        "mine",
        _book(
            "my-mrsa",
            extends="mrsa-objective-2010-11",
            frm=None,
            values="  worse_than_median_reduction:" + VALUE.replace("12", "0.25"),
        ),
    )
    rb = library.get(str(path))
    assert rb.value("worse_than_median_reduction") == 0.25
    assert rb.value("best_quartile_percentile") == 25
    assert rb.regime == "mrsa-objective"


def test_what_if_set_is_recorded(library) -> None:
    rb = apply_what_if(library.get("mrsa-objective-2010-11"), parse_set(["small_organisation_below_cases=6"]))
    assert rb.value("small_organisation_below_cases") == 6
    assert rb["small_organisation_below_cases"].status == WHAT_IF
    assert rb.what_if == {"small_organisation_below_cases": (12, 6)}
    assert "what-if: small_organisation_below_cases=6" in rb.label
    assert "was 12" in rb["small_organisation_below_cases"].note
    # the library's copy is untouched
    assert library.get("mrsa-objective-2010-11").value("small_organisation_below_cases") == 12


def test_what_if_refuses_unknown_names_and_wrong_kinds(library) -> None:
    rb = library.get("mrsa-objective-2010-11")
    with pytest.raises(RulebookError, match="no such value"):
        apply_what_if(rb, {"colour": 1})
    with pytest.raises(RulebookError, match="expected a value like"):
        apply_what_if(rb, parse_set(["worse_than_median_reduction=lots"]))
    with pytest.raises(RulebookError, match="name=value"):
        parse_set(["nonsense"])


@pytest.mark.parametrize("text", ["99999999999999999999", "-1.0e+16", ".inf", ".nan"])
def test_what_if_refuses_numbers_beyond_15_digits(library, text: str) -> None:
    rb = library.get("mrsa-objective-2010-11")
    with pytest.raises(RulebookError, match="out of range"):
        apply_what_if(rb, parse_set([f"small_organisation_below_cases={text}"]))
    assert (
        apply_what_if(rb, parse_set(["small_organisation_below_cases=999999999999999"])).value(
            "small_organisation_below_cases"
        )
        == 10**15 - 1
    )


def test_env_var_adds_user_rulebooks(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path, "x", _book("extra-book", frm=None))
    monkeypatch.setenv("OVERSIGHT_RULEBOOKS", str(tmp_path))
    assert "extra-book" in load_library().ids()


def test_years_in_force_are_financial_years(library) -> None:
    assert library.get("mrsa-objective-2010-11").in_force.years == "2010-11 to 2012-13"
    assert library.get("mrsa-objective-2009-10").in_force.years == "2009-10"
    assert library.get("mrsa-zero-tolerance-2013-14").in_force.years == "from 2013-14"
