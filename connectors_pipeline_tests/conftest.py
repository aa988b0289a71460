"""Test-wide environment: Gmail, off by default behind its feature flag, is on for the tests, which
exercise every provider (test_definitions checks that it is off without the flag)."""

import os

os.environ.setdefault("CONNECTORS_GMAIL_ENABLED", "1")
