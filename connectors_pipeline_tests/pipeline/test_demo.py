"""`connectors demo`, run as the README says (the installed console script), twice: Drive, Notion, Gmail."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from connectors_pipeline.domain.policy import OrgPolicy
from connectors_pipeline.sandbox.corpus import generate_corpus
from connectors_pipeline.sandbox.gmail_corpus import mail_corpus
from connectors_pipeline_tests.pipeline.ground_truth import INGESTED, expected_outcome

FILES = 24


def run_demo(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONNECTORS_", "ORG_CONNECTORS_", "DAGSTER_"))}
    env["CONNECTORS_HOME"] = str(home)
    connectors = shutil.which("connectors", path=str(Path(sys.executable).parent)) or "connectors"
    completed = subprocess.run(
        [connectors, "demo", "--json", "--files", str(FILES), "--sandbox-port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def test_demo_ingests_allowed_files_and_a_second_run_ingests_nothing(tmp_path):
    corpus = generate_corpus(seed=0, files=FILES)
    outcomes = [expected_outcome(entry, OrgPolicy()) for entry in corpus]
    expected_skips: dict[str, int] = {}
    for outcome in outcomes:
        if outcome and outcome.startswith("skipped:"):
            reason = outcome.split(":", 1)[1]
            expected_skips[reason] = expected_skips.get(reason, 0) + 1

    first = run_demo(tmp_path / "home")

    drive, notion, gmail = (first["providers"][name] for name in ("google_drive", "notion", "gmail"))
    for result in (drive, notion, gmail):
        assert result["run_succeeded"] and result["failed_checks"] == [] and result["errors"] == 0
        assert result["sync_mode"] == "initial" and result["documents_in_vault"] > 0
    assert drive["documents_ingested"] == outcomes.count(INGESTED)
    assert drive["skipped"] == expected_skips
    assert gmail["documents_in_vault"] == len(mail_corpus())  # the demo takes bodies: Gmail's flag and mode on
    assert (tmp_path / "home" / "keys" / "demo.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "home" / "dagster" / "dagster.yaml").exists()

    second = run_demo(tmp_path / "home")

    for name, result in second["providers"].items():
        assert result["run_succeeded"] and result["documents_ingested"] == 0
        # the restarted sandbox's change feeds, read from the cursors
        assert result["sync_mode"] == "incremental"
        assert result["documents_in_vault"] == first["providers"][name]["documents_in_vault"]
