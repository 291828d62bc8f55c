"""Datasets: generated examples and (in later modules) the paper's benchmarks."""

from mibias.data.synthetic import BiasedSample, make_biased_sample

__all__ = ["BiasedSample", "make_biased_sample"]
