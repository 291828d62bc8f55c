import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mibias.data.colored_mnist import (
    KIM_PALETTE,
    binary_colour,
    colour_bins,
    colour_class,
    make_colored_mnist,
    one_hot_bins,
    random_palette,
)


def fake_mnist(n_train=2000, n_test=1000, seed=0):
    rng = np.random.default_rng(seed)
    gray = np.zeros((n_train + n_test, 28, 28), np.uint8)
    gray[:, 10:18, 12:16] = 255  # a full-intensity stroke: max pixel = the colour itself
    labels = rng.integers(0, 10, size=n_train + n_test).astype(np.uint8)
    return {
        "train_images": gray[:n_train],
        "train_labels": labels[:n_train],
        "test_images": gray[n_train:],
        "test_labels": labels[n_train:],
    }


def stroke_colours(images):
    return images.reshape(len(images), -1, 3).max(axis=1) / 255.0


@pytest.mark.parametrize("sigma", [0.02, 0.05])
def test_training_colours_follow_the_class_mean_with_variance_sigma(sigma):
    gray = fake_mnist()
    data = make_colored_mnist(sigma, mnist=gray, cache=False)
    colours = stroke_colours(data.train_images)
    assert data.train_images.shape == (1667, 28, 28, 3) and data.train_images.dtype == np.uint8
    assert data.train_images[:, 0, 0].max() == 0  # background stays black
    # channels whose mean is far from the clip bounds: jitter std = sqrt(sigma)
    for label in range(10):
        rows = data.train_labels == label
        mean = KIM_PALETTE[label] / 255
        inside = (mean > 0.35) & (mean < 0.65)
        if inside.any():
            std = colours[rows][:, inside].std(axis=0)
            assert np.allclose(std, np.sqrt(sigma), rtol=0.25)
        assert np.allclose(np.median(colours[rows], axis=0), mean, atol=0.08)


@pytest.mark.parametrize("split", ["test", "validation"])
def test_test_and_validation_colours_carry_no_label_information(split):
    gray = fake_mnist(n_train=24_000, n_test=4000)
    data = make_colored_mnist(0.02, mnist=gray, cache=False)
    images, labels = getattr(data, f"{split}_images"), getattr(data, f"{split}_labels")
    assert len(labels) == 4000
    for rule in ("palette", "uniform"):
        colours = stroke_colours(images(rule))
        per_class = [colours[labels == k].mean(0) for k in range(10)]
        assert np.ptp(np.array(per_class), axis=0).max() < 0.12, rule
    assert abs(stroke_colours(images("uniform")).mean() - 0.5) < 0.03
    with pytest.raises(ValueError, match="palette or uniform"):
        images("random")


def test_validation_digits_are_held_out_training_digits():
    gray = fake_mnist(600, 100)
    data = make_colored_mnist(0.02, mnist=gray, cache=False)
    assert len(data.train_labels) + len(data.validation_labels) == 600
    assert np.array_equal(data.validation_labels, gray["train_labels"][500:])
    assert np.array_equal(data.train_labels, gray["train_labels"][:500])
    # training colours are those the full set gave its first 500 digits
    full = make_colored_mnist(0.02, mnist=fake_mnist(6000, 100), cache=False)
    assert np.array_equal(data.train_images, full.train_images[:500])


def test_colour_class_names_the_nearest_palette_colour():
    images = np.zeros((10, 28, 28, 3), np.uint8)
    images[:, 3, 3] = np.clip(KIM_PALETTE + 8, 0, 255).astype(np.uint8)
    assert colour_class(images).tolist() == list(range(10))


def test_generation_is_deterministic_and_cached(tmp_path, monkeypatch):
    gray = fake_mnist(200, 100)
    a = make_colored_mnist(0.03, seed=4, mnist=gray, cache=False)
    b = make_colored_mnist(0.03, seed=4, mnist=gray, cache=False)
    c = make_colored_mnist(0.03, seed=5, mnist=gray, cache=False)
    assert np.array_equal(a.train_images, b.train_images)
    assert not np.array_equal(a.train_images, c.train_images)
    monkeypatch.setattr("mibias.data.colored_mnist.load_mnist", lambda home: gray)
    first = make_colored_mnist(0.03, seed=4, home=tmp_path)
    assert list((tmp_path / "colored_mnist").glob("*.npz"))
    monkeypatch.setattr("mibias.data.colored_mnist.load_mnist", lambda home: 1 / 0)
    again = make_colored_mnist(0.03, seed=4, home=tmp_path)  # from the cache, MNIST not read
    assert np.array_equal(first.test_images_uniform, again.test_images_uniform)


