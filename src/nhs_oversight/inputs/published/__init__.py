"""Read the published mandatory-surveillance tables (MRSA, C. difficile, E. coli) as they are.

PHE / UKHSA publish monthly HCAI counts in several layouts; :func:`read_published`
recognises each by the names in its header row and turns it into the ``organisations`` and
``infections`` tables of the data folder (DATA.md), checking the published totals on the
way. Published rates and national series are read into frames of their own.

One module per layout, each with the "Decisions" made on the real files beside the code
that carries them out:

- :mod:`.wide` — ``wide-trust`` and ``wide-ccg``: "Monthly counts of … by Acute Trust / by CCG";
- :mod:`.long` — ``long`` (2018-19, 2019-20) and ``long-2020`` (2020-21 on), read by column
  name; :mod:`.onset` — their metrics and the apportionment each is imported as;
- :mod:`.hcaidcs` — ``hcaidcs-ccg`` and ``hcaidcs-trust``: HCAI Data Capture System extracts;
- :mod:`.rates` — :func:`read_published_rates`: rates per 100,000 population by ICB;
- :mod:`.national` — :func:`read_national_series`: England by organism and financial year;
- :mod:`.read` — finding the layout, and the refusal of a file that is none of them;
- :mod:`.text`, :mod:`.sheets`, :mod:`.organism`, :mod:`.table` — what they share.

Not read: the NHS England KH03 beds time series (``Beds-Timeseries-….xls``): national beds,
no counts; its two-row header and ``.xls`` format (xlrd) were not worth a reader.
"""

from .national import read_national_series
from .organism import infer_organism, organism_id
from .rates import read_published_rates
from .read import SUPPORTED, read_published
from .table import PublishedTable, write_data_folder
from .text import NOT_PUBLISHED, clean_name, parse_count

#: The layouts of :attr:`PublishedTable.layout`.
LAYOUTS = ("wide-trust", "wide-ccg", "long", "long-2020", "hcaidcs-ccg", "hcaidcs-trust")

__all__ = [
    "LAYOUTS",
    "NOT_PUBLISHED",
    "SUPPORTED",
    "PublishedTable",
    "read_published",
    "read_published_rates",
    "read_national_series",
    "write_data_folder",
    "clean_name",
    "parse_count",
    "infer_organism",
    "organism_id",
]
