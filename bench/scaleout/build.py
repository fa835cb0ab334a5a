"""Build a demo database of N collaborations with the project's own builder (DuckDB 2.0),
export it as Parquet for the other candidates, and write the list page's SQL beside it.

    python bench/scaleout/build.py N OUT_DIR     (with the project's virtualenv)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lib.collaborations import CollabFilter, _page_sql
from lib.db import Database
from lib.demo import build_demo


def main() -> None:
    size, out = int(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"collabdesk-{size}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        db = Database(path.with_suffix(".building"))
        build_demo(db, collaborations=size, seed=42)
        db.value("CHECKPOINT")
        db.close()
        path.with_suffix(".building").rename(path)
        print(f"built {path} in {time.perf_counter() - started:.1f} s")
    db = Database(path)
    export = out / f"parquet-{size}"
    if not export.exists():
        db.value(f"EXPORT DATABASE '{export}' (FORMAT parquet)")
    sql, params = _page_sql(CollabFilter(), "updated", True)
    (out / "list_page.json").write_text(json.dumps({"sql": sql, "params": [*params, 50, 0]}))
    db.close()


if __name__ == "__main__":
    main()
