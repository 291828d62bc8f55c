"""Datasets: generated examples (:mod:`mibias.data.synthetic`) and the paper's benchmarks, one
module each."""
