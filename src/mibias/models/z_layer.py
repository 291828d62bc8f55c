"""Where the MI term reads the digit network (:mod:`mibias.models.digits`): the layer's name
and the width of z there, read without torch (the command line's options)."""

from __future__ import annotations

from typing import Literal

ZLayer = Literal["fc", "conv"]

# the convolutional stack's output: 64 channels of 4 x 4, flattened
CONV_FEATURES = 64 * 4 * 4


def representation_size(z_layer: ZLayer = "fc", z_dim: int = 64) -> int:
    """Width of z: ``z_dim`` on the FC layer, 1024 on the convolutional features."""
    return z_dim if z_layer == "fc" else CONV_FEATURES
