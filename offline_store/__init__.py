"""The site store: SQLite schema and migrations, outbox, content-addressed blobs, field
encryption."""
