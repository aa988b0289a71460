"""CSV and TSV: sniff the dialect and render the rows as one Markdown table."""

from __future__ import annotations

import csv
import io
import pathlib

from connectors_pipeline.domain.errors import ExtractionError
from connectors_pipeline.extract.markdown_table import render_table
from connectors_pipeline.extract.model import ExtractionLimits
from connectors_pipeline.extract.normalize import normalize_text
from connectors_pipeline.extract.text import read_text

# A few rows tell the dialect; the Sniffer's regexes are quadratic in the sample on quote-heavy input
# (64 KiB of `, '` took 15 s), so the sample stays small.
_SNIFF_CHARS = 16 * 1024


def _dialect(text: str, delimiter: str | None) -> type[csv.Dialect] | csv.Dialect:
    if delimiter == "\t":
        return csv.excel_tab
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut row would mislead the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel  # one column, or too irregular to tell: plain comma-separated


def extract_csv(
    path: pathlib.Path, limits: ExtractionLimits, charset: str | None = None, delimiter: str | None = None
) -> tuple[str, None]:
    text = read_text(path, limits, charset).replace("\x00", "")
    rows: list[list[str]] = []
    omitted = 0
    reader = csv.reader(io.StringIO(text, newline=""), _dialect(text, delimiter))
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) <= limits.max_table_rows:  # header + max_table_rows data rows
                rows.append(row)
            else:
                omitted += 1
    except csv.Error as exc:
        raise ExtractionError(f"malformed CSV at line {reader.line_num}: {exc}") from exc
    return normalize_text(render_table(rows, omitted)), None
