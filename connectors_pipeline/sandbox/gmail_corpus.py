"""A corpus of real MIME e-mail messages for the Gmail sandbox and the e-mail extractor's golden tests.

Every message is built with the stdlib `email` package and serialized as it would be sent over SMTP
(CRLF line ends). Dates, Message-IDs, boundaries and attachment bytes are fixed, so the corpus is the
same bytes on every run and the extractor's golden files stay valid. Only example.com/example.org
addresses appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from connectors_pipeline.sandbox.gmail_corpus_messages import MESSAGES
from connectors_pipeline.sandbox.gmail_corpus_parts import OWNER, OWNER_ADDRESS

__all__ = ["OWNER", "OWNER_ADDRESS", "CorpusMessage", "mail_corpus"]


@dataclass(frozen=True)
class CorpusMessage:
    name: str  # short stable key, e.g. "plain_ascii"
    raw: bytes  # the whole RFC 822 message as sent over SMTP
    label_ids: tuple[str, ...] = ("INBOX",)


def mail_corpus() -> list[CorpusMessage]:
    """Every corpus message, oldest first; the same bytes on every call."""
    return list(_built_corpus())


@lru_cache(maxsize=1)
def _built_corpus() -> tuple[CorpusMessage, ...]:
    # Cached: the PDF and DOCX attachments take most of a second to build, and the bytes never change.
    return tuple(
        CorpusMessage(name, build(name, index), labels) for index, (name, build, labels) in enumerate(MESSAGES)
    )
