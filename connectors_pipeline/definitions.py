"""The code location: one set of connector definitions per enabled provider (Gmail: CONNECTORS_GMAIL_ENABLED)."""

import dagster as dg

from connectors_pipeline.defs.factory import LISTING_IO_MANAGER, build_connector_defs
from connectors_pipeline.defs.listing_frames import ListingFrames
from connectors_pipeline.defs.resources import ConnectorsResource
from connectors_pipeline.providers.registry import enabled_providers

defs = dg.Definitions.merge(
    *(build_connector_defs(spec) for spec in enabled_providers().values()),
    dg.Definitions(
        resources={"connectors": ConnectorsResource(), LISTING_IO_MANAGER: ListingFrames()},
        # Connector steps wait on HTTP, not CPU: one process per run avoids seconds of spawn per step.
        executor=dg.in_process_executor,
    ),
)
