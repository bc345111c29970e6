"""The organism a published table counts: given by the user, or named by the file.

Decisions
---------
Organism ids
    The data contract names ``mrsa``, ``cdiff`` and ``ecoli``. Rates and national series keep
    every other organism under its own lowercase id: ``mssa``, ``klebsiella`` (the genus),
    ``pseudomonas`` (*P. aeruginosa*), and for a named species or group the words joined by
    ``_`` (``klebsiella_oxytoca``, ``klebsiella_not_speciated``). Table S8 of the 2024
    annual tables writes ``Klebsiella o[x]ytoca`` (a "not available" mark replaced into a
    word): ``[x]`` between two letters is read as ``x``.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError, Problem
from ..schemas import ORGANISMS

__all__ = ["infer_organism", "organism_id"]

#: Words naming an organism, by organism; the last three are published but not imported.
_ORGANISM_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("ecoli", r"\be\.?\s*coli\b|escherichia"),
        ("mrsa", r"\bmrsa\b|\bmeth?icillin[- ]resistant"),
        ("cdiff", r"\bc\.?\s*diff(?:icile)?\b|clostridi\w*\s+difficile|\bcdi\b"),
        ("mssa", r"\bmssa\b|\bmeth?icillin[- ]s[eu]"),
        ("klebsiella", r"klebsiella"),
        ("pseudomonas", r"pseudomonas|\bp\.?\s*aeruginosa"),
    )
)
#: Species labels that name a part of a genus, not the genus: kept under their own id.
_SPECIES_WORDS = re.compile(r"\b(aerogenes|oxytoca|pneumoniae|not speciated|other named species)\b", re.IGNORECASE)


def _named_organisms(text: str) -> list[str]:
    spaced = re.sub(r"[_\-\u00a0]+", " ", text)
    return [name for name, pattern in _ORGANISM_WORDS if pattern.search(spaced)]


def infer_organism(*texts: str | None) -> str | None:
    """The organism the first text that names one names (None if none does or it is unclear).

    Parameters
    ----------
    *texts : str or None
        Title, ``Collection`` value, file name … in order of trust.

    Returns
    -------
    str or None
        ``mrsa``, ``cdiff``, ``ecoli``, or a name not imported (``mssa``, ``klebsiella``,
        ``pseudomonas``).
    """
    for text in texts:
        named = _named_organisms(text or "")
        if named:
            return named[0] if len(named) == 1 else None
    return None


def organism_id(species: str, genus: str = "") -> str:
    """The id of an organism as a rates or series table labels it.

    Parameters
    ----------
    species : str
        ``Escherichia coli``, ``Methicillin-resistant Staphylococcus aureus (MRSA)``,
        ``C. difficile``, ``Klebsiella oxytoca``, ``Not speciated`` …
    genus : str, optional
        The row's genus, when the table gives one (it is prefixed to a species label that
        does not name its genus, such as ``Not speciated``).

    Returns
    -------
    str
        ``mrsa``, ``cdiff``, ``ecoli``, ``mssa``, ``klebsiella``, ``pseudomonas``, or the
        label's words in lower case joined by ``_``.
    """
    label = " ".join(species.replace("\u00a0", " ").split())
    label = re.sub(r"(?<=[a-z])\[x\](?=[a-z])", "x", label)  # "Klebsiella o[x]ytoca" (table S8)
    named = _named_organisms(label)
    if len(named) == 1 and not _SPECIES_WORDS.search(label):
        return named[0]
    if genus and genus.strip().lower() not in label.lower():
        label = f"{genus.strip()} {label}"
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")


def _normalise_organism(path: Path, organism: str) -> str:
    s = organism.strip().lower()
    if s in ORGANISMS:
        return s
    named = _named_organisms(s)
    if len(named) == 1 and named[0] in ORGANISMS:
        return named[0]
    raise InputError(Problem(path.name, f"unknown organism {organism!r}; expected one of {', '.join(ORGANISMS)}"))


def resolve_organism(
    path: Path,
    organism: str | None,
    title: str | None,
    title_line: int | None,
    collection: tuple[str, int] | None,
    collection_header: str = "Collection",
) -> str:
    """The given organism checked against the file, or the one the file names."""
    stated: tuple[list[str], str, int | None] | None = None  # named, where, line
    for text, where, line in (
        (title, "the title", title_line),
        (
            collection[0] if collection else None,
            f"the {collection_header} column",
            collection[1] if collection else None,
        ),
    ):
        named = _named_organisms(text or "")
        if named:
            stated = (named, f"{where} ({text!r})", line)
            break
    if organism is not None:
        given = _normalise_organism(path, organism)
        if stated and given not in stated[0]:
            raise InputError(
                Problem(path.name, f"--organism {given} contradicts {stated[1]}, which names {stated[0][0]}", stated[2])
            )
        return given
    named = stated[0] if stated else _named_organisms(path.stem)
    where = stated[1] if stated else f"the file name ({path.name!r})"
    if len(named) == 1 and named[0] in ORGANISMS:
        return named[0]
    if len(named) == 1:
        reason = f"{where} names {named[0]}, which is not imported ({', '.join(ORGANISMS)} are)"
    elif named:
        reason = f"{where} names several organisms ({', '.join(named)})"
    else:
        reason = f"neither the title, a {collection_header} column nor the file name names the organism"
    raise InputError(Problem(path.name, f"{reason}; give it with --organism ({', '.join(ORGANISMS)})"))
