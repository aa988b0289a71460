"""Notion provider: pages and data sources synced as Markdown through notion-client."""
