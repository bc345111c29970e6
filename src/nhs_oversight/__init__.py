"""nhs-oversight: English NHS provider oversight as code.

The package implements the Department of Health's healthcare-associated infection
objectives, Monitor's governance and financial risk ratings, and the statistics of
small numbers that decide them, with every rule value kept in a dated rulebook and
every result explained by a trace.
"""

__version__ = "0.1.0"
