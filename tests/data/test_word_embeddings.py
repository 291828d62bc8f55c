import numpy as np
import pytest

from mibias.data import word_embeddings
from mibias.data.word_embeddings import WordVectors, gendered_words, read_word2vec_binary


def test_word2vec_binary_rows_come_back_unit_length_in_order(tmp_path):
    rows = np.array([[3.0, 4.0], [0.0, 2.0], [1.0, 0.0]], dtype="<f4")
    words = ["he", "she", "naïve"]
    pairs = zip(words, rows, strict=True)
    body = b"".join(w.encode() + b" " + r.tobytes() + b"\n" for w, r in pairs)
    path = tmp_path / "vectors.bin"
    path.write_bytes(b"3 2\n" + body)
    vectors = read_word2vec_binary(path)
    assert vectors.words == words
    assert np.allclose(vectors.vectors, [[0.6, 0.8], [0.0, 1.0], [1.0, 0.0]])


def test_gendered_words_take_both_ends_and_leave_out_specific_and_capitalised_words():
    words = ["he", "she", "nurse", "Mary", "engineer", "poet", "king", "baker"]
    he, she = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    directions = {"he": he, "she": she, "nurse": she, "Mary": she, "engineer": he, "king": he}
    middle = (he + she) / 2
    rows = np.array(
        [directions.get(w, middle + np.array([0.01 * i, 0.0])) for i, w in enumerate(words)]
    )
    lists = {"specific_full": ["he", "she", "king"]}
    chosen, labels = gendered_words(WordVectors(words, rows.astype(np.float32)), lists, per_end=2)
    assert chosen[:1] == ["nurse"] and chosen[-1] == "engineer"
    assert "Mary" not in chosen and "king" not in chosen and "he" not in chosen
    assert list(labels) == [0, 0, 1, 1]


def test_similarity_pairs_skip_comments_and_headers(tmp_path, monkeypatch):
    path = tmp_path / "set.tsv"
    path.write_text("# a comment\nword1\tword2\tscore\nold\tnew\t1.5\ntiger cat 7\n")
    monkeypatch.setattr(word_embeddings, "fetch", lambda *a, **k: path)
    assert word_embeddings.similarity_pairs("wordsim353") == [
        ("old", "new", 1.5),
        ("tiger", "cat", 7.0),
    ]
    with pytest.raises(ValueError, match="choose from wordsim353, simlex999, men"):
        word_embeddings.similarity_pairs("rw")
