"""Deterministic pseudo-English for the sandbox corpus: words, sentences, titles and marker words."""

from __future__ import annotations

import random

# Marker stems: a marker is stem + 4-digit corpus index, e.g. "zephyr0042". None of the stems is a
# word of the vocabulary below, so a search for a marker finds exactly the entry that carries it.
MARKER_STEMS: tuple[str, ...] = (
    "zephyr",
    "quasar",
    "nimbus",
    "saffron",
    "obsidian",
    "tundra",
    "lumen",
    "cobalt",
    "marzipan",
    "vortex",
    "juniper",
    "halcyon",
    "kestrel",
    "onyx",
    "paprika",
    "sequoia",
)

NOUNS: tuple[str, ...] = (
    "budget",
    "report",
    "meeting",
    "project",
    "customer",
    "roadmap",
    "invoice",
    "contract",
    "team",
    "schedule",
    "proposal",
    "forecast",
    "launch",
    "review",
    "design",
    "market",
    "supplier",
    "release",
    "policy",
    "workshop",
    "dashboard",
    "milestone",
    "partner",
    "survey",
    "backlog",
    "server",
    "office",
    "quarter",
    "strategy",
    "summary",
    "pipeline",
    "warehouse",
    "audit",
    "campaign",
    "prototype",
    "ticket",
    "account",
    "deadline",
    "feature",
    "migration",
    "café",
    "résumé",
    "façade",
    "Zürich office",
)
VERBS: tuple[str, ...] = (
    "improves",
    "delays",
    "supports",
    "reviews",
    "requires",
    "extends",
    "replaces",
    "describes",
    "tracks",
    "confirms",
    "reduces",
    "approves",
    "summarizes",
    "follows",
    "updates",
    "blocks",
    "funds",
    "schedules",
    "simplifies",
    "measures",
    "outlines",
    "revisits",
)
ADJECTIVES: tuple[str, ...] = (
    "quarterly",
    "annual",
    "revised",
    "urgent",
    "internal",
    "shared",
    "final",
    "draft",
    "regional",
    "technical",
    "weekly",
    "strategic",
    "detailed",
    "preliminary",
    "naïve",
    "critical",
    "modest",
    "ambitious",
    "overdue",
    "confidential",
    "public",
    "second",
)
PREPOSITIONS: tuple[str, ...] = ("for", "before", "after", "with", "without", "during", "despite", "beyond")
PEOPLE: tuple[str, ...] = (
    "Amara",
    "Björn",
    "Chen",
    "Dolores",
    "Émile",
    "Farah",
    "Gustavo",
    "Hiroko",
    "Ines",
    "José",
    "Kwame",
    "Leilani",
    "Mateusz",
    "Noor",
    "Øystein",
    "Priya",
)


def marker_word(index: int) -> str:
    """The unique, searchable marker word of corpus entry `index` (same for every seed)."""
    return f"{MARKER_STEMS[index % len(MARKER_STEMS)]}{index:04d}"


def entry_rng(seed: int, index: int, purpose: str = "") -> random.Random:
    # A str seed is hashed with SHA-512 by `random`, so this is stable across processes and
    # PYTHONHASHSEED, and each entry's text does not depend on how many entries are generated.
    return random.Random(f"corpus:{seed}:{index}:{purpose}")


def sentence(rng: random.Random) -> str:
    """One sentence of grammatical-looking nonsense."""
    shape = rng.randrange(4)
    adj, adj2 = rng.choice(ADJECTIVES), rng.choice(ADJECTIVES)
    noun, noun2, noun3 = rng.choice(NOUNS), rng.choice(NOUNS), rng.choice(NOUNS)
    verb, prep, person = rng.choice(VERBS), rng.choice(PREPOSITIONS), rng.choice(PEOPLE)
    if shape == 0:
        text = f"the {adj} {noun} {verb} the {noun2} {prep} the {adj2} {noun3}"
    elif shape == 1:
        text = f"{person} {verb} the {noun} {prep} the {noun2}"
    elif shape == 2:
        text = f"our {adj} {noun} {verb} every {noun2} and the {noun3} {rng.choice(VERBS)} it"
    else:
        text = f"{prep} the {noun}, the {adj} {noun2} {verb} {rng.randint(2, 97)} {noun3} items"
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int = 3, marker: str | None = None) -> str:
    """A few sentences; with `marker`, the marker word is slipped into one of them."""
    parts = [sentence(rng) for _ in range(sentences)]
    if marker:
        slot = rng.randrange(len(parts))
        parts[slot] = parts[slot][:-1] + f" (ref {marker})."
    return " ".join(parts)


def title(rng: random.Random) -> str:
    """A short document title, e.g. 'Revised supplier roadmap'."""
    text = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.choice(NOUNS)}"
    return text[0].upper() + text[1:]


def words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(NOUNS) for _ in range(count))
