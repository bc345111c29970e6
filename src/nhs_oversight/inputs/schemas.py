"""What the data folder says: the tables of DATA.md as declarative schemas.

The schemas only describe; :mod:`nhs_oversight.inputs.validate` runs them (the
pandera habit of keeping what a schema says apart from the engine that checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Type",
    "Column",
    "TableSchema",
    "SCHEMAS",
    "ORG_KINDS",
    "TRUST_KINDS",
    "COMMISSIONER_KINDS",
    "ORGANISMS",
    "APPORTIONMENTS",
    "INDICATORS",
    "EVENT_KINDS",
    "ASSIGNMENTS",
    "TRUST_APPORTIONMENTS",
    "RULED_ORGANISMS",
]


class Type(Enum):
    """How a cell is read and checked."""

    CODE = "an organisation code (letters and digits, e.g. RTH, 5QJ, 00C)"
    ENUM = "one of the listed words"
    COUNT = "a whole number ≥ 0"
    NUMBER = "a number"
    NONNEG = "a number ≥ 0"
    MONTH = "a month like 2012-07"
    YEAR = "a financial year like 2012-13"
    QUARTER = "a quarter like 2012-13-Q2"
    PERIOD = "a financial year like 2012-13 or a quarter like 2012-13-Q2"
    DATE = "a date like 2012-07-31"
    BOOL = "true or false"
    TEXT = "text"
    ID = "an identifier"


ORG_KINDS = ("foundation_trust", "nhs_trust", "pct", "ccg", "independent")
TRUST_KINDS = ("foundation_trust", "nhs_trust", "independent")
COMMISSIONER_KINDS = ("pct", "ccg")
#: ``ecoli`` (E. coli bacteraemia) is surveillance only: published tables import it, no rule uses it.
ORGANISMS = ("mrsa", "cdiff", "ecoli")
#: The organisms the rules set objectives for and attribute case by case.
RULED_ORGANISMS = ("mrsa", "cdiff")
#: ``reported`` = every case a trust reported, hospital- and community-onset together, where a
#: published table does not split them (the wide "by Acute Trust" tables).
APPORTIONMENTS = ("trust", "non_trust", "reported", "population")
#: The apportionments a trust reports, and that a PCT or CCG is held to.
TRUST_APPORTIONMENTS = ("trust", "non_trust", "reported")
ASSIGNMENTS = ("trust", "ccg", "third_party")
INDICATORS = (
    "ae_4hr",
    "rtt_admitted",
    "rtt_non_admitted",
    "rtt_incomplete",
    "cancer_62d",
    "cancer_62d_screening",
    "cancer_62d_upgrade",
    "cancer_31d",
    "cancer_31d_subsequent_surgery",
    "cancer_31d_subsequent_drug",
    "cancer_31d_subsequent_radiotherapy",
    "cancer_2ww",
    "cancer_2ww_breast",
    "cpa_followup_7d",
    "cpa_review",
    "crisis_gatekeeping",
    "ld_access",
)
EVENT_KINDS = (
    "cqc_major_concern",
    "cqc_moderate_concern",
    "cqc_minor_concern",
    "significant_breach",
    "plan_late",
    "plan_incomplete",
    "pdc_unpaid",
    "pbc_breach",
    "credit_rating",
    "block_contract_share",
    "commissioner_count",
    "indebtedness",
)


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes
    ----------
    name : str
    type : Type
    required : bool
        The column must be present in the file.
    nullable : bool
        Cells may be empty.
    choices : tuple of str
        The allowed words of an ENUM column.
    default : object
        The value of an empty cell, or of the whole column when it is absent.
    """

    name: str
    type: Type
    required: bool = True
    nullable: bool = False
    choices: tuple[str, ...] = ()
    default: object = None

    def expected(self) -> str:
        if self.type is Type.ENUM:
            return "one of " + ", ".join(self.choices)
        return self.type.value


