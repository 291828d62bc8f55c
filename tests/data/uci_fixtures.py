"""Small files in the raw UCI formats of adult.data, adult.test and german.data."""

from pathlib import Path

import numpy as np

WORK = ["Private", "Self-emp-not-inc", "State-gov"]
EDUCATION = [("Bachelors", 13), ("HS-grad", 9), ("Masters", 14)]


def adult_line(rng: np.random.Generator, test: bool, missing: bool) -> str:
    sex = rng.choice(["Male", "Female"])
    education, years = EDUCATION[rng.integers(3)]
    rich = rng.random() < (0.4 if sex == "Male" else 0.15)
    label = (">50K" if rich else "<=50K") + ("." if test else "")
    fields = [
        str(rng.integers(18, 80)), "?" if missing else rng.choice(WORK),
        str(rng.integers(10_000, 400_000)), education, str(years),
        rng.choice(["Never-married", "Married-civ-spouse"]), rng.choice(["Sales", "Tech-support"]),
        rng.choice(["Husband", "Not-in-family"]), rng.choice(["White", "Black"]), sex,
        str(rng.integers(0, 5000)), "0", str(rng.integers(20, 60)),
        rng.choice(["United-States", "Mexico"]), label,
    ]  # fmt: skip
    return ", ".join(fields)


def write_adult(folder: Path, rows: int = 120, seed: int = 0) -> tuple[Path, Path]:
    """adult.data / adult.test with every 10th row missing a value; returns both paths."""
    rng = np.random.default_rng(seed)
    train = [adult_line(rng, False, i % 10 == 0) for i in range(rows)]
    test = [adult_line(rng, True, i % 10 == 0) for i in range(rows // 2)]
    data, held = folder / "adult.data", folder / "adult.test"
    data.write_text("\n".join(train) + "\n\n")
    held.write_text("|1x3 Cross validator\n" + "\n".join(test) + "\n")
    return data, held


def write_german(folder: Path, rows: int = 200, seed: int = 0) -> Path:
    """german.data: 20 coded attributes and the 1 (good) / 2 (bad) label."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(rows):
        age = int(rng.integers(19, 70))
        good = rng.random() < (0.55 if age <= 25 else 0.75)
        fields = [
            rng.choice(["A11", "A12", "A14"]), str(rng.integers(6, 48)), rng.choice(["A32", "A34"]),
            rng.choice(["A40", "A43"]), str(rng.integers(500, 10_000)), rng.choice(["A61", "A65"]),
            rng.choice(["A72", "A73"]), str(rng.integers(1, 5)),
            rng.choice(["A91", "A92", "A93", "A94", "A95"]), "A101", str(rng.integers(1, 5)),
            rng.choice(["A121", "A123"]), str(age), "A143", rng.choice(["A151", "A152"]),
            str(rng.integers(1, 3)), rng.choice(["A172", "A173"]), "1",
            rng.choice(["A191", "A192"]),
            "A201", "1" if good else "2",
        ]  # fmt: skip
        lines.append(" ".join(fields))
    path = folder / "german.data"
    path.write_text("\n".join(lines) + "\n")
    return path
