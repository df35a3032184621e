"""Benchmarks, one file per hot path; each arrives with the module whose hot path it measures."""
