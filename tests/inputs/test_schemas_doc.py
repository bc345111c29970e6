"""docs/data.md is generated from the schemas and must not drift from them."""

from pathlib import Path

from nhs_oversight.inputs.schemas import SCHEMAS, schemas_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_docs_data_md_matches_the_schemas() -> None:
    assert DOC.read_text(encoding="utf-8") == schemas_markdown(), (
        "regenerate with: python -m nhs_oversight.inputs.schemas > docs/data.md"
    )


def test_schemas_follow_the_data_contract() -> None:
    """The key columns and tables of ../shared/spec/DATA.md."""
    assert SCHEMAS["infections"].key == ("org_code", "organism", "month", "apportionment")
    assert SCHEMAS["denominators"].key == ("org_code", "financial_year")
    assert SCHEMAS["objectives"].key == ("org_code", "organism", "financial_year")
    assert SCHEMAS["indicators"].key == ("org_code", "quarter", "indicator")
    assert SCHEMAS["financials"].key == ("org_code", "period")
    assert SCHEMAS["cases"].key == ("case_id",) and SCHEMAS["events"].key == ("event_id",)
    assert SCHEMAS["organisations"].column("kind").choices == (
        "foundation_trust",
        "nhs_trust",
        "pct",
        "ccg",
        "independent",
    )