def test_any_palette_is_accepted_and_bad_ones_refused():
    gray = fake_mnist(100, 50)
    data = make_colored_mnist(0.02, mnist=gray, palette=random_palette(1), cache=False)
    assert data.train_images.shape == (83, 28, 28, 3)
    with pytest.raises(ValueError, match="shape"):
        make_colored_mnist(0.02, mnist=gray, palette=np.zeros((3, 3)), cache=False)
    with pytest.raises(ValueError, match="variance"):
        make_colored_mnist(-0.1, mnist=gray, cache=False)


def test_attribute_encoders():
    images = np.zeros((3, 28, 28, 3), np.uint8)
    images[0, 5, 5] = (0, 31, 32)
    images[1, 5, 5] = (255, 224, 223)
    images[2, 5, 5] = (128, 64, 96)
    codes = colour_bins(images)
    assert codes.tolist() == [[0, 0, 1], [7, 7, 6], [4, 2, 3]]
    onehot = one_hot_bins(codes)
    assert onehot.shape == (3, 24) and np.all(onehot.sum(1) == 3)
    assert onehot[2, 4] == 1 and onehot[2, 8 + 2] == 1 and onehot[2, 16 + 3] == 1
    bits = binary_colour(images)
    assert bits.shape == (3, 24)
    assert bits[2, :8].tolist() == [1, 0, 0, 0, 0, 0, 0, 0]  # 128
    assert bits[1, 8:16].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]  # 224


def test_a_damaged_or_older_cache_is_generated_again_with_a_notice(tmp_path, monkeypatch, capsys):
    gray = fake_mnist(200, 100)
    monkeypatch.setattr("mibias.data.colored_mnist.load_mnist", lambda home: gray)
    first = make_colored_mnist(0.03, seed=4, home=tmp_path)
    (path,) = (tmp_path / "colored_mnist").glob("*.npz")
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF  # one flipped byte inside the images
    path.write_bytes(bytes(content))
    again = make_colored_mnist(0.03, seed=4, home=tmp_path)
    assert np.array_equal(first.train_images, again.train_images)
    assert f"{path} is damaged" in capsys.readouterr().err
    np.savez(path, **vars(first))  # as written before the cache carried its hash
    make_colored_mnist(0.03, seed=4, home=tmp_path)
    assert "generating it again" in capsys.readouterr().err
    make_colored_mnist(0.03, seed=4, home=tmp_path)  # now as written today: read, no notice
    assert capsys.readouterr().err == ""


# another process generating the dataset in argv[1] from the small gray digits: it holds the
# lock a while before it generates
GENERATING = """
import sys, time
from mibias.data import colored_mnist
from tests.data.test_colored_mnist import fake_mnist

gray = fake_mnist(200, 100)
colored_mnist.load_mnist = lambda home: gray
generate = colored_mnist._generate

def slow(*args):
    print("generating", flush=True)
    time.sleep(1.5)
    return generate(*args)

colored_mnist._generate = slow
colored_mnist.make_colored_mnist(0.03, seed=4, home=sys.argv[1])
"""


def test_a_second_process_waits_for_the_dataset_being_generated_and_reads_it(tmp_path, monkeypatch):
    root = Path(__file__).resolve().parents[2]
    first = subprocess.Popen(
        [sys.executable, "-c", GENERATING, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
    )
    try:
        assert first.stdout.readline().strip() == "generating"
        monkeypatch.setattr("mibias.data.colored_mnist.load_mnist", lambda home: 1 / 0)
        data = make_colored_mnist(0.03, seed=4, home=tmp_path)  # from its cache, MNIST not read
    finally:
        first.kill()
        first.wait()
    expected = make_colored_mnist(0.03, seed=4, mnist=fake_mnist(200, 100), cache=False)
    assert np.array_equal(data.test_images_uniform, expected.test_images_uniform)
