"""Jobs for the data-parallel tests, run under torchrun (2 ranks) or as one plain process.

_distributed_job.py step OUT_JSON
    Two model steps on a fixed global batch of 64 rows, each rank taking its share, for
    I(z; c) and for I(z; c | y = 1); rank 0 writes the MI estimates and the parameters.
_distributed_job.py fit OUT_DIR EPOCHS [--resume]
    A short run through ``training_loader`` with checkpoints in OUT_DIR.
"""

import json
import sys

import torch
from torch import nn

from mibias.data.synthetic import make_biased_sample
from mibias.estimators import make_estimator
from mibias.training import MITrainer, TrainerConfig
from mibias.training.distributed import (
    init_from_environment,
    is_main_process,
    rank,
    shutdown,
    training_loader,
    world_size,
)

ROWS = 64


def build(condition, epochs=1, out_dir=None, clip="none"):
    torch.manual_seed(0)
    encoder = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
    classifier = nn.Linear(4, 4)
    estimator = make_estimator("mine", 4, 4, hidden=(16,))
    config = TrainerConfig(
        lam=1.0,
        k=3,
        epochs=epochs,
        clip=clip,
        mi_condition=condition,
        compile_estimator=False,
        progress=False,
        tensorboard=False,
    )
    return MITrainer(encoder, classifier, estimator, config, out_dir=out_dir)


def flat(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()]).tolist()


def steps(out):
    x, y, c = make_biased_sample(ROWS, seed=0).dataset().tensors
    share = ROWS // world_size()
    mine = slice(rank() * share, (rank() + 1) * share)
    result = {}
    for condition, clip in (("none", "none"), ("positive", "none"), ("none", "param")):
        trainer = build(condition, clip=clip)
        mi = [trainer.train_step((x[mine], y[mine], c[mine]))["mi"] for _ in range(2)]
        result[f"{condition}, clip {clip}"] = {
            "mi": mi,
            "encoder": flat(trainer.encoder),
            "classifier": flat(trainer.classifier),
            "estimator": flat(trainer.estimator),
        }
    result["refused"] = [refusal(build, "none", clip="z")]
    result["refused"].append(refusal(training_loader, make_biased_sample(8).dataset(), 63))
    if is_main_process():
        with open(out, "w") as file:
            json.dump(result, file)


def refusal(function, *args, **kwargs):
    """The message of the ValueError ``function`` raises, or None."""
    try:
        function(*args, **kwargs)
    except ValueError as error:
        return str(error)
    return None


def fit(out_dir, epochs, resume):
    train = make_biased_sample(256, seed=0)
    test = make_biased_sample(128, bias=0.25, seed=1)
    trainer = build("none", epochs=epochs, out_dir=out_dir)
    test_loader = torch.utils.data.DataLoader(test.dataset(), batch_size=128)
    trainer.fit(training_loader(train.dataset(), 64, seed=0), {"test": test_loader}, resume=resume)


def main(argv):
    init_from_environment()
    try:
        if argv[0] == "step":
            steps(argv[1])
        else:
            fit(argv[1], int(argv[2]), "--resume" in argv)
    except BaseException:
        shutdown(finished=False)
        raise
    shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
