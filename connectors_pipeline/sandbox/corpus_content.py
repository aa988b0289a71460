"""The text and bytes of each corpus file type (PDF, DOCX, Markdown, HTML, CSV, text, native bodies)."""

from __future__ import annotations

import csv
import io
import random

from connectors_pipeline.sandbox import corpus_formats as fmt
from connectors_pipeline.sandbox.corpus_text import PEOPLE, paragraph, sentence, title, words

Sheet = tuple[str, tuple[tuple[str, ...], ...]]

# Non-ASCII the extractors must carry through: accents (latin-1), and scripts/symbols beyond it.
UNICODE_LINE = "Notes from Zürich — naïve café résumé, 東京 follow-up ✓, Ελληνικά, “quoted”."


def _heading(rng: random.Random) -> str:
    return title(rng)


def _table_rows(rng: random.Random, marker: str, rows: int = 3) -> list[list[str]]:
    table = [["Owner", "Task", "Status"]]
    for i in range(rows):
        task = f"{words(rng, 2)} {marker}" if i == 0 else words(rng, 2)
        table.append([rng.choice(PEOPLE), task, rng.choice(("done", "open", "blocked", "in review"))])
    return table


def markdown_body(rng: random.Random, doc_title: str, marker: str) -> str:
    """A Markdown document: headings, paragraphs, bullet and numbered lists, a table, a link."""
    table = _table_rows(rng, marker)
    lines = [
        f"# {doc_title}",
        "",
        paragraph(rng, 3, marker),
        "",
        f"## {_heading(rng)}",
        "",
        paragraph(rng, 2),
        "",
        *(f"- {sentence(rng)}" for _ in range(3)),
        "",
        *(f"{i}. {sentence(rng)}" for i in range(1, 3)),
        "",
        "| " + " | ".join(table[0]) + " |",
        "| " + " | ".join("---" for _ in table[0]) + " |",
        *("| " + " | ".join(row) + " |" for row in table[1:]),
        "",
        f"### {_heading(rng)}",
        "",
        f"{sentence(rng)} See the [project wiki](https://wiki.example.com/{marker}) for **more** detail.",
        "",
    ]
    return "\n".join(lines)


def pdf_bytes(rng: random.Random, doc_title: str, marker: str) -> bytes:
    blocks: list[fmt.Block] = [
        ("h", 0, doc_title),
        ("p", paragraph(rng, 3, marker)),
        ("h", 1, _heading(rng)),
        ("p", paragraph(rng, 3)),
        ("li", sentence(rng)),
        ("li", sentence(rng)),
        ("table", _table_rows(rng, marker)),
        ("p", UNICODE_LINE),
    ]
    return fmt.render_pdf(doc_title, [blocks])


def docx_bytes(rng: random.Random, doc_title: str, marker: str) -> bytes:
    table = _table_rows(rng, marker, rows=2)
    return fmt.quick_docx(
        doc_title,
        (_heading(rng), _heading(rng)),
        (paragraph(rng, 3, marker), paragraph(rng, 2), UNICODE_LINE),
        table,
    )


def html_page(rng: random.Random, doc_title: str, marker: str) -> str:
    """A real web page: chrome the extractor should drop (nav, script, style) around the content."""
    table = _table_rows(rng, marker)
    rows = "\n".join(
        "      <tr>"
        + "".join(f"<{'th' if i == 0 else 'td'}>{cell}</{'th' if i == 0 else 'td'}>" for cell in row)
        + "</tr>"
        for i, row in enumerate(table)
    )
    items = "\n".join(f"      <li>{sentence(rng)}</li>" for _ in range(3))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{doc_title}</title>
  <style>body {{ font-family: sans-serif; }} .navbar {{ color: #333; }}</style>
  <script>window.analytics = {{track: function () {{ return "tracking-script-noise"; }}}};</script>
</head>
<body>
  <nav class="navbar"><a href="/">Home</a> | <a href="/docs">Docs</a> | <a href="/login">Sign in</a></nav>
  <main>
    <h1>{doc_title}</h1>
    <p>{paragraph(rng, 3, marker)}</p>
    <h2>{_heading(rng)}</h2>
    <ul>
{items}
    </ul>
    <table>
{rows}
    </table>
    <p>{sentence(rng)} Read the <a href="https://intranet.example.com/{marker}">full brief</a>.</p>
  </main>
  <footer>&copy; 2024 Example Corp</footer>
</body>
</html>
"""


def sheet_rows(rng: random.Random, marker: str, rows: int = 8) -> tuple[tuple[str, ...], ...]:
    out: list[tuple[str, ...]] = [("id", "date", "owner", "category", "amount", "notes")]
    for i in range(1, rows + 1):
        note = paragraph(rng, 1, marker if i == 2 else None)
        out.append(
            (
                str(i),
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                rng.choice(PEOPLE),
                rng.choice(("travel", "software", "hardware", "catering")),
                f"{rng.randint(10, 9999)}.{rng.randint(0, 99):02d}",
                note,
            )
        )
    return tuple(out)


def csv_text(rows: tuple[tuple[str, ...], ...], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def plain_text(rng: random.Random, doc_title: str, marker: str) -> str:
    return "\n\n".join([doc_title, paragraph(rng, 3, marker), paragraph(rng, 2), UNICODE_LINE]) + "\n"


def sheets(rng: random.Random, marker: str) -> tuple[Sheet, ...]:
    """Two tabs; the second has its own cells so a test can tell that CSV export dropped it."""
    second = [("topic", "comment")]
    second += [(f"tab2 {words(rng, 1)}", sentence(rng)) for _ in range(4)]
    return (("Budget", sheet_rows(rng, marker)), ("Comments", tuple(second)))


def slides(rng: random.Random, doc_title: str, marker: str) -> tuple[str, ...]:
    """3-5 slides: a title line, then a couple of lines of body text; the marker is on slide 1."""
    count = rng.randint(3, 5)
    out = [f"{doc_title}\nSlide 1 of {count}\n{paragraph(rng, 1, marker)}"]
    for number in range(2, count + 1):
        out.append(f"{_heading(rng)}\nSlide {number} of {count}\n{sentence(rng)}\n{sentence(rng)}")
    return tuple(out)


def drawing_labels(rng: random.Random, marker: str) -> str:
    """The text on a drawing's shapes, one label per line."""
    nouns = words(rng, 3).split(" ")
    return f"{nouns[0]} -> {nouns[1]} -> {nouns[2]}\nDiagram {marker}"


def repeated(unit: str, at_least: int) -> str:
    """`unit` repeated past `at_least` UTF-8 bytes: cheap bulk for the oversize cases."""
    size = len(unit.encode("utf-8"))
    return unit * (at_least // size + 1)
