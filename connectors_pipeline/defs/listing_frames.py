"""The file listing as a pandas DataFrame per account, kept under CONNECTORS_HOME by an IO manager.

Each partition is its own file, so batched (multi-partition) runs and `load_asset_value` for one
account both work. A snapshot replaces an account's frame; an incremental sync merges its changes
into it, so the frame always lists every file as it is now. File names stay on local disk with the
vault; materialization metadata carries only counts and the column schema.
"""

import contextlib
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from dagster import AssetKey, ConfigurableIOManager, InputContext, OutputContext, TableColumn, TableSchema

from connectors_pipeline.domain.items import RemoteItem
from connectors_pipeline.settings import Settings

COLUMNS = TableSchema(
    columns=[
        TableColumn("external_id", "string"),
        TableColumn("name", "string"),
        TableColumn("path", "string", description="Primary path; a file reachable by several has them all"),
        TableColumn("paths", "int", description="How many paths reach the file"),
        TableColumn("mime_type", "string"),
        TableColumn("size", "int", description="Bytes; empty for provider-native documents"),
        TableColumn("modified_time", "datetime"),
        TableColumn("version", "string"),
        TableColumn(
            "decision",
            "string",
            description="The last decision about the file: new, changed, recheck, moved, unchanged or skipped:<reason>",
        ),
    ]
)


def listing_frame(decisions: list[tuple[RemoteItem, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            (i.external_id, i.name, i.primary_path, len(i.paths), i.mime_type, i.size, i.modified_time, i.version, d)
            for i, d in decisions
        ],
        columns=[c.name for c in COLUMNS.columns],
    )
    return frame.astype({"size": "Int64"})


@dataclass
class ListingUpdate:
    """One account's listing: complete (replaces the frame) or the changed rows plus the ids that left."""

    frame: pd.DataFrame
    complete: bool
    removed_ids: tuple[str, ...] = ()

    def apply_to(self, previous: pd.DataFrame | None) -> pd.DataFrame:
        if self.complete or previous is None:
            return self.frame
        gone = set(self.removed_ids) | set(self.frame["external_id"])
        kept = previous[~previous["external_id"].isin(gone)]
        if kept.empty:
            return self.frame.reset_index(drop=True)
        if self.frame.empty:
            return kept.reset_index(drop=True)
        return pd.concat([kept, self.frame], ignore_index=True)


ABANDONED_PARTIAL_SECONDS = 3600.0


def _sweep_abandoned_partials(folder: Path) -> None:
    """Remove partial frames a killed run left behind (a live writer finishes one within seconds)."""
    cutoff = time.time() - ABANDONED_PARTIAL_SECONDS
    for partial in folder.glob("*.partial"):
        with contextlib.suppress(FileNotFoundError):
            if partial.stat().st_mtime < cutoff:
                partial.unlink()


class ListingFrames(ConfigurableIOManager):
    """Listings under $CONNECTORS_HOME/listings/<asset key>/<account>.pkl, one file per partition.

    Dagster's UPathIOManager refuses outputs that span several partitions, which every batched
    (multi-run backfill) run produces; here every output is a dict of frames by partition key.
    """

    def _path(self, asset_key: AssetKey, partition_key: str) -> Path:
        return Settings.from_env().home.joinpath("listings", *asset_key.path, f"{partition_key}.pkl")

    def handle_output(self, context: OutputContext, obj: dict[str, ListingUpdate]) -> None:
        """`obj` maps partition keys to updates; a partition left out (its account failed) keeps its file."""
        for key, update in obj.items():
            path = self._path(context.asset_key, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            _sweep_abandoned_partials(path.parent)
            if not update.complete and update.frame.empty and not update.removed_ids and path.exists():
                continue  # nothing changed: the frame on disk is still the listing
            previous = None if update.complete or not path.exists() else pd.read_pickle(path)
            # Pickle round-trips every pandas dtype; pyarrow (parquet) is not a dependency. Written
            # beside the old file and renamed over it, so a crash never leaves half a frame.
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".partial", delete=False) as partial:
                update.apply_to(previous).to_pickle(partial.name)
            Path(partial.name).replace(path)

    def load_input(self, context: InputContext) -> pd.DataFrame:
        return pd.read_pickle(self._path(context.asset_key, context.asset_partition_key))
