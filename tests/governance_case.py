"""A hand-computed governance case: three trusts and a PCT over three quarters of 2012-13.

Used by the governance, chance and compare tests (the ``governance_folder`` fixture)."""

from __future__ import annotations

ORGS = (
    "code,name,kind\nFT1,Trust one,foundation_trust\nFT2,Trust two,foundation_trust\nNT1,Trust three,nhs_trust\n"
    "5P1,A PCT,pct\n"
)
OBJECTIVES = """org_code,organism,financial_year,objective_cases,q1,q2,q3,q4
FT1,cdiff,2012-13,40,10,20,30,40
FT2,cdiff,2012-13,8,,,,
NT1,cdiff,2012-13,77,17,36,56,77
FT1,mrsa,2012-13,2,,,,
FT2,mrsa,2012-13,1,,,,
NT1,mrsa,2012-13,3,,,,
"""
INFECTIONS = """org_code,organism,month,apportionment,cases
FT1,cdiff,2012-04,trust,4
FT1,cdiff,2012-05,trust,4
FT1,cdiff,2012-06,trust,4
FT1,cdiff,2012-08,trust,5
FT1,cdiff,2012-05,non_trust,30
FT1,mrsa,2012-06,trust,7
FT2,cdiff,2012-05,trust,3
FT2,cdiff,2012-07,trust,8
NT1,cdiff,2012-04,trust,20
NT1,cdiff,2012-08,trust,55
5P1,cdiff,2012-08,population,99
"""
INDICATORS = "org_code,quarter,indicator,met\n" + "".join(
    f"{org},2012-13-Q{q},{ind},{'false' if (org, q, ind) in FAILED else 'true'}\n"
    for org in ("FT1", "FT2", "NT1")
    for q in (1, 2, 3)
    for ind in ("ae_4hr", "rtt_admitted", "cancer_31d")
    for FAILED in [
        {
            ("FT1", 1, "ae_4hr"),
            ("FT1", 2, "ae_4hr"),
            ("FT1", 2, "cancer_31d"),
            ("NT1", 1, "rtt_admitted"),
            ("NT1", 2, "rtt_admitted"),
            ("NT1", 3, "rtt_admitted"),
        }
    ]
)
EVENTS = """event_id,org_code,date,kind
E1,FT2,2012-08-15,significant_breach
E2,NT1,2012-07-10,cqc_moderate_concern
"""
