"""Persistence: connector tables, encrypted tokens and the vault (SQLite or PostgreSQL), plus blobs.

`Store.open(url, keyring)` migrates the database and returns the one object the pipeline uses;
`KeyRing` (see `cipher.py`) encrypts OAuth credentials. Records are frozen dataclasses and never
carry tokens.
"""

from connectors_pipeline.store.cipher import (
    CredentialDecryptError,
    KeyRing,
    load_or_create_demo_keyring,
    resolve_keyring,
)
from connectors_pipeline.store.records import (
    AccountNotFound,
    AccountRecord,
    ActivityRecord,
    FetchedBlob,
    ItemNotFound,
    ItemRecord,
    JobRecord,
    LeaseLost,
    SearchHit,
    SourceRecord,
    VaultDocument,
    VaultDocumentSummary,
    VaultInput,
    VaultVersion,
)
from connectors_pipeline.store.store import Store

__all__ = [
    "AccountNotFound",
    "AccountRecord",
    "ActivityRecord",
    "CredentialDecryptError",
    "FetchedBlob",
    "ItemNotFound",
    "ItemRecord",
    "JobRecord",
    "KeyRing",
    "LeaseLost",
    "SearchHit",
    "SourceRecord",
    "Store",
    "VaultDocument",
    "VaultDocumentSummary",
    "VaultInput",
    "VaultVersion",
    "load_or_create_demo_keyring",
    "resolve_keyring",
]
