import torch

from mibias.models import DigitEncoder, digit_classifier


def test_shapes_and_uint8_input():
    torch.manual_seed(0)
    encoder = DigitEncoder()
    x = torch.randint(0, 256, (4, 3, 28, 28), dtype=torch.uint8)
    z = encoder(x)
    assert z.shape == (4, 64) and (z >= 0).all()
    assert torch.allclose(z, encoder(x.float() / 255))
    assert digit_classifier()(z).shape == (4, 10)
