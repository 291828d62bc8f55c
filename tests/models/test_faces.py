import sys
import types

import pytest
import torch
from torch import nn

from mibias.io import InputError
from mibias.models.faces import FaceEncoder, resnet_backbone


class SmallNet(nn.Module):
    """Stands in for a torchvision ResNet: features, then an ``fc`` layer to 1000 classes."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 16, 3), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(16, 1000)

    def forward(self, x):
        return self.fc(self.features(x))


@pytest.fixture
def fake_torchvision(monkeypatch):
    """torchvision.models with a resnet50 builder; its ImageNet download fails (no network)."""
    calls = []

    def resnet50(weights=None):
        calls.append(weights)
        if weights is not None:
            raise OSError("no route to the weights' host")
        return SmallNet()

    models = types.SimpleNamespace(resnet50=resnet50)
    monkeypatch.setitem(sys.modules, "torchvision", types.SimpleNamespace(models=models))
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    return calls


def test_the_backbone_drops_the_classifier_and_loads_weights(fake_torchvision, tmp_path):
    network, features = resnet_backbone("resnet50", "none")
    assert features == 16 and isinstance(network.fc, nn.Identity)
    assert network(torch.randn(2, 3, 8, 8)).shape == (2, 16)
    saved = SmallNet()
    torch.save(saved.state_dict(), tmp_path / "weights.pt")
    loaded, _ = resnet_backbone("resnet50", str(tmp_path / "weights.pt"))
    assert torch.equal(loaded.features[0].weight, saved.features[0].weight)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ("imagenet", "could not get the ImageNet weights of resnet50 .* --weights none"),
        ("missing.pt", "no such weights file"),
    ],
)
def test_weights_that_cannot_be_had_are_explained(fake_torchvision, weights, message):
    with pytest.raises(InputError, match=message):
        resnet_backbone("resnet50", weights)


def test_foreign_weights_and_unknown_architectures_are_refused(fake_torchvision, tmp_path):
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(InputError, match="not the weights of torchvision's resnet50"):
        resnet_backbone("resnet50", str(tmp_path / "other.pt"))
    with pytest.raises(InputError, match="unknown architecture 'vgg16'"):
        resnet_backbone("vgg16", "none")


def test_a_missing_torchvision_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)
    monkeypatch.setitem(sys.modules, "torchvision.models", None)
    with pytest.raises(InputError, match=r"mibias\[vision\]"):
        resnet_backbone()


def test_the_encoder_ends_in_the_bottleneck():
    encoder = FaceEncoder(SmallNet().features, 16, z_dim=128)
    z = encoder(torch.randn(3, 3, 8, 8))
    assert z.shape == (3, 128) and (z >= 0).all()
