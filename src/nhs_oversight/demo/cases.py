"""Case-level MRSA reports for the zero-tolerance year (``cases.csv``, from 2013-14).

From April 2013 every MRSA bloodstream infection has a post-infection review that assigns
it to the trust, the clinical commissioning group or a third party (RULES.md §1.6). The
demo writes one record per MRSA case of 2013-14 so that the reviews can be counted; the
records reproduce the monthly counts of ``infections.csv`` exactly: a trust's
trust-apportioned cases have a specimen taken on or after day
:data:`MRSA_TRUST_APPORTIONED_FROM_DAY` of the admission, its other cases either before it
or with no admission at all, and each CCG receives as many residents' cases each month as
its ``population`` count.

Every record is invented. The review outcomes are drawn from invented shares (below), not
from published figures.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from nhs_oversight.periods import Month

#: A specimen taken on or after this day of the admission (day 1 = the day of admission)
#: is trust-apportioned: "post 48 hours", as the ``hcai-counting-2008`` rulebook reads it.
MRSA_TRUST_APPORTIONED_FROM_DAY: Final[int] = 3
#: Mean days from admission to the specimen beyond the first day that counts [days].
_MEAN_EXTRA_DAYS: Final[float] = 9.0
#: Share of community-onset cases whose patient was never admitted (A&E, out-patients, GP).
_NOT_ADMITTED: Final[float] = 0.4
#: The review outcomes of ``cases.csv``'s ``assigned_to`` (empty = review awaited).
ASSIGNMENTS: Final[tuple[str, ...]] = ("trust", "ccg", "third_party")
#: Post-infection review outcome shares [probability], by onset: a hospital-onset case is
#: mostly assigned to the trust, a community-onset case mostly to the CCG (invented shares).
_HOSPITAL_ONSET_SHARES: Final[tuple[float, float, float]] = (0.80, 0.10, 0.10)
_COMMUNITY_ONSET_SHARES: Final[tuple[float, float, float]] = (0.12, 0.78, 0.10)
#: Chance that a case's review is still awaited at the end of the year, by months before
#: March (0 = March itself) [probability]; earlier months 1%.
_AWAITING: Final[tuple[float, ...]] = (0.5, 0.15, 0.05)
_AWAITING_LATER: Final[float] = 0.01


def _match_residents(
    case_region: np.ndarray, slot_ccg: np.ndarray, slot_region: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Give each case of one month a CCG of residence, one per slot.

    Cases are first matched at random with the slots of their trust's region, then the
    cases and slots left over are matched at random across regions.
    """
    responsible = np.full(case_region.size, -1)
    free = np.ones(slot_ccg.size, dtype=bool)
    for region in sorted(set(case_region) | set(slot_region)):
        cases = rng.permutation(np.flatnonzero(case_region == region))
        slots = rng.permutation(np.flatnonzero((slot_region == region) & free))
        k = min(cases.size, slots.size)
        responsible[cases[:k]] = slot_ccg[slots[:k]]
        free[slots[:k]] = False
    left = rng.permutation(np.flatnonzero(responsible < 0))
    responsible[left] = slot_ccg[rng.permutation(np.flatnonzero(free))]
    return responsible


def mrsa_cases(
    providers: pd.DataFrame,
    ccgs: pd.DataFrame,
    trust: np.ndarray,
    non_trust: np.ndarray,
    population: np.ndarray,
    months: list[Month],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One record per MRSA case of the given months, with its review assignment.

    Parameters
    ----------
    providers : pandas.DataFrame
        ``code, region`` of the reporting trusts, in the order of the rows of ``trust``.
    ccgs : pandas.DataFrame
        ``code, region`` of the CCGs, in the order of the rows of ``population``.
    trust, non_trust : numpy.ndarray
        Trust- and non-trust-apportioned cases, shape (providers, months) [cases / month].
    population : numpy.ndarray
        CCG residents' cases, shape (CCGs, months); each month's total equals that of
        ``trust + non_trust``.
    months : list of Month
    rng : numpy.random.Generator

    Returns
    -------
    pandas.DataFrame
        The columns of ``cases.csv`` (``case_id, organism, specimen_date, admission_date,
        reporting_org, responsible_org, assigned_to``), sorted by ``case_id``; an empty
        ``admission_date`` = not an in-patient, an empty ``assigned_to`` = review awaited.
    """
    provider_region = providers["region"].to_numpy()
    ccg_region = ccgs["region"].to_numpy()
    parts = []
    for k, month in enumerate(months):
        index = np.arange(len(providers))
        reporting = np.concatenate([np.repeat(index, trust[:, k]), np.repeat(index, non_trust[:, k])])
        onset_in_hospital = np.arange(reporting.size) < trust[:, k].sum()
        slots = np.repeat(np.arange(len(ccgs)), population[:, k])
        if slots.size != reporting.size:  # pragma: no cover
            raise AssertionError(f"{month}: {reporting.size} cases reported but {slots.size} residents' cases")
        responsible = _match_residents(provider_region[reporting], slots, ccg_region[slots], rng)

        n = reporting.size
        days_in_month = (month.end - month.start).days + 1
        specimen = np.datetime64(month.start) + rng.integers(0, days_in_month, size=n)
        # days from admission to specimen: >= FROM_DAY - 1 in hospital; 0 or 1 otherwise
        late = MRSA_TRUST_APPORTIONED_FROM_DAY - 1 + rng.geometric(1 / (1 + _MEAN_EXTRA_DAYS), size=n) - 1
        early = rng.integers(0, MRSA_TRUST_APPORTIONED_FROM_DAY - 1, size=n)
        admitted = onset_in_hospital | (rng.random(n) >= _NOT_ADMITTED)
        admission = specimen - np.where(onset_in_hospital, late, early)

        shares = np.where(onset_in_hospital[:, None], _HOSPITAL_ONSET_SHARES, _COMMUNITY_ONSET_SHARES)
        pick = np.minimum((rng.random((n, 1)) > np.cumsum(shares, axis=1)).sum(axis=1), len(ASSIGNMENTS) - 1)
        lag = months[-1].year * 12 + months[-1].month - (month.year * 12 + month.month)
        awaiting = rng.random(n) < (_AWAITING[lag] if lag < len(_AWAITING) else _AWAITING_LATER)
        parts.append(
            pd.DataFrame(
                {
                    "specimen_date": specimen.astype(str),
                    "admission_date": np.where(admitted, admission.astype(str), ""),
                    "reporting_org": providers["code"].to_numpy()[reporting],
                    "responsible_org": ccgs["code"].to_numpy()[responsible],
                    "assigned_to": np.where(awaiting, "", np.array(ASSIGNMENTS, dtype=object)[pick]),
                }
            )
        )
    df = pd.concat(parts, ignore_index=True)
    df = df.sort_values(list(df.columns)).reset_index(drop=True)
    df.insert(0, "case_id", [f"MRSA-{i + 1:05d}" for i in range(len(df))])
    df.insert(1, "organism", "mrsa")
    for column in ("admission_date", "assigned_to"):  # empty = written as an empty cell
        df[column] = df[column].mask(df[column] == "")
    return df
