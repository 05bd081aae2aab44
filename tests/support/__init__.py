"""Test infrastructure shared by the test packages: a TCP fault proxy, a PostgreSQL server."""
