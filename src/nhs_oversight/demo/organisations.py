"""The demo's fictional organisations: acute trusts, independent providers, PCTs and CCGs.

Codes follow the shapes of real ODS codes (``R`` + 2 for NHS trusts, ``N`` + 2 for
independent providers, ``5`` + 2 for PCTs, two digits + a letter for CCGs, as ``00C``),
names come from :mod:`nhs_oversight.demo.names`; every one is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from nhs_oversight.demo import names as _names

#: The 10 strategic health authorities (2006-2013), the ``region`` of every organisation.
REGIONS: Final[tuple[str, ...]] = (
    "North East",
    "North West",
    "Yorkshire and the Humber",
    "East Midlands",
    "West Midlands",
    "East of England",
    "London",
    "South East Coast",
    "South Central",
    "South West",
)
TRUSTS_PER_REGION: Final[tuple[int, ...]] = (8, 23, 14, 9, 15, 17, 25, 12, 11, 16)
PCTS_PER_REGION: Final[tuple[int, ...]] = (12, 23, 14, 9, 17, 14, 30, 8, 9, 14)
N_FOUNDATION_TRUSTS: Final[int] = 85
N_INDEPENDENT: Final[int] = 4


@dataclass(frozen=True)
class Specialty:
    """A kind of small specialist trust.

    Attributes
    ----------
    label : str
        Words inserted in the name ("Eye Hospital").
    count : int
        How many such trusts exist.
    bed_days : tuple of int
        Uniform range of occupied bed-days in 2010-11 [bed-days / year].
    cdiff_factor, mrsa_factor : float
        Infection risk relative to a general acute trust [ratio].
    income_uplift : float
        Income per bed-day relative to a general acute trust [ratio].
    """

    label: str
    count: int
    bed_days: tuple[int, int]
    cdiff_factor: float
    mrsa_factor: float
    income_uplift: float


SPECIALTIES: Final[tuple[Specialty, ...]] = (
    Specialty("Eye Hospital", 2, (30_000, 45_000), 0.02, 0.10, 3.0),
    Specialty("Women's Hospital", 3, (45_000, 70_000), 0.03, 0.20, 1.8),
    Specialty("Children's Hospital", 2, (60_000, 95_000), 0.15, 0.50, 2.2),
    Specialty("Orthopaedic Hospital", 3, (40_000, 80_000), 0.25, 0.50, 1.8),
    Specialty("Heart and Chest Hospital", 2, (60_000, 100_000), 0.45, 0.80, 2.4),
    Specialty("Cancer Centre", 2, (45_000, 80_000), 0.60, 0.80, 2.6),
)
N_ACUTE: Final[int] = sum(TRUSTS_PER_REGION)
N_PCT: Final[int] = sum(PCTS_PER_REGION)
N_PROVIDERS: Final[int] = N_ACUTE + N_INDEPENDENT


@dataclass(frozen=True)
class Organisations:
    """The organisations in generation order: acute trusts, independents, then PCTs.

    Attributes
    ----------
    code, name, kind, region : numpy.ndarray
        The columns of ``organisations.csv`` (object arrays of str).
    specialty : numpy.ndarray
        Index into ``SPECIALTIES`` for specialist trusts, -1 otherwise (providers only).
    """

    code: np.ndarray
    name: np.ndarray
    kind: np.ndarray
    region: np.ndarray
    specialty: np.ndarray

    @property
    def providers(self) -> slice:
        """Acute trusts and independent providers."""
        return slice(0, N_PROVIDERS)

    @property
    def pcts(self) -> slice:
        """Primary care trusts."""
        return slice(N_PROVIDERS, N_PROVIDERS + N_PCT)

    def frame(self) -> pd.DataFrame:
        """``organisations.csv`` sorted by code."""
        df = pd.DataFrame({"code": self.code, "name": self.name, "kind": self.kind, "region": self.region})
        return df.sort_values("code").reset_index(drop=True)


def draw_codes(rng: np.random.Generator, first: str, n: int) -> np.ndarray:
    """Draw ``n`` distinct ODS-shaped codes: ``first`` + 2 uppercase alphanumerics.

    Codes that a CSV reader could take for a number or a missing value (``506``,
    ``5E1``, ``NAN``) are never drawn: after a digit ``first`` the second character is
    a letter other than ``E``.
    """
    alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    second = alnum if first.isalpha() else "ABCDFGHJKLMNPQRSTUVWXY"
    every = [first + a + b for a in second for b in alnum]
    candidates = np.array([c for c in every if c.upper() not in {"NAN", "NAT"}], dtype=object)
    return rng.choice(candidates, size=n, replace=False)


def build_organisations(rng: np.random.Generator) -> Organisations:
    """Invent codes, names, kinds and regions of every organisation."""
    places = list(rng.permutation(np.array(_names.candidate_places(), dtype=object)))
    trust_region = np.repeat(np.arange(len(REGIONS)), TRUSTS_PER_REGION)
    pct_region = np.repeat(np.arange(len(REGIONS)), PCTS_PER_REGION)

    specialty = np.full(N_ACUTE, -1)
    n_special = sum(s.count for s in SPECIALTIES)
    special_at = rng.choice(N_ACUTE, size=n_special, replace=False)
    specialty[special_at] = np.repeat(np.arange(len(SPECIALTIES)), [s.count for s in SPECIALTIES])
    ft_weight = np.where(specialty >= 0, 4.0, 1.0)
    ft_at = rng.choice(N_ACUTE, size=N_FOUNDATION_TRUSTS, replace=False, p=ft_weight / ft_weight.sum())
    trust_kind = np.full(N_ACUTE, "nhs_trust", dtype=object)
    trust_kind[ft_at] = "foundation_trust"

    trust_place = [places.pop() for _ in range(N_ACUTE)]
    trust_template = rng.choice(
        len(_names.GENERAL_TRUST_TEMPLATES),
        size=N_ACUTE,
        p=np.array([6, 4, 2, 2, 2, 2, 2], dtype=float) / 20,
    )
    trust_name = []
    for i in range(N_ACUTE):
        if specialty[i] >= 0:
            stem = f"{trust_place[i]} {SPECIALTIES[specialty[i]].label}"
        else:
            template = _names.GENERAL_TRUST_TEMPLATES[trust_template[i]]
            stem = template.format(p=trust_place[i], q=places.pop() if "{q}" in template else "")
        trust_name.append(f"{stem} {_names.KIND_SUFFIX[trust_kind[i]]}")

    # about half of the PCTs share the place name of a general trust of their region
    pct_place: list[str] = []
    for r, n in enumerate(PCTS_PER_REGION):
        local = [trust_place[i] for i in np.flatnonzero((trust_region == r) & (specialty < 0))]
        shared = list(rng.choice(np.array(local, dtype=object), size=min(n // 2, len(local)), replace=False))
        pct_place.extend(shared + [places.pop() for _ in range(n - len(shared))])
    pct_template = rng.integers(0, len(_names.PCT_TEMPLATES), size=N_PCT)
    pct_name = []
    for j in range(N_PCT):
        template = _names.PCT_TEMPLATES[pct_template[j]]
        pct_name.append(template.format(p=pct_place[j], q=places.pop() if "{q}" in template else ""))

    ind_name = [t.format(p=places.pop()) for t in _names.INDEPENDENT_TEMPLATES[:N_INDEPENDENT]]
    ind_region = rng.choice(len(REGIONS), size=N_INDEPENDENT)

    code = np.concatenate(
        [draw_codes(rng, "R", N_ACUTE), draw_codes(rng, "N", N_INDEPENDENT), draw_codes(rng, "5", N_PCT)]
    )
    name = np.array(trust_name + ind_name + pct_name, dtype=object)
    kind = np.array(list(trust_kind) + ["independent"] * N_INDEPENDENT + ["pct"] * N_PCT, dtype=object)
    region_index = np.concatenate([trust_region, ind_region, pct_region])
    region = np.array([REGIONS[r] for r in region_index], dtype=object)
    specialty_all = np.concatenate([specialty, np.full(N_INDEPENDENT + N_PCT, -1)])
    if len(set(name)) != len(name) or len(set(code)) != len(code):  # pragma: no cover
        raise AssertionError("demo organisation names or codes are not unique")
    return Organisations(code, name, kind, region, specialty_all)


# ---------------------------------------------------------------------------- CCGs
#: Clinical commissioning groups that took over from the PCTs on 1 April 2013 (211 took
#: over from 152 PCTs in England; the demo keeps about the same ratio).
N_CCG: Final[int] = 211
#: CCGs cover at most this many parts of one PCT area.
_MAX_CCGS_PER_PCT: Final[int] = 5
#: Concentration of the Dirichlet draw that splits a PCT's population among its CCGs.
_SPLIT_CONCENTRATION: Final[float] = 6.0


@dataclass(frozen=True)
class CCGs:
    """The clinical commissioning groups, each lying within the area of one PCT.

    Attributes
    ----------
    code, name, region : numpy.ndarray
        The columns of ``organisations.csv`` (object arrays of str; kind ``ccg``).
    pct : numpy.ndarray
        Index (0 = first PCT of :class:`Organisations`) of the PCT whose area the CCG covers part of.
    share : numpy.ndarray
        The CCG's share of that PCT area's population [fraction]; the shares of one PCT add to 1.
    """

    code: np.ndarray
    name: np.ndarray
    region: np.ndarray
    pct: np.ndarray
    share: np.ndarray

    def frame(self) -> pd.DataFrame:
        """The CCG rows of ``organisations.csv`` (unsorted)."""
        return pd.DataFrame({"code": self.code, "name": self.name, "kind": "ccg", "region": self.region})


def draw_ccg_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` distinct CCG-shaped codes: two digits and a letter (``00C``, ``99X``).

    ``E`` is never the letter (``01E`` is too close to a number for some readers), nor
    ``I`` or ``O`` (read as digits).
    """
    letters = "ABCDFGHJKLMNPQRSTUVWXYZ"
    candidates = np.array([f"{a}{b}{c}" for a in "0123456789" for b in "0123456789" for c in letters], dtype=object)
    return rng.choice(candidates, size=n, replace=False)


