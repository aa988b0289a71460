"""Resilience tests reuse the provider tests' sandbox and the store tests' databases."""

from connectors_pipeline_tests.providers.conftest import sandbox  # noqa: F401
from connectors_pipeline_tests.store.conftest import account, database_url, keyring, store  # noqa: F401
