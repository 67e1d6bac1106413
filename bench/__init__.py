"""Benchmarks and the tools they need (the fake provider server lives in bench.fakellm)."""
