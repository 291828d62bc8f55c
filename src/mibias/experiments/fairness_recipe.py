"""The settings of a fair-classification run (:class:`FairnessRun`), read without torch (the
command line's options); :mod:`mibias.experiments.fairness` trains a run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mibias.data.tabular import Holdout
from mibias.fairness import EXPERIMENT
from mibias.methods import methods_of
from mibias.settings import refuse_invalid_settings, setting

# the settings each job of a fairness grid sets itself (the commands give them their own options)
PER_JOB = ("dataset", "method", "lam", "seed")
# the settings only German credit reads (Adult has its official split and one attribute)
GERMAN_ONLY = ("test_size", "german_attribute", "young_age")


@dataclass
class FairnessRun:
    """Settings of one ``mibias fairness`` run.

    ``steps`` and ``batch_size`` default to the dataset's schedule
    (:data:`mibias.experiments.fairness.SCHEDULES`);
    ``lam`` to the method's default. ``keep_sensitive`` keeps the protected attribute's
    columns among the inputs (the default of every recipe here, as in FERM and fairlearn's
    examples); Adult uses its official split, German a stratified ``test_size`` split drawn
    from ``seed``.
    """

    dataset: Literal["adult", "german"] = setting("adult", "the data set")
    method: str = setting("mi", "the method", choices=methods_of(EXPERIMENT))
    lam: float | None = setting(
        None, "weight of the MI term (default: the method's)", at_least=0, flag="--lambda"
    )
    seed: int = setting(0, "seed of the split and the training", at_least=0)
    steps: int | None = setting(None, "network updates (default: the data set's: 2000)", at_least=1)
    batch_size: int | None = setting(
        None, "rows per update (default: adult 512, german 128)", at_least=2
    )
    keep_sensitive: bool = setting(
        True,
        "keep the protected attribute's columns among the inputs",
        flag="--drop-sensitive",
    )
    test_size: float = setting(
        0.3, "German: share of the rows held out for testing", above=0, below=1
    )
    holdout: Holdout = setting(
        "test",
        "the rows evaluated on: the test rows, or validation rows held out of the training "
        "rows (where settings are chosen)",
    )
    german_attribute: Literal["age", "sex"] = setting("age", "German: the protected attribute")
    # german.data's ages run from 19 to 75: outside these bounds every applicant falls in
    # one group and no method has an attribute to be fair about
    young_age: int = setting(25, "German: oldest 'young' age", at_least=19, below=75)
    whiten: bool = setting(
        True,
        "the MI methods' critic reads z whitened, not standardised column by column "
        "(MIFairClassifier's default)",
    )
    probe: bool = setting(True, "the leakage check of z", flag="--no-probe")
    data_home: str | None = setting(None, "data folder (default $MIBIAS_DATA)")

    def __post_init__(self) -> None:
        refuse_invalid_settings(self)
