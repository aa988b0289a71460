"""Bytes to normalized text/Markdown for the vault: one small module per format, chosen by MIME type."""

from connectors_pipeline.extract.dispatch import extract
from connectors_pipeline.extract.model import DEFAULT_LIMITS, Extracted, ExtractionLimits, content_hash

__all__ = ["DEFAULT_LIMITS", "Extracted", "ExtractionLimits", "content_hash", "extract"]
