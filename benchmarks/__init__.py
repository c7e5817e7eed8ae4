"""The side-by-side benchmark: `python -m benchmarks.run` from the repository root."""
