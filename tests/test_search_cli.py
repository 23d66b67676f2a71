"""`lrcore sample` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lrcore import search
from lrcore.cli import main

SPACE = search.Space(
    lr=search.loguniform(1e-5, 1.0),
    opt=search.choice(["sgd", "adam"]),
    momentum=search.uniform(0.8, 0.99).when(opt="sgd"),
)


def test_sample_jsonl_and_csv(tmp_path: Path) -> None:
    space_file = tmp_path / "space.json"
    space_file.write_text(SPACE.to_json())
    out = tmp_path / "trials.jsonl"
    assert (
        main(
            [
                "sample",
                str(space_file),
                "-n",
                "16",
                "--method",
                "sobol",
                "--seed",
                "3",
                "--start",
                "4",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == SPACE.sample(16, seed=3, method="sobol", start=4).to_dicts()
    csv_out = tmp_path / "trials.csv"
    assert main(["sample", str(space_file), "-n", "4", "-o", str(csv_out)]) == 0
    assert csv_out.read_text() == SPACE.sample(4).to_csv()


def test_bad_input_is_one_line_on_stderr(tmp_path: Path) -> None:
    space_file = tmp_path / "space.json"
    space_file.write_text(SPACE.to_json())
    cases = [
        (
            ["--method", "grid"],
            "lrcore sample: error: Space.sample(): method must be one of "
            "'random', 'sobol', 'halton', 'lhs', got 'grid'",
        ),
        (
            ["-n", "-1"],
            "lrcore sample: error: Space.sample(): n must be a non-negative integer, got -1",
        ),
    ]
    for extra, message in cases:
        args = [sys.executable, "-m", "lrcore", "sample", str(space_file), "-n", "2", *extra]
        r = subprocess.run(args, capture_output=True, text=True)
        assert r.returncode == 1
        assert r.stderr.strip() == message
        assert "Traceback" not in r.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "lrcore", "sample", str(tmp_path / "nope.json"), "-n", "2"],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1
    assert missing.stderr.strip().startswith("lrcore sample: error: cannot read ")
    bad = tmp_path / "bad.json"
    bad.write_text('{"lr": {"kind": "loguniform", "lo": 0, "hi": 1}}')
    r = subprocess.run(
        [sys.executable, "-m", "lrcore", "sample", str(bad), "-n", "2"],
        capture_output=True,
        text=True,
    )
    assert r.stderr.strip() == (
        "lrcore sample: error: Space.from_dict(): parameter 'lr': loguniform(): lo must be "
        "positive, got 0.0"
    )
