"""HTML extraction: chrome and code dropped; headings, lists, links and tables kept as Markdown."""

from __future__ import annotations

import pytest

from connectors_pipeline.extract import extract

PAGE = """<!doctype html>
<html><head><title>Team  Handbook</title><style>body { color: red }</style>
<script>alert("head script")</script></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav>
<h1>Welcome</h1>
<p>Read the <a href="https://example.com/guide">guide</a> first.</p>
<h2>Tools</h2>
<ul><li>Drive</li><li>Notion</li></ul>
<table><tr><th>Tool</th><th>Use</th></tr><tr><td>Drive</td><td>Docs</td></tr></table>
<script>var token = "do-not-index";</script>
<p>Don't <a href="javascript:steal()">click</a> <img src="data:image/png;base64,AAAA" alt="logo"></p>
</body></html>
"""


def test_html_keeps_structure_and_drops_script_style_nav_head(write):
    result = extract(write("page.html", PAGE), "text/html; charset=utf-8")
    assert result.extractor == "html"
    assert result.title == "Team Handbook"
    assert result.text == (
        "# Welcome\n\n"
        "Read the [guide](https://example.com/guide) first.\n\n"
        "## Tools\n\n"
        "- Drive\n- Notion\n\n"
        "| Tool | Use |\n| --- | --- |\n| Drive | Docs |\n\n"
        "Don't click logo"
    )
    for hidden in ("alert", "do-not-index", "color: red", "Home", "About", "javascript", "base64"):
        assert hidden not in result.text


@pytest.mark.parametrize(
    ("html", "title"),
    [
        ("<html><body><h1>Only a heading</h1></body></html>", "Only a heading"),
        ("<p>No title at all</p>", None),
    ],
)
def test_html_title_falls_back_to_first_h1(write, html, title):
    assert extract(write("p.html", html), "text/html").title == title


@pytest.mark.parametrize(
    ("content", "mime"),
    [
        ('<meta charset="windows-1252"><p>caf\xe9</p>'.encode("latin-1"), "text/html"),
        ("<p>café</p>".encode("utf-16"), "text/html"),
        ("<p>café</p>".encode("latin-1"), "text/html; charset=iso-8859-1"),
    ],
    ids=["meta-charset", "utf16-bom", "declared-charset"],
)
def test_html_encodings(write, content, mime):
    assert extract(write("p.html", content), mime).text == "café"
