"""Labels for people; codes stay in the frame's copy given to files."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd

from nhs_oversight.inputs.schemas import APPORTIONMENTS, ORG_KINDS, ORGANISMS
from nhs_oversight.present.labels import COLUMN_DOMAINS, DOMAINS, column_label, humanise, label
from nhs_oversight.rules.governance import RATINGS
from nhs_oversight.rules.objectives import GROUPS
from nhs_oversight.store.decisions import ACTIONS


def test_the_labels_of_the_brief() -> None:
    assert [label(r) for r in RATINGS] == ["Green", "Amber-green", "Amber-red", "Red"]
    assert label("nhs_trust") == "NHS trust" and label("independent") == "Independent sector"
    assert label("cdiff") == "C. difficile" and label("ecoli") == "E. coli" and label("mrsa") == "MRSA"
    assert label("worse_than_median") == "Worse than median"
    assert label("two_of_three", "rule") == "Two of three near a limit"
    assert label(True) == "yes" and label(False) == "no" and label(np.bool_(True)) == "yes"


def test_every_code_the_rules_use_has_a_label() -> None:
    """The tuples of codes the rules, inputs and store define are all labelled."""
    for domain, codes in {
        "rating": RATINGS,
        "kind": ORG_KINDS,
        "group": GROUPS,
        "organism": ORGANISMS,
        "apportionment": APPORTIONMENTS,
        "action": ACTIONS,
    }.items():
        missing = set(codes) - set(DOMAINS[domain])
        assert not missing, (domain, missing)
    assert set(DOMAINS["status"]) == {"on_trajectory", "above_trajectory", "objective_exceeded"}
    assert set(DOMAINS["band"]) == {"normal", "concern", "distress", "failure"}


def test_one_code_two_meanings() -> None:
    assert label("trust", "apportionment") == "Trust-apportioned"
    assert label("trust", "kind") == "Trusts"


def test_unknown_codes_and_blanks() -> None:
    assert label("not_met") == "Not met"
    assert label("RTH") == "RTH"  # only the first letter is touched
    assert label(None) == "" and label(float("nan")) == ""
    assert label(3) == "3"


def test_column_labels() -> None:
    assert column_label("org_code") == "Code"
    assert column_label("p_breach") == "P(breach)"
    assert column_label("baseline_cases") == "Baseline cases"
    assert column_label("some_new_column") == "Some new column"


def test_humanise_labels_code_columns_in_a_copy() -> None:
    frame = pd.DataFrame(
        {
            "org_code": ["RTH", "RXX"],
            "rating": ["amber_red", None],
            "kind": ["foundation_trust", "pct"],
            "organism": ["cdiff;mrsa", "ecoli"],
            "apportionment": ["trust", "population"],
            "escalation": [True, False],
            "maybe": [True, None],
            "cases": [3, 4],
        }
    )
    shown = humanise(frame)
    assert shown["rating"].tolist()[0] == "Amber-red" and shown["rating"].isna().tolist()[1]
    assert shown["kind"].tolist() == ["Foundation trust", "PCT"]
    assert shown["organism"].tolist() == ["C. difficile; MRSA", "E. coli"]
    assert shown["apportionment"].tolist() == ["Trust-apportioned", "All residents"]
    assert shown["escalation"].tolist() == ["yes", "no"]
    assert shown["maybe"].tolist()[0] == "yes"
    assert shown["org_code"].tolist() == ["RTH", "RXX"] and shown["cases"].tolist() == [3, 4]
    assert frame["rating"].tolist()[0] == "amber_red"  # the original keeps its codes
    assert set(COLUMN_DOMAINS) >= {"rating", "published_rating", "kind", "group", "status", "band", "position"}


def test_importing_labels_is_light() -> None:
    code = (
        "import sys, nhs_oversight.present.labels, nhs_oversight.present.errors, nhs_oversight.present.files;"
        "heavy = [m for m in ('pandas', 'rich', 'typer', 'openpyxl', 'sqlalchemy') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_terminal_module_does_not_import_typer() -> None:
    code = "import sys, nhs_oversight.present.terminal; print('typer' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
