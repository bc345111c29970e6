"""Tables that fit the terminal and never split a word or a number."""

from __future__ import annotations

import io
import math
import string

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from nhs_oversight.present.labels import column_label
from nhs_oversight.present.terminal import format_value, render_paragraph, render_records, render_table, table_width

WIDTH = 100


def _render(frame: pd.DataFrame, width: int = WIDTH, **kwargs: object) -> str:
    buf = io.StringIO()
    console = Console(width=width, file=buf)
    kwargs.setdefault("title", None)
    render_table(frame, console=console, width=width, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue()


# --- the property: every line fits, no cell splits a word or a number -------------------

_word = st.text(alphabet=string.ascii_letters + string.digits + "-.()%", min_size=1, max_size=20)
_sentence = st.lists(_word, min_size=0, max_size=12).map(" ".join)
_column = st.sampled_from(["int", "float", "text", "code"])


@st.composite
def _frames(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.integers(1, 6))
    kinds = draw(st.lists(_column, min_size=1, max_size=9))
    data: dict[str, list[object]] = {}
    for i, kind in enumerate(kinds):
        name = f"c{i}_" + draw(st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=18))
        if kind == "int":
            values: list[object] = draw(st.lists(st.integers(-(10**12), 10**12), min_size=rows, max_size=rows))
        elif kind == "float":
            values = draw(
                st.lists(
                    st.floats(-1e9, 1e9) | st.floats(0, 1) | st.just(float("nan")),
                    min_size=rows,
                    max_size=rows,
                )
            )
        elif kind == "text":
            values = draw(st.lists(_sentence, min_size=rows, max_size=rows))
        else:
            values = draw(st.lists(_word, min_size=rows, max_size=rows))
        data[name] = values
    if draw(st.booleans()):
        data["reason"] = draw(st.lists(_sentence, min_size=rows, max_size=rows))
    return pd.DataFrame(data)


