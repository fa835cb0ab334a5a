"""Serve one DuckDB file over Quack: `python bench/scaleout/quack_server.py FILE [URI]`.

Needs DuckDB 1.5.5 with the registry's extension wheels (duckdb-extension-quack and
duckdb-extension-httpfs 1.5.5; the server needs httpfs loaded for its crypto module), see
docs/scale-out.md. Runs until killed; prints the URI once it listens.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import duckdb
import engines


def main() -> None:
    path = sys.argv[1]
    uri = sys.argv[2] if len(sys.argv) > 2 else engines.QUACK_URI
    conn = duckdb.connect(path, config={"allow_unsigned_extensions": "true",
                                        "autoinstall_known_extensions": "false"})
    conn.execute(f"LOAD '{engines.site_extension('httpfs')}'")
    conn.execute(f"LOAD '{engines.site_extension('quack')}'")
    conn.execute("CALL quack_serve(?, token => ?)", [uri, engines.QUACK_TOKEN])
    print(f"serving {path} at {uri} (pid {os.getpid()})", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
