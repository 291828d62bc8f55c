import pytest
import torch

from mibias.models.digits import DigitEncoder, digit_classifier
from mibias.models.z_layer import representation_size


def test_shapes_and_uint8_input():
    torch.manual_seed(0)
    encoder = DigitEncoder()
    x = torch.randint(0, 256, (4, 3, 28, 28), dtype=torch.uint8)
    z = encoder(x)
    assert z.shape == (4, 64) and (z >= 0).all()
    assert torch.allclose(z, encoder(x.float() / 255))
    assert digit_classifier()(z).shape == (4, 10)


def test_the_conv_split_is_the_same_network_with_z_on_the_convolutional_features():
    x = torch.randint(0, 256, (4, 3, 28, 28), dtype=torch.uint8)
    torch.manual_seed(0)
    fc_encoder, fc_classifier = DigitEncoder(), digit_classifier()
    torch.manual_seed(0)
    conv_encoder, conv_classifier = DigitEncoder(z_layer="conv"), digit_classifier(z_layer="conv")
    z = conv_encoder(x)
    assert z.shape == (4, 1024) and conv_encoder.z_dim == representation_size("conv") == 1024
    assert torch.equal(conv_classifier(z), fc_classifier(fc_encoder(x)))
    with pytest.raises(ValueError, match="z_layer must be fc or conv"):
        DigitEncoder(z_layer="fc512")
