"""The README gallery (gallery.py, beside this file) against the package: every shape and
combinator has a picture, every expression parses, and the script draws through the CLI.

It reads files of the repository, not of the installed package, so it lives here rather than in
tests/ (which runs against an installed wheel): ``python -m pytest docs``.
"""

from __future__ import annotations

from pathlib import Path

import gallery
import lrcore as lr
import matplotlib.image
from lrcore.cli import main


def test_gallery_covers_every_shape_and_draws_through_the_cli(tmp_path: Path) -> None:
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
    assert matplotlib.image.imread(out).shape[:2] == (300, 600)
    assert (gallery.IMG / f"{entry.name}.png").is_file()
