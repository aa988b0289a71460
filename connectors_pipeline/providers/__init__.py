"""Providers: one module per service, each speaking its real API through its real client."""
