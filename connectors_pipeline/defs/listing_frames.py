"""The file listing as a pandas DataFrame per account, kept under CONNECTORS_HOME by an IO manager.

Each partition is its own file, so batched (multi-partition) runs and `load_asset_value` for one
account both work. File names stay on local disk with the vault; materialization metadata carries
only counts and the column schema.
"""

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
        TableColumn("decision", "string", description="new, changed, moved, unchanged or skipped:<reason>"),
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


class ListingFrames(ConfigurableIOManager):
    """Listings under $CONNECTORS_HOME/listings/<asset key>/<account>.pkl, one file per partition.

    Dagster's UPathIOManager refuses outputs that span several partitions, which every batched
    (multi-run backfill) run produces; here every output is a dict of frames by partition key.
    """

    def _path(self, asset_key: AssetKey, partition_key: str) -> Path:
        return Settings.from_env().home.joinpath("listings", *asset_key.path, f"{partition_key}.pkl")

    def handle_output(self, context: OutputContext, obj: dict[str, pd.DataFrame]) -> None:
        """`obj` maps partition keys to frames; a partition left out (its account failed) keeps its file."""
        for key, frame in obj.items():
            path = self._path(context.asset_key, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            # Pickle round-trips every pandas dtype; pyarrow (parquet) is not a dependency.
            frame.to_pickle(path)

    def load_input(self, context: InputContext) -> pd.DataFrame:
        return pd.read_pickle(self._path(context.asset_key, context.asset_partition_key))
