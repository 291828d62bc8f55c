from mibias.experiments.demo import DEMO_COLUMNS, run_demo


def test_the_demo_table_has_a_heading_for_every_column_it_reports(tmp_path, capsys):
    table = run_demo(tmp_path, epochs=1, seeds=(0,))
    header, rule, *rows = table.splitlines()
    widths = {line.count("|") for line in (header, rule, *rows)}
    assert widths == {len(DEMO_COLUMNS) + 2} and len(rows) == 2
    assert "colour read from whitened z, MLP probe" in header
    assert (tmp_path / "demo.md").read_text().startswith(table)
