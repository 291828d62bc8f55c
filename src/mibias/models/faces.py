"""The IMDB face network: a torchvision ResNet with a bottleneck z before the gender logits."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from mibias.io import InputError

WEIGHTS_HELP = (
    "pass --weights FILE (a state dict of torchvision's {arch}, for example saved on a machine "
    "with network access) or --weights none to train from scratch"
)


def resnet_backbone(arch: str = "resnet50", weights: str = "imagenet") -> tuple[nn.Module, int]:
    """A torchvision ResNet without its classification layer, and its feature width.

    Parameters
    ----------
    arch : str
        A torchvision ResNet builder: ``resnet18``, ``resnet34``, ``resnet50``, ...
    weights : str
        ``imagenet`` (torchvision's default ImageNet weights, downloaded to its cache where the
        network allows), ``none`` (random initialisation) or the path of a saved state dict.
    """
    try:
        import torchvision.models as models
    except (ImportError, RuntimeError) as error:  # RuntimeError: a build for another torch
        raise InputError(
            "the face network needs a torchvision that matches this torch: install the "
            f"extra with pip install 'mibias[vision]' ({type(error).__name__}: {error})"
        ) from error
    builder = getattr(models, arch, None)
    if builder is None or not arch.startswith("resnet"):
        raise InputError(f"unknown architecture {arch!r}; choose a torchvision ResNet (resnet50)")
    if weights == "none":
        network = builder(weights=None)
    elif weights == "imagenet":
        try:
            network = builder(weights="DEFAULT")
        except (OSError, RuntimeError) as error:  # no network, a refused or broken download
            raise InputError(
                f"could not get the ImageNet weights of {arch} ({error}); "
                + WEIGHTS_HELP.format(arch=arch)
            ) from error
    else:
        network = builder(weights=None)
        try:
            network.load_state_dict(load_state_dict(weights, arch))
        except RuntimeError as error:  # missing, unexpected or misshapen tensors
            raise InputError(
                f"{weights}: not the weights of torchvision's {arch}: {error}"
            ) from error
    features = network.fc.in_features
    network.fc = nn.Identity()
    return network, features


def load_state_dict(path: str | Path, arch: str) -> dict[str, torch.Tensor]:
    """A saved state dict (tensors only), with errors that name the file."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such weights file; " + WEIGHTS_HELP.format(arch=arch))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # any unreadable or unsafe file
        raise InputError(f"{path}: not a saved state dict ({error})") from error
    if not isinstance(state, dict):
        raise InputError(f"{path}: expected a state dict, found {type(state).__name__}")
    return state


class FaceEncoder(nn.Module):
    """``x -> backbone features -> linear -> ReLU = z`` (the paper's 128-d layer)."""

    def __init__(self, backbone: nn.Module, features: int, z_dim: int = 128) -> None:
        super().__init__()
        self.backbone = backbone
        self.bottleneck = nn.Sequential(nn.Linear(features, z_dim), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bottleneck(torch.flatten(self.backbone(x), 1))
