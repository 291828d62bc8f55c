import pandas as pd

from mibias.report import mean_std, summary_table, with_columns, write_table


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


def test_a_measure_no_run_took_reads_as_a_dash():
    """Runs made before a column existed lack it: it is added as NaN, which a table shows
    as "—", and the columns the runs have are kept."""
    runs = pd.DataFrame({"method": ["mi", "mi"], "sigma": [0.02, 0.02], "probe_mlp": [0.6, 0.7]})
    frame = with_columns(runs, ["probe_mlp", "leak_bound_nats"])
    assert frame["probe_mlp"].tolist() == [0.6, 0.7]
    table = summary_table(frame, row="method", column="sigma", value="leak_bound_nats")
    assert table.loc["mi (ours)"].tolist() == ["—"]
