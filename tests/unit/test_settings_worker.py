"""WORKER_IN_PROCESS: a job-queue worker in the app's process unless set false; `python -m speakpro worker`."""

from __future__ import annotations

import subprocess
import sys

import pytest

from speakpro.settings import PROJECT_ROOT, SettingsError, load_settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ("true", True),
        ("1", True),
        ("false", False),
        ("0", False),
        ("off", False),
        (" No ", False),
    ],
)
def test_worker_in_process_defaults_to_true(tmp_path, value, expected):
    env = {"SPEAKPRO_DATA_DIR": str(tmp_path)}
    if value is not None:
        env["WORKER_IN_PROCESS"] = value
    assert load_settings(env).worker_in_process is expected


def test_a_malformed_worker_in_process_is_named(tmp_path):
    with pytest.raises(SettingsError, match="WORKER_IN_PROCESS: must be true or false, not 'sometimes'"):
        load_settings({"SPEAKPRO_DATA_DIR": str(tmp_path), "WORKER_IN_PROCESS": "sometimes"})


def test_the_worker_command_takes_a_concurrency():
    result = subprocess.run(
        [sys.executable, "-m", "speakpro", "worker", "--help"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "--concurrency" in result.stdout
    refused = subprocess.run(
        [sys.executable, "-m", "speakpro", "worker", "--concurrency", "0"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "at least 1" in refused.stderr
