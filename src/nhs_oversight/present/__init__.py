"""Presentation: what people see (labels, terminal tables) and the files they take away.

- :mod:`.labels` — codes to labels for people (light: no pandas).
- :mod:`.terminal` — tables that fit the terminal, never splitting a word or a number (rich).
- :mod:`.files` — CSV, JSON, Parquet and XLSX files, written atomically; files keep codes.
- :mod:`.errors` — :class:`OutputError` and :func:`redact_url` (light).

Nothing here imports typer; only :mod:`.terminal` imports rich. Import the submodules
directly (``from nhs_oversight.present.terminal import render_table``) so that importing
one does not import the others.
"""
