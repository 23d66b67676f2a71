"""The command line: `lrcore plot`, `lrcore values`, `lrcore demo`, help and bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import lrcore as lr
import numpy as np
import pytest
from lrcore import cli
from lrcore.cli import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def lrcore(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lrcore", *args], capture_output=True, text=True, cwd=cwd
    )


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG header, after checking the signature."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# ---- help -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(cli.COMMANDS))
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: lrcore {command}")


def test_python_dash_m_help() -> None:
    r = lrcore("--help")
    assert r.returncode == 0
    for command in ("plot", "values", "sample", "demo"):
        assert command in r.stdout


# ---- values ---------------------------------------------------------------------------------------

EXPR = "warmup(10, cosine(0.1, 1e-4, 90))"


def test_values_csv_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["values", EXPR, "--steps", "120", "--start", "3"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["step", "value"]
    assert [int(r[0]) for r in rows[1:]] == list(range(3, 123))
    got = np.array([float(r[1]) for r in rows[1:]])
    np.testing.assert_array_equal(got, lr.parse(EXPR).values(120, start=3))


def test_values_json_and_npy_files(tmp_path: Path) -> None:
    expected = lr.parse(EXPR).values(50, start=7)
    json_out = tmp_path / "v.json"
    assert main(["values", EXPR, "--steps", "50", "--start", "7", "-o", str(json_out)]) == 0
    assert json.loads(json_out.read_text()) == expected.tolist()
    npy_out = tmp_path / "v.npy"
    assert main(["values", EXPR, "--steps", "50", "--start", "7", "-o", str(npy_out)]) == 0
    got = np.load(npy_out)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, expected)
    # --format wins over the suffix
    other = tmp_path / "v.txt"
    assert main(["values", EXPR, "--steps", "5", "--format", "json", "-o", str(other)]) == 0
    assert json.loads(other.read_text()) == lr.parse(EXPR).values(5).tolist()


def test_values_npy_to_stdout_and_batch_csv() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "lrcore", "values", EXPR, "--steps", "20", "--format", "npy"],
        capture_output=True,
    )
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(io.BytesIO(r.stdout)), lr.parse(EXPR).values(20))
    batch = "cosine([0.1, 0.2, 0.3], 0.0, 10)"
    r2 = lrcore("values", batch, "--steps", "12")
    assert r2.returncode == 0, r2.stderr
    rows = list(csv.reader(io.StringIO(r2.stdout)))
    assert rows[0] == ["step", "value_0", "value_1", "value_2"]
    got = np.array([[float(v) for v in row[1:]] for row in rows[1:]]).T
    np.testing.assert_array_equal(got, lr.parse(batch).values(12))


def test_values_zero_steps_is_just_the_header(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["values", "constant(1.0)", "--steps", "0"]) == 0
    assert capsys.readouterr().out == "step,value\n"


# ---- plot -----------------------------------------------------------------------------------------


def test_plot_writes_a_png(tmp_path: Path) -> None:
    out = tmp_path / "one_cycle.png"
    r = lrcore(
        "plot",
        "one_cycle(0.1, 1000)",
        "cosine(0.1, 0.0, 1000)",
        "--momentum",
        "one_cycle_momentum(1000)",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert png_size(out) == (800, 400)


def test_plot_options(tmp_path: Path) -> None:
    cases = [
        ["cosine([0.1, 0.01], 1e-4, 500)", "--log", "--steps", "700", "--size", "600x300"],
        ["restarts(cosine(0.1, 0.0, 100), mul=2.0)", "--label", "sgdr", "--title", "SGDR"],
        ["constant(0.1)", "warmup(50, constant(0.1))", "--no-legend", "--size", "300x200"],
        ["exp_decay(0.1, 0.9999)", "--steps", "100000", "--log"],  # drawn at evenly spaced steps
    ]
    for i, args in enumerate(cases):
        out = tmp_path / f"p{i}.png"
        assert main(["plot", *args, "-o", str(out)]) == 0
        assert out.stat().st_size > 1000
    assert png_size(tmp_path / "p0.png") == (600, 300)
    assert png_size(tmp_path / "p2.png") == (300, 200)


def test_plot_svg_by_suffix(tmp_path: Path) -> None:
    out = tmp_path / "s.svg"
    assert main(["plot", "linear(1.0, 0.0, 10)", "-o", str(out)]) == 0
    assert "<svg" in out.read_text()


def test_plot_default_steps() -> None:
    # the longest finite schedule; endless and constant ones alone get DEFAULT_PLOT_STEPS
    assert cli.DEFAULT_PLOT_STEPS == 1000
    s = lr.parse("warmup(10, cosine(1.0, 0.0, 90))")
    assert s.total_steps == 100


# ---- bad input ------------------------------------------------------------------------------------


def bad_cases(tmp_path: Path) -> list[tuple[list[str], int, str]]:
    png = str(tmp_path / "x.png")
    return [
        (
            ["plot", "cosine(0.1", "-o", png],
            1,
            "lrcore plot: error: bad expression 'cosine(0.1': parse(): expected ')' at position 10",
        ),
        (
            ["plot", "__import__('os').system('touch pwned')", "-o", png],
            1,
            "lrcore plot: error: bad expression \"__import__('os').system('touch pwned')\": "
            "parse(): unknown function '__import__' at position 0",
        ),
        (
            ["plot", "cosine(0.1, 0.0, 0)", "-o", png],
            1,
            "lrcore plot: error: bad expression 'cosine(0.1, 0.0, 0)': cosine(): steps must be a positive number, got 0",
        ),
        (
            ["plot", "cosine(0.1, 0.0, 10)", "--steps", "-5", "-o", png],
            1,
            "lrcore plot: error: --steps must be a positive integer, got -5",
        ),
        (
            ["plot", "cosine(0.1, 0.0, 10)", "-o", str(tmp_path / "missing" / "x.png")],
            1,
            f"lrcore plot: error: cannot write {tmp_path / 'missing' / 'x.png'}: No such file or directory",
        ),
        (
            ["plot", "constant(0.0)", "--log", "-o", png],
            1,
            "lrcore plot: error: --log needs positive values; constant(0.0) has none in 1000 steps",
        ),
        (
            ["plot", "constant(1.0)", "--size", "big", "-o", png],
            1,
            "lrcore plot: error: --size must be WIDTHxHEIGHT in pixels, e.g. 800x400, got 'big'",
        ),
        (
            ["plot", "constant(1.0)"],
            2,
            "lrcore plot: error: the following arguments are required: -o/--output (see 'lrcore plot --help')",
        ),
        (
            ["values", "cosine(0.1, 0.0, 10)", "--steps", "-1"],
            1,
            "lrcore values: error: --steps must be a non-negative integer, got -1",
        ),
        (
            ["values", "cosine(0.1, 0.0, 10)", "--steps", "3", "--start", "-2"],
            1,
            "lrcore values: error: --start must be a non-negative integer, got -2",
        ),
        (
            ["values", "cosine(0.1, 0.0, 10)", "--steps", "3", "--format", "xml"],
            2,
            "lrcore values: error: argument --format: invalid choice: 'xml' (choose from 'csv', 'npy', 'json') (see 'lrcore values --help')",
        ),
        (
            ["values", "cosine(0.1, 0.0, 10)", "--steps", "ten"],
            2,
            "lrcore values: error: argument --steps: invalid int value: 'ten' (see 'lrcore values --help')",
        ),
        (
            ["values", "nope(1)", "--steps", "3"],
            1,
            "lrcore values: error: bad expression 'nope(1)': parse(): unknown function 'nope' at position 0",
        ),
        (
            ["values", "constant(1.0)", "--steps", "3", "-o", str(tmp_path / "no" / "v.csv")],
            1,
            f"lrcore values: error: cannot write {tmp_path / 'no' / 'v.csv'}: No such file or directory",
        ),
        (
            ["sample", str(tmp_path / "missing.json"), "-n", "2"],
            1,
            f"lrcore sample: error: cannot read {tmp_path / 'missing.json'}: No such file or directory",
        ),
        (
            ["demo", "--trials", "-1"],
            1,
            "lrcore demo: error: --trials must be a positive integer, got -1",
        ),
        (
            ["demo", "--epochs", "0"],
            1,
            "lrcore demo: error: --epochs must be a positive integer, got 0",
        ),
        (
            ["demo", "--seed", "-3"],
            1,
            "lrcore demo: error: --seed must be a non-negative integer, got -3",
        ),
        (
            ["frobnicate"],
            2,
            "lrcore: error: argument COMMAND: invalid choice: 'frobnicate' (choose from 'plot', 'values', 'sample', 'demo') (see 'lrcore --help')",
        ),
    ]


def test_bad_input_is_one_line_in_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, code, message in bad_cases(tmp_path):
        if code == 2:
            with pytest.raises(SystemExit) as exit_info:
                main(argv)
            assert exit_info.value.code == 2, argv
        else:
            assert main(argv) == code, argv
        captured = capsys.readouterr()
        assert captured.out == "", argv
        if argv[0] == "frobnicate":  # argparse's wording of the choices varies between versions
            assert captured.err.startswith("lrcore: error: argument COMMAND: invalid choice:")
            assert captured.err.count("\n") == 1
            continue
        assert captured.err == message + "\n", argv
    assert not list(tmp_path.iterdir())
    assert not Path("pwned").exists()


def test_bad_input_is_one_line_in_a_subprocess(tmp_path: Path) -> None:
    for argv, code, message in bad_cases(tmp_path)[:3]:
        r = lrcore(*argv, cwd=tmp_path)
        assert r.returncode == code
        assert r.stderr == message + "\n"
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "pwned").exists()
    # no subcommand at all
    r = lrcore()
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1
    assert "Traceback" not in r.stderr


def test_keyboard_interrupt_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(args: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setitem(cli.COMMANDS, "values", (cli.COMMANDS["values"][0], interrupted))
    assert main(["values", "constant(1.0)", "--steps", "1"]) == 130
    assert capsys.readouterr().err == "lrcore values: interrupted\n"


# ---- demo -----------------------------------------------------------------------------------------


def table_lines(stdout: str) -> list[str]:
    """The results table: from its header to the first blank line after it."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("rank"))
    end = lines.index("", start)
    return lines[start:end]


