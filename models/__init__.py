"""Reference models trained with lrhooks (run from a checkout; not installed)."""
