"""Reference models trained with lrhooks (installed with lrhooks: `lrhooks-train`, `lrhooks-eval`)."""