def _pct_area(pct_name: str) -> str:
    """The place a PCT's name gives ("Elmworth Teaching Primary Care Trust" -> "Elmworth")."""
    return pct_name.removesuffix(" Primary Care Trust").removesuffix(" Teaching")


def _ccg_places(area: str, k: int, rng: np.random.Generator) -> list[str]:
    """The places of the ``k`` CCGs that split a PCT area."""
    if k == 1:
        return [area]
    parts = area.split(" and ")
    if len(parts) == k:
        return parts
    area = area.removesuffix(" City")
    directions = sorted(rng.choice(len(_names.CCG_DIRECTIONS), size=k, replace=False))
    words = [_names.CCG_DIRECTIONS[d] for d in directions]
    if rng.random() < 0.5:
        return [f"{w} {area}" for w in words]
    return [f"{area} {w}" for w in words]


def build_ccgs(orgs: Organisations, pct_population: np.ndarray, rng: np.random.Generator) -> CCGs:
    """Split the PCT areas into :data:`N_CCG` CCGs.

    Parameters
    ----------
    orgs : Organisations
    pct_population : numpy.ndarray
        Population of each PCT [people], shape (PCTs,): larger areas split into more CCGs.
    rng : numpy.random.Generator

    Notes
    -----
    Each extra CCG (beyond one per PCT) goes to a PCT drawn with probability proportional
    to its population per CCG so far, at most :data:`_MAX_CCGS_PER_PCT` per PCT; the
    population shares of a PCT's CCGs are Dirichlet-distributed (concentration
    :data:`_SPLIT_CONCENTRATION`). A CCG keeps the region of its PCT.
    """
    per_pct = np.ones(N_PCT, dtype=np.int64)
    population = np.asarray(pct_population, dtype=float)
    for _ in range(N_CCG - N_PCT):
        weight = np.where(per_pct < _MAX_CCGS_PER_PCT, population / per_pct, 0.0)
        per_pct[rng.choice(N_PCT, p=weight / weight.sum())] += 1
    pct = np.repeat(np.arange(N_PCT), per_pct)
    share = np.concatenate([rng.dirichlet(np.full(k, _SPLIT_CONCENTRATION)) if k > 1 else [1.0] for k in per_pct])
    pct_names = orgs.name[orgs.pcts]
    places = [p for j, k in enumerate(per_pct) for p in _ccg_places(_pct_area(pct_names[j]), int(k), rng)]
    name = np.array([_names.CCG_TEMPLATE.format(p=p) for p in places], dtype=object)
    code = draw_ccg_codes(rng, N_CCG)
    region = orgs.region[orgs.pcts][pct]
    if len(set(name) | set(orgs.name)) != len(name) + len(orgs.name):  # pragma: no cover
        raise AssertionError("demo CCG names are not unique")
    return CCGs(code=code, name=name, region=region, pct=pct, share=share)
