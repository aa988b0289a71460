"""Showing untrusted upstream text (file and folder names, account names) safely in a terminal."""

import json
import unicodedata

import click

# Line and paragraph separators (Zl, Zp) too: they break lines where the terminal shows none.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def shown(text: str | None) -> str:
    """Escape control, format (bidi overrides) and separator characters, so a hostile name cannot
    rewrite or disguise what is printed."""
    return "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in _UNSAFE_CATEGORIES and ch != "\t" else ch
        for ch in text or ""
    )


def print_figures(figures: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(figures, indent=2))
        return
    for name, value in figures.items():
        click.echo(f"{name:<32} {value}")
