"""Google Drive provider: listing, changes and download/export over Drive v3 with the real client."""

from connectors_pipeline.providers.google_drive.fetch import DEFAULT_EXPORT_PLAN
from connectors_pipeline.providers.google_drive.listing import ListingStats
from connectors_pipeline.providers.google_drive.paths import PROVIDER_NAME
from connectors_pipeline.providers.google_drive.provider import DRIVE_SCOPES, GoogleDriveProvider

__all__ = ["DEFAULT_EXPORT_PLAN", "DRIVE_SCOPES", "PROVIDER_NAME", "GoogleDriveProvider", "ListingStats"]
