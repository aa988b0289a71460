"""Rows of cells as one Markdown table, shared by the CSV and DOCX extractors."""

from __future__ import annotations


def _cell(value: str) -> str:
    # A pipe would end the cell and a newline would end the row.
    value = value.strip().replace("\\", "\\\\").replace("|", "\\|")
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def _row(cells: list[str], width: int) -> str:
    padded = cells + [""] * (width - len(cells))
    return "| " + " | ".join(_cell(c) for c in padded[:width]) + " |"


def render_table(rows: list[list[str]], omitted_rows: int = 0) -> str:
    """A Markdown table whose first row is the header; ragged rows are padded to the widest.

    `omitted_rows` > 0 appends a line saying how many rows were left out, so a cut is never silent.
    """
    if not rows:
        return ""
    width = max(len(r) for r in rows)
    # Spreadsheet exports pad every row with empty trailing columns; they carry nothing.
    while width > 1 and all(len(r) < width or not r[width - 1].strip() for r in rows):
        width -= 1
    lines = [_row(rows[0], width), "| " + " | ".join(["---"] * width) + " |"]
    lines.extend(_row(r, width) for r in rows[1:])
    if omitted_rows:
        lines += ["", f"*{omitted_rows} more rows not shown (limit: {len(rows) - 1} rows).*"]
    return "\n".join(lines)