def _expected_tokens(value: object) -> set[str]:
    """The ways a number may be shown (a column of whole floats is shown as integers)."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return {format_value(value), format_value(int(value))}
    return {format_value(value)}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames())
def test_lines_fit_and_no_cell_is_split(frame: pd.DataFrame) -> None:
    _check_fits_and_whole(frame, WIDTH)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames(), st.integers(24, 80))
def test_narrow_terminals_too(frame: pd.DataFrame, width: int) -> None:
    _check_fits_and_whole(frame, width)


def _check_fits_and_whole(frame: pd.DataFrame, width: int) -> None:
    out = _render(frame, width=width)
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    assert "…" not in out  # nothing cut short
    tokens = {t for line in lines for t in line.split()}
    dropped_text = " ".join(out.split())
    dropped: list[str] = []
    if "not shown: " in dropped_text:  # the dropped are named, and they are the last ones
        dropped = dropped_text.split("not shown: ", 1)[1].split("; --out", 1)[0].split(", ")
    names = [c for c in frame.columns if c != "reason"]
    shown = names[: len(names) - len(dropped)]
    assert shown and [column_label(c) for c in names[len(shown) :]] == dropped
    for column in shown:
        for word in column_label(column).split():
            assert word in tokens, (column, word)
        for value in frame[column]:
            if isinstance(value, str):
                for word in value.split():
                    assert word in tokens, (column, word)
            elif not (isinstance(value, float) and math.isnan(value)):
                assert _expected_tokens(value) & tokens, (column, value)
    if "reason" in frame.columns:
        for reason in frame["reason"]:
            for word in reason.split():
                assert word in tokens or word + ":" in tokens


# --- the rules, example by example ----------------------------------------------------


@pytest.fixture
def ratings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "org_code": ["RTH", "RXX", "5QJ"],
            "quarter": ["2012-13-Q2"] * 3,
            "score": [1.0, 4.0, np.nan],
            "rating": ["amber_green", "red", "green"],
            "failed": ["cdiff;ae_4hr", "mrsa", ""],
            "escalation": [False, True, False],
            "reason": [
                "C. difficile: 40 cases to date against a trajectory of 30, beyond the de minimis of 12",
                "MRSA: 3 cases against an objective of 1 " + "and many more words " * 8,
                None,
            ],
            "published_rating": ["green", "red", "green"],
            "rulebook": ["monitor-compliance-2012-13"] * 3,
        }
    )


def test_labels_are_shown_not_codes(ratings: pd.DataFrame) -> None:
    out = _render(ratings)
    assert "Amber-green" in out and "amber_green" not in out
    assert "Published rating" in out or "Published" in out
    assert "Code" in out.splitlines()[0] + out.splitlines()[1]
    assert "yes" in out and "no" in out  # booleans
    assert "cdiff; ae_4hr" in out  # codes joined by ; can wrap


def test_reasons_are_listed_below_the_table(ratings: pd.DataFrame) -> None:
    lines = _render(ratings).splitlines()
    header = next(line for line in lines if line.startswith("Code"))
    assert "Reason" not in header
    first = next(i for i, line in enumerate(lines) if line.startswith("RTH: "))
    assert lines[first] == "RTH: C. difficile: 40 cases to date against a trajectory of 30, beyond the de minimis of 12"
    second = next(i for i, line in enumerate(lines) if line.startswith("RXX: "))
    assert lines[second + 1].startswith("     ") and lines[second + 1].strip()  # a hanging indent
    assert not any(line.startswith("5QJ: ") for line in lines)  # no reason, no entry
    assert all(len(line) <= WIDTH for line in lines)


def test_reasons_can_be_left_in_the_table(ratings: pd.DataFrame) -> None:
    out = _render(ratings[["org_code", "reason"]], notes=None)
    assert "Reason" in out and "RTH: " not in out


def test_columns_that_do_not_fit_are_dropped_lowest_priority_first() -> None:
    frame = pd.DataFrame(
        {
            "org_code": ["RTH"],
            "first_wide": ["x" * 18],
            "second_wide": ["y" * 18],
            "third_wide": ["z" * 18],
            "fourth_wide": ["w" * 18],
        }
    )
    out = _render(frame, width=60, display=["org_code", "third_wide", "first_wide", "fourth_wide", "second_wide"])
    lines = out.splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert "z" * 18 in out and "x" * 18 in out
    assert "w" * 18 not in out and "y" * 18 not in out
    assert "2 more columns not shown: Fourth wide, Second wide; --out FILE writes them all" in " ".join(out.split())


def test_the_key_is_always_kept() -> None:
    frame = pd.DataFrame({"org_code": ["RTH"], "note": ["word " * 30], "code": ["x" * 30]})
    out = _render(frame, width=24, notes=None)
    assert "RTH" in out and "word word" in out  # text wraps at spaces, so it fits
    assert "1 more column not shown: Code" in " ".join(out.split())
    assert all(len(line) <= 24 for line in out.splitlines())


def test_columns_not_displayed_are_mentioned_once(ratings: pd.DataFrame) -> None:
    out = _render(ratings, display=["org_code", "rating", "score"])
    assert "--out FILE writes all 9 columns" in out
    assert "Rulebook" not in out


def test_more_rows_than_shown() -> None:
    frame = pd.DataFrame({"org_code": [f"R{i:03}" for i in range(10)], "cases": range(10)})
    out = _render(frame, max_rows=4)
    assert "R003" in out and "R004" not in out
    assert "… 6 more rows; --out FILE writes the whole table" in out


def test_numbers_are_formatted() -> None:
    assert format_value(1234567) == "1,234,567"
    assert format_value(np.int64(-1234)) == "-1,234"
    assert format_value(2.34567) == "2.35"
    assert format_value(12345.678) == "12,345.68"
    assert format_value(0.5) == "0.500" and format_value(0.012345) == "0.0123"
    assert format_value(0.0) == "0.00" and format_value(float("nan")) == "" and format_value(None) == ""
    assert format_value(True) == "yes" and format_value(np.bool_(False)) == "no"
    assert format_value(pd.Timestamp("2012-04-01")) == "2012-04-01"
    frame = pd.DataFrame({"org_code": ["A", "B"], "target_cases": [3.0, np.nan], "p_breach": [0.1234, 1.0]})
    out = _render(frame)
    assert " 3 " in out + " " and "3.00" not in out  # whole numbers held as floats: integers
    assert "0.123" in out and "1.00" in out


def test_a_pipe_is_laid_out_at_least_100_wide() -> None:
    console = Console(width=80, file=io.StringIO())
    assert not console.is_terminal
    assert table_width(console) == 100 and table_width(console, 60) == 60
    frame = pd.DataFrame({"org_code": ["RTH"], "text": ["word " * 40]})
    buf = io.StringIO()
    render_table(frame, title="t", console=Console(width=80, file=buf), notes=None)
    assert max(len(line) for line in buf.getvalue().splitlines()) > 80


def test_an_empty_table() -> None:
    out = _render(pd.DataFrame({"org_code": []}), title="Nothing")
    assert out.splitlines() == ["Nothing", "No rows."]


def test_records_fit_and_label() -> None:
    log = pd.DataFrame(
        {
            "import_id": [1, 1],
            "started_at": pd.to_datetime(["2026-12-01 05:43:55", "2026-12-01 05:43:55"]),
            "source": ["/home/analyst/data/hcai-2012-13"] * 2,
            "mode": ["merge", "merge"],
            "version": ["0.1.0"] * 2,
            "table": ["infections", "organisations"],
            "file": ["infections.csv", "organisations.csv"],
            "rows": [12345, 300],
            "sha256": ["0123456789abcdef" * 4] * 2,
        }
    )
    buf = io.StringIO()
    render_records(log, title="Import log", console=Console(width=100, file=buf), key="import_id")
    lines = buf.getvalue().splitlines()
    assert lines[0] == "Import log"
    assert all(len(line) <= 100 for line in lines)
    assert "Mode: Merge" in lines[1] and "Rows: 12,345" in buf.getvalue()
    assert "0123456789abcdef" * 4 in buf.getvalue()  # whole, on one line
    assert lines[1].startswith("1  Started: 2026-12-01 05:43")

    buf = io.StringIO()
    render_records(
        log,
        title="Import log",
        console=Console(width=100, file=buf),
        key="import_id",
        group=["started_at", "mode", "version", "source"],
    )
    lines = buf.getvalue().splitlines()
    assert lines[1] == "1  Started: 2026-12-01 05:43  Mode: Merge  Version: 0.1.0  Source: " + log["source"][0]
    assert lines[2] == "    Table: infections  File: infections.csv  Rows: 12,345"
    assert lines[3] == "    SHA-256: " + "0123456789abcdef" * 4
    assert lines[4].startswith("    Table: organisations")
    assert len(lines) == 6  # the import once, then two lines a file


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames(), st.integers(24, 120), st.booleans())
def test_records_fit_and_keep_words_whole(frame: pd.DataFrame, width: int, grouped: bool) -> None:
    buf = io.StringIO()
    columns = list(frame.columns)
    group = columns[1:2] if grouped else None
    render_records(frame, title=None, console=Console(width=width, file=buf), width=width, group=group)
    lines = buf.getvalue().splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    tokens = {t for line in lines for t in line.split()}
    for column in columns:
        for value in frame[column]:
            if isinstance(value, str):
                for word in value.split():
                    assert word in tokens or word + ":" in tokens, (column, word)


def test_a_paragraph_wraps_at_spaces() -> None:
    buf = io.StringIO()
    names = [f"value_name_{i}" for i in range(20)]
    render_paragraph(f"These results rest on assumed values: {', '.join(names)}.", console=Console(width=80, file=buf))
    lines = buf.getvalue().splitlines()
    assert len(lines) > 1 and all(len(line) <= 100 for line in lines)
    assert lines[1].startswith("  ") and {f"value_name_{i}," for i in range(19)} <= {
        t for line in lines for t in line.split()
    }
