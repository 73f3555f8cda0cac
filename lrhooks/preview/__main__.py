"""`python -m lrhooks.preview`: see `lrhooks.preview.cli`."""

from lrhooks.preview import cli

__doc__ = cli.__doc__  # what absl prints above the flags of --help
cli.run()
