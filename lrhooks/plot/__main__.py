"""`python -m lrhooks.plot`: see `lrhooks.plot.cli`."""

from lrhooks.plot import cli

__doc__ = cli.__doc__  # what absl prints above the flags of --help
cli.run()
