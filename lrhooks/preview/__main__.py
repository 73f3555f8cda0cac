"""`python -m lrhooks.preview`: see `lrhooks.preview.cli`."""

from lrhooks.preview import cli

cli.run()
