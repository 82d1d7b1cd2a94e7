"""``python -m lab.cli``: the same as the ``lab`` console script."""

from lab.cli.app import main

main()
