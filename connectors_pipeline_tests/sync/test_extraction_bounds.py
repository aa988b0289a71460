"""Each extraction runs in a worker process with a deadline and a memory budget: a file that breaks
either, or crashes its worker, becomes a skip with the reason, and the files after it are extracted."""

from __future__ import annotations

import os
import pathlib
import signal
import threading
import time

import pytest

from connectors_pipeline.domain.errors import ConfigurationError
from connectors_pipeline.domain.file_types import DOCX
from connectors_pipeline.extract import DEFAULT_LIMITS, Extracted, ExtractionLimits
from connectors_pipeline.extract.worker_process import WorkerFault
from connectors_pipeline.settings import Settings
from connectors_pipeline.sync.extraction_pool import configured_limits, extract_all
from connectors_pipeline_tests.extract import hostile_files as hostile

MIB = 1024 * 1024


@pytest.fixture
def files(tmp_path):
    def write(name: str, content: bytes) -> pathlib.Path:
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write


def test_extraction_past_its_deadline_is_killed_and_the_next_file_is_extracted(files):
    slow = files("slow.pdf", hostile.slow_pdf())  # minutes of parsing without a limit
    fine = files("fine.txt", b"after the slow one")
    started = time.monotonic()

    results = list(
        extract_all(
            [(slow, "application/pdf", "slow.pdf"), (fine, "text/plain", "fine.txt")],
            limits=ExtractionLimits(max_seconds=1.0),
        )
    )

    assert str(results[0]) == "extraction timed out after 1 s"
    assert isinstance(results[1], Extracted) and results[1].text == "after the slow one"
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("name", "mime", "build"),
    [
        # BeautifulSoup builds a Python tree: the budget surfaces as MemoryError.
        ("big.html", "text/html", lambda: b"<p>para <b>bold</b> <i>it</i></p>\n" * 30_000),
        # lxml reports a failed allocation as a parse error; the worker still tells it apart.
        ("balloon.docx", DOCX, hostile.balloon_docx),
    ],
    ids=["python-allocations", "native-allocations"],
)
def test_extraction_past_its_memory_budget_is_refused_and_the_next_file_is_extracted(files, name, mime, build):
    heavy = files(name, build())
    fine = files("fine.docx", hostile.docx_file("light enough"))

    results = list(
        extract_all(
            [(heavy, mime, name), (fine, DOCX, "fine.docx")], limits=ExtractionLimits(max_memory_bytes=64 * MIB)
        )
    )

    assert str(results[0]) == "extraction exceeded the 64 MiB memory limit"
    assert isinstance(results[1], Extracted) and "light enough" in results[1].text


def _busy_workers() -> list[int]:
    """Pids of this process's extraction workers that are running (not waiting for a job)."""
    busy = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == os.getpid() and b"connectors_pipeline.extract.worker" in command and state == "R":
            busy.append(int(entry.name))
    return busy


def _kill_a_busy_worker(stop: threading.Event) -> None:
    while not stop.wait(0.1):
        if pids := _busy_workers():
            os.kill(pids[0], signal.SIGKILL)
            return


@pytest.mark.skipif(not pathlib.Path("/proc/self/stat").exists(), reason="finds the worker through procfs")
def test_a_worker_that_dies_mid_file_costs_that_file_only(files):
    slow = files("slow.pdf", hostile.slow_pdf())
    fine = files("fine.txt", b"still extracted")
    stop = threading.Event()
    killer = threading.Thread(target=_kill_a_busy_worker, args=(stop,))
    killer.start()
    try:
        results = list(
            extract_all(
                [(slow, "application/pdf", "slow.pdf"), (fine, "text/plain", "fine.txt")],
                limits=ExtractionLimits(max_seconds=30.0),
            )
        )
    finally:
        stop.set()
        killer.join()

    assert str(results[0]) == "extraction crashed: the worker was killed by SIGKILL"
    assert results[1].text == "still extracted"


def test_a_missing_blob_fails_the_run_instead_of_skipping_the_item(tmp_path):
    with pytest.raises(WorkerFault, match="FileNotFoundError"):
        list(extract_all([(tmp_path / "gone", "text/plain", "gone.txt")]))


def test_a_consumer_that_stops_early_leaves_no_worker_running(files):
    slow = files("slow.pdf", hostile.slow_pdf())
    fine = files("fine.txt", b"first")
    results = extract_all([(fine, "text/plain", "fine.txt"), (slow, "application/pdf", "slow.pdf")])

    assert next(results).text == "first"
    time.sleep(0.5)  # the slow one is being extracted now
    results.close()

    assert _busy_workers() == []


def test_limits_come_from_the_environment():
    settings = Settings.from_env(
        {"CONNECTORS_EXTRACTION_TIMEOUT_SECONDS": "2.5", "CONNECTORS_EXTRACTION_MEMORY_MIB": "256"}
    )
    limits = configured_limits(settings)
    assert (limits.max_seconds, limits.max_memory_bytes) == (2.5, 256 * MIB)
    assert configured_limits(Settings.from_env({})) == DEFAULT_LIMITS
    assert (DEFAULT_LIMITS.max_seconds, DEFAULT_LIMITS.max_memory_bytes) == (60.0, 1024 * MIB)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_nonsense_limit_is_a_configuration_error(value):
    with pytest.raises(ConfigurationError, match="CONNECTORS_EXTRACTION_TIMEOUT_SECONDS must be a positive number"):
        Settings.from_env({"CONNECTORS_EXTRACTION_TIMEOUT_SECONDS": value})
