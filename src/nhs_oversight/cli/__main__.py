"""``python -m nhs_oversight.cli``: the ``oversight`` command."""

from . import main

main()