def _opt(name: str, type_: Type, **kw: object) -> Column:
    return Column(name, type_, required=False, nullable=True, **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class TableSchema:
    """A table of the data folder.

    Attributes
    ----------
    name : str
        The file stem (``infections`` for ``infections.csv``).
    columns : tuple of Column
    key : tuple of str
        The columns that identify a row; duplicates are refused.
    org_columns : tuple of str
        Columns whose codes must be organisations.
    required_file : bool
        Whether every data folder must have this file.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    org_columns: tuple[str, ...] = ("org_code",)
    required_file: bool = False

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


_MONEY = (
    "operating_income",
    "operating_expenses",
    "ebitda",
    "planned_ebitda",
    "net_surplus",
)
_MONEY_NONNEG = (
    "pdc_dividend",
    "interest_payable",
    "interest_receivable",
    "pfi_unitary_payments",
    "loan_principal_repaid",
)
_BALANCE = (
    "cash",
    "current_assets",
    "current_liabilities",
    "committed_facilities",
    "total_assets",
    "borrowings",
)

SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in (
        TableSchema(
            "organisations",
            (
                Column("code", Type.CODE),
                Column("name", Type.TEXT),
                Column("kind", Type.ENUM, choices=ORG_KINDS),
                _opt("region", Type.TEXT),
            ),
            key=("code",),
            org_columns=(),
            required_file=True,
        ),
        TableSchema(
            "infections",
            (
                Column("org_code", Type.CODE),
                Column("organism", Type.ENUM, choices=ORGANISMS),
                Column("month", Type.MONTH),
                Column("apportionment", Type.ENUM, choices=APPORTIONMENTS),
                Column("cases", Type.COUNT),
            ),
            key=("org_code", "organism", "month", "apportionment"),
        ),
        TableSchema(
            "cases",
            (
                Column("case_id", Type.ID),
                Column("organism", Type.ENUM, choices=RULED_ORGANISMS),
                Column("specimen_date", Type.DATE),
                Column("admission_date", Type.DATE, nullable=True),
                Column("reporting_org", Type.CODE),
                Column("responsible_org", Type.CODE),
                _opt("assigned_to", Type.ENUM, choices=ASSIGNMENTS),
            ),
            key=("case_id",),
            org_columns=("reporting_org", "responsible_org"),
        ),
        TableSchema(
            "denominators",
            (
                Column("org_code", Type.CODE),
                Column("financial_year", Type.YEAR),
                _opt("bed_days", Type.NONNEG),
                _opt("population", Type.NONNEG),
            ),
            key=("org_code", "financial_year"),
        ),
        TableSchema(
            "objectives",
            (
                Column("org_code", Type.CODE),
                Column("organism", Type.ENUM, choices=RULED_ORGANISMS),
                Column("financial_year", Type.YEAR),
                Column("objective_cases", Type.COUNT),
                _opt("q1", Type.COUNT),
                _opt("q2", Type.COUNT),
                _opt("q3", Type.COUNT),
                _opt("q4", Type.COUNT),
            ),
            key=("org_code", "organism", "financial_year"),
        ),
        TableSchema(
            "indicators",
            (
                Column("org_code", Type.CODE),
                Column("quarter", Type.QUARTER),
                Column("indicator", Type.ENUM, choices=INDICATORS),
                Column("met", Type.BOOL),
            ),
            key=("org_code", "quarter", "indicator"),
        ),
        TableSchema(
            "financials",
            (
                Column("org_code", Type.CODE),
                Column("period", Type.PERIOD),
                *(Column(n, Type.NUMBER) for n in _MONEY),
                Column("exceptional_income", Type.NUMBER, required=False, nullable=True, default=0.0),
                *(Column(n, Type.NONNEG) for n in _MONEY_NONNEG),
                *(Column(n, Type.NUMBER) for n in _BALANCE),
            ),
            key=("org_code", "period"),
        ),
        TableSchema(
            "events",
            (
                Column("event_id", Type.ID),
                Column("org_code", Type.CODE),
                Column("date", Type.DATE),
                Column("kind", Type.ENUM, choices=EVENT_KINDS),
                _opt("value", Type.NUMBER),
                _opt("estimated_cost", Type.NONNEG),
                _opt("exceptional", Type.BOOL),
                _opt("evidence", Type.TEXT),
            ),
            key=("event_id",),
        ),
    )
}

#: The order tables are read and loaded in (organisations first: others refer to them).
TABLE_ORDER = tuple(SCHEMAS)


def schemas_markdown() -> str:
    """The data-folder contract as Markdown (``docs/data.md`` is generated from it)."""
    lines = [
        "# The data folder",
        "",
        "Generated from `nhs_oversight.inputs.schemas` by "
        "`python -m nhs_oversight.inputs.schemas > docs/data.md`; a test keeps the two equal.",
        "",
        "A data folder holds these tables as `NAME.csv` (UTF-8, comma-separated, header row), "
        "`NAME.xlsx` (first sheet) or `NAME.parquet`. Column names are case-insensitive; extra "
        "columns are ignored. Rows are numbered as a spreadsheet shows them: the header is row 1.",
        "",
    ]
    for s in SCHEMAS.values():
        lines.append(f"## `{s.name}`" + (" (required)" if s.required_file else " (optional)"))
        lines.append("")
        lines.append(
            f"Key: {', '.join(s.key)}. "
            + (f"Organisation codes in {', '.join(s.org_columns)} must be organisations." if s.org_columns else "")
        )
        lines.append("")
        lines.append("| column | required | empty allowed | expected |")
        lines.append("|---|---|---|---|")
        for c in s.columns:
            expected = c.expected()
            if c.default is not None:
                expected += f" (empty: {c.default})"
            lines.append(
                f"| `{c.name}` | {'yes' if c.required else 'no'} | {'yes' if c.nullable else 'no'} | {expected} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(schemas_markdown(), end="")
