import pandas as pd

from mibias.report import mean_std, summary_table, write_table


def test_mean_std_cells():
    assert mean_std([0.5, 0.7]) == "0.600 +- 0.100"
    assert mean_std([0.25]) == "0.250"
    assert mean_std([]) == "—"


def test_summary_table_with_published_rows(tmp_path):
    results = pd.DataFrame(
        {"method": ["erm", "erm", "mi"], "sigma": [0.02, 0.02, 0.05], "acc": [0.4, 0.6, 0.9]}
    )
    table = summary_table(
        results, row="method", column="sigma", value="acc", published={"paper": [0.476, None]}
    )
    assert table.loc["paper (published)"].tolist() == ["0.476", "—"]
    assert table.loc["erm (ours)"].tolist() == ["0.500 +- 0.100", "—"]
    assert table.loc["mi (ours)"].tolist() == ["—", "0.900"]
    text = write_table(table, tmp_path / "t", "Title", "a note")
    assert "| erm (ours) | 0.500 +- 0.100 | — |" in text and text.endswith("a note\n")
    assert (tmp_path / "t.csv").read_text().startswith("method,")
