"""Training job for the resume test: `_resume_job.py OUT [--kill-at EPOCH STEP] [--resume]`.

With --kill-at it sends itself SIGKILL in the middle of that epoch, as a crash or a lost machine
would: nothing gets the chance to clean up.
"""

import os
import signal
import sys

from torch.utils.data import DataLoader

from mibias.data.synthetic import make_biased_sample
from mibias.estimators import make_estimator
from mibias.training import MITrainer, TrainerConfig


class KillAt:
    def __init__(self, epoch, step):
        self.epoch, self.step = epoch, step

    def on_step_end(self, trainer, epoch, step):
        if (epoch, step) == (self.epoch, self.step):
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv):
    out = argv[0]
    callbacks = []
    if "--kill-at" in argv:
        i = argv.index("--kill-at")
        callbacks.append(KillAt(int(argv[i + 1]), int(argv[i + 2])))
    import torch
    from torch import nn

    torch.manual_seed(0)
    train = make_biased_sample(600, seed=0)
    test = make_biased_sample(300, bias=0.25, seed=1)
    encoder = nn.Sequential(nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 4))
    classifier = nn.Linear(4, 4)
    estimator = make_estimator("mine", 4, 4, hidden=(16,))
    config = TrainerConfig(lam=1.0, k=3, epochs=4, compile_estimator=False, progress=False)
    trainer = MITrainer(encoder, classifier, estimator, config, out_dir=out, callbacks=callbacks)
    trainer.fit(
        DataLoader(train.dataset(), batch_size=64, shuffle=True),
        {"test": DataLoader(test.dataset(), batch_size=128)},
        resume="--resume" in argv,
    )


if __name__ == "__main__":
    main(sys.argv[1:])
