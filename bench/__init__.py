"""Benchmarks: ``make bench`` runs ``python -m bench.ingest``; results go to ``docs/benchmarks.md``."""
