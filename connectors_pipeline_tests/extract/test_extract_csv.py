"""CSV and TSV extraction: sniffed dialects rendered as Markdown tables."""

from __future__ import annotations

import csv

import pytest

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract import ExtractionLimits, extract

TABLE = "| name | city |\n| --- | --- |\n| Ana | Lisbon |\n| Bo | Oslo |"


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        ("name,city\nAna,Lisbon\nBo,Oslo\n", "text/csv"),
        ("name;city\r\nAna;Lisbon\r\nBo;Oslo\r\n", "text/csv"),
        ('"name","city"\n"Ana","Lisbon"\n"Bo","Oslo"\n', "text/csv"),
        ("name\tcity\nAna\tLisbon\nBo\tOslo\n", "text/tab-separated-values"),
        ("name\tcity\nAna\tLisbon\nBo\tOslo\n", "text/csv"),
        ("name,city,,\nAna,Lisbon,,\n,,,\nBo,Oslo,,\n", "text/csv"),  # spreadsheet padding
    ],
    ids=["comma", "semicolon-crlf", "quoted", "tsv", "tab-sniffed", "padded"],
)
def test_csv_becomes_markdown_table(write, content, mime):
    result = extract(write("t.csv", content), mime)
    assert result.text == TABLE
    assert result.extractor == "csv"
    assert result.title is None


def test_csv_cells_with_pipes_newlines_and_ragged_rows(write):
    content = 'a,b\n"x|y","line1\nline2"\nonly-one\n1,2,3\n'
    assert extract(write("t.csv", content), "text/csv").text == (
        "| a | b |  |\n| --- | --- | --- |\n| x\\|y | line1<br>line2 |  |\n| only-one |  |  |\n| 1 | 2 | 3 |"
    )


def test_csv_row_cap_is_explicit(write):
    content = "n\n" + "".join(f"{i}\n" for i in range(10))
    text = extract(write("t.csv", content), "text/csv", limits=ExtractionLimits(max_table_rows=3)).text
    assert text.splitlines()[:5] == ["| n |", "| --- |", "| 0 |", "| 1 |", "| 2 |"]
    assert text.endswith("*7 more rows not shown (limit: 3 rows).*")


def test_tsv_quoted_cell_keeps_its_tab(write):
    result = extract(write("t.tsv", 'a\tb\n"x\ty"\tz\n'), "text/tab-separated-values")
    assert result.text == "| a | b |\n| --- | --- |\n| x\ty | z |"


def test_malformed_csv_is_refused(write):
    previous = csv.field_size_limit(10)
    try:
        with pytest.raises(ExtractionError, match=r"^malformed CSV at line \d+: "):
            extract(write("t.csv", "a,b\n" + "x" * 100 + ",y\n"), "text/csv")
    finally:
        csv.field_size_limit(previous)