def test_demo_runs_and_repeats(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = tmp_path / "first"
    r = lrcore("demo", "--trials", "2", "--epochs", "1", "--out", str(first))
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    table = table_lines(r.stdout)
    assert table[0].split() == [
        "rank",
        "trial",
        "schedule",
        "max_lr",
        "pct_start",
        "weight_decay",
        "val_acc",
        "val_loss",
        "train_loss",
    ]
    assert len(table) == 4  # header, baseline, 2 trials
    assert sorted(line.split()[1] for line in table[1:]) == ["0", "1", "baseline"]
    accuracies = [float(line.split()[6]) for line in table[1:]]
    assert accuracies == sorted(accuracies, reverse=True)
    # the range test before the search, which is centred on its suggestion
    found = re.search(
        r"^range test \(lr_find, \d+ steps\): suggested learning rate (\S+) ", r.stdout, re.M
    )
    assert found is not None, r.stdout
    suggestion = float(found.group(1))
    assert 1e-5 < suggestion < 1.0
    trial_lrs = [float(line.split()[3]) for line in table[1:] if line.split()[1] != "baseline"]
    assert all(suggestion / 10.01 <= x <= suggestion * 10.01 for x in trial_lrs)
    best = float(next(line for line in table[1:] if line.split()[1] != "baseline").split()[3])
    assert (
        f"range test suggested {found.group(1)}; the best trial's max_lr is {best:.3g}" in r.stdout
    )
    for name in ("lr_find.png", "schedules.png", "accuracy_vs_max_lr.png", "coverage.png"):
        width, height = png_size(first / name)
        assert width >= 400 and height >= 300
    with open(first / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["trial"] for row in rows] == [line.split()[1] for line in table[1:]]
    baseline = next(row for row in rows if row["trial"] == "baseline")
    assert baseline["schedule"] == "constant" and baseline["pct_start"] == ""
    assert 0.0 <= float(rows[0]["val_acc"]) <= 1.0

    # the same seed gives the same table (here in-process, with the plain progress bar)
    second = tmp_path / "second"
    assert main(["demo", "--trials", "2", "--epochs", "1", "--out", str(second)]) == 0
    captured = capsys.readouterr()
    assert table_lines(captured.out) == table
    assert (second / "results.csv").read_text() == (first / "results.csv").read_text()


def test_demo_importance_and_plain_progress_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lrcore import demo

    space = demo.search_space(1e-2)
    trials = space.sample(16, seed=0, method="sobol")
    log_lr = np.log10(trials["max_lr"])
    accuracy = list(1.0 - (log_lr + 2.0) ** 2)  # best at max_lr = 1e-2, a peak in the middle
    weights = demo.importance(space, trials, accuracy)
    assert max(weights, key=weights.__getitem__) == "max_lr"
    assert weights["max_lr"] > 0.9
    assert all(0.0 <= w <= 1.0 for w in weights.values())
    assert demo.importance(space, space.sample(2), [0.5, 0.6]) == dict.fromkeys(space.names, 0.0)

    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    assert list(demo._progress([1, 2, 3], "demo", True)) == [1, 2, 3]
    err = capsys.readouterr().err
    assert "3/3 trials" in err and err.endswith("\n")
    assert list(demo._progress([1, 2], "demo", False)) == [1, 2]
    assert capsys.readouterr().err == ""


# ---- gallery --------------------------------------------------------------------------------------


def test_gallery_covers_every_shape_and_draws_through_the_cli(tmp_path: Path) -> None:
    import importlib.util

    path = Path(__file__).resolve().parent.parent / "docs" / "gallery.py"
    spec = importlib.util.spec_from_file_location("lrcore_gallery", path)
    assert spec is not None and spec.loader is not None
    gallery = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gallery)
    text = " ".join(x for e in gallery.ENTRIES for x in (*e.exprs, e.momentum or ""))
    shapes = set(lr.__all__) - {
        "Schedule",
        "__version__",
        "from_dict",
        "from_json",
        "parse",
        "stack",
    }
    missing = sorted(name for name in shapes if f"{name}(" not in text)
    assert missing == []
    for method in (".clip(", ".shift(", ".per_epoch(", " * ", " + "):
        assert method in text
    for entry in gallery.ENTRIES:
        for expr in entry.exprs:
            lr.parse(expr)
    # one entry drawn exactly as the script draws it
    entry = next(e for e in gallery.ENTRIES if e.momentum is not None)
    out = tmp_path / "g.png"
    assert main(gallery.argv(entry, out)) == 0
    assert png_size(out) == (600, 300)
    assert (path.parent / "img" / f"{entry.name}.png").is_file()


@pytest.mark.parametrize("engine", ["optuna", "ray"])
def test_demo_engines_give_the_local_table(tmp_path: Path, engine: str) -> None:
    args = ("demo", "--trials", "3", "--epochs", "1", "--no-progress")
    local = lrcore(*args, "--out", str(tmp_path / "local"))
    remote = lrcore(*args, "--out", str(tmp_path / engine), "--engine", engine, "--workers", "2")
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr
    assert table_lines(remote.stdout) == table_lines(local.stdout)
    assert len(table_lines(remote.stdout)) == 5  # header, baseline, 3 trials


def test_bench_quick_prints_the_ratio_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    r = lrcore("bench", "--quick", "-o", str(out))
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("| ")]
    assert lines[0] == "| work | lrcore | baseline | ratio | target | met |"
    works = [line.split(" | ")[0][2:] for line in lines[2:]]
    assert any(w.startswith("values(") for w in works)
    assert any(w.startswith("OneCycleLR.step()") for w in works)
    assert any(w.startswith("sample(2**12) sobol") for w in works)
    assert "import lrcore (beyond numpy)" in works
    assert out.read_text() == r.stdout
