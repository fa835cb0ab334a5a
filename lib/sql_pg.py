"""PostgreSQL text, by hand, for the services' statements sqlglot cannot translate.

lib.pg_store translates each DuckDB statement with sqlglot; one that sqlglot refuses, or
translates into SQL PostgreSQL refuses or reads differently, gets its PostgreSQL text here.
The key is the DuckDB statement exactly as the service builds it, whitespace collapsed
(lib.pg_store.normalized); the value uses psycopg's placeholders (%s for ?, %(name)s for
$name) and must mean the same. tests/test_shared_store.py runs the services through both.
"""

from __future__ import annotations

OVERRIDES: dict[str, str] = {
}
