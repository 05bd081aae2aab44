"""Numbered schema migrations, applied on open, each in its own ``BEGIN IMMEDIATE`` transaction.

The schema version is SQLite's ``PRAGMA user_version``, which lives in the database header
and commits or rolls back with the migration that sets it. We do not use sqlite-utils'
``Migrations`` here: it opens each migration with a deferred ``BEGIN``, which fails at once
with "database is locked" when the station and the sync daemon start together
(../shared/research/sync.md §2). Two processes opening an old store at the same moment both
take the write lock in turn; the second sees the version already raised and does nothing.

Migrations are append-only: never edit one that has shipped, add the next number.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: dict[int, Migration] = {}


def migration(number: int) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        assert number not in MIGRATIONS, f"migration {number} registered twice"
        MIGRATIONS[number] = fn
        return fn

    return register


def latest() -> int:
    return max(MIGRATIONS)


def _run(conn: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement inside the caller's transaction.

    ``executescript`` would COMMIT the open transaction first, splitting a migration in two.
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    assert not statement.strip(), f"incomplete SQL statement: {statement!r}"


@migration(1)
def _m001_core(conn: sqlite3.Connection) -> None:
    """Settings, data keys, audit log, outbox, sync cursors, blobs."""
    _run(
        conn,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        ) STRICT;

        -- One row per data encryption key (per case, per ticket holder); `wrapped` is the key
        -- encrypted under the site key. Crypto-shredding sets it NULL.
        CREATE TABLE data_keys (
            key_id TEXT PRIMARY KEY,
            alg TEXT NOT NULL,
            wrapped BLOB,
            created_at TEXT NOT NULL,
            shredded_at TEXT
        ) STRICT;

        -- What happened, by whom, to which record: never personal data itself.
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        ) STRICT;

        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            op_id TEXT NOT NULL UNIQUE,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            op TEXT NOT NULL,
            key_id TEXT REFERENCES data_keys(key_id),
            payload BLOB NOT NULL,
            blob_hashes TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'claimed', 'acked', 'rejected')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at TEXT NOT NULL,
            claimed_until TEXT,
            acked_at TEXT,
            server_ref TEXT,
            last_error TEXT
        ) STRICT;
        CREATE INDEX outbox_state_seq ON outbox(state, seq);
        CREATE INDEX outbox_entity ON outbox(entity, entity_id);

        CREATE TABLE sync_cursors (
            stream TEXT PRIMARY KEY,
            cursor TEXT,
            handle TEXT,
            updated_at TEXT NOT NULL
        ) STRICT;

        -- Content-addressed files under blobs/: sha256 of the stored (encrypted) bytes.
        CREATE TABLE blobs (
            sha256 TEXT PRIMARY KEY,
            size INTEGER NOT NULL,
            key_id TEXT REFERENCES data_keys(key_id),
            media_type TEXT NOT NULL,
            created_at TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'local'
                CHECK (state IN ('local', 'uploading', 'uploaded', 'purged')),
            upload_url TEXT,
            upload_offset INTEGER NOT NULL DEFAULT 0,
            upload_expires TEXT
        ) STRICT;
        """
    )


@migration(2)
def _m002_catalogue(conn: sqlite3.Connection) -> None:
    """The service catalogue (事项清单): versions, items, bundles (一件事)."""
    _run(
        conn,
        """
        CREATE TABLE catalogue_versions (
            version TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            sample INTEGER NOT NULL,
            loaded_at TEXT NOT NULL,
            is_current INTEGER NOT NULL DEFAULT 0,
            body TEXT NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX catalogue_one_current ON catalogue_versions(is_current)
            WHERE is_current = 1;

        CREATE TABLE catalogue_items (
            version TEXT NOT NULL REFERENCES catalogue_versions(version) ON DELETE CASCADE,
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            category TEXT NOT NULL,
            level TEXT NOT NULL,
            window_category TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (version, code)
        ) STRICT;

        CREATE TABLE catalogue_bundles (
            version TEXT NOT NULL REFERENCES catalogue_versions(version) ON DELETE CASCADE,
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (version, code)
        ) STRICT;
        """
    )


@migration(3)
def _m003_queue(conn: sqlite3.Connection) -> None:
    """Queue tickets (A001 per category per day) and their events."""
    _run(
        conn,
        """
        CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            service_day TEXT NOT NULL,
            category TEXT NOT NULL,
            seq INTEGER NOT NULL,
            number TEXT NOT NULL,
            status TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            channel TEXT NOT NULL,
            key_id TEXT REFERENCES data_keys(key_id),
            holder_index BLOB,
            holder BLOB,
            issued_at TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            UNIQUE (service_day, category, seq)
        ) STRICT;
        CREATE INDEX tickets_holder ON tickets(holder_index) WHERE holder_index IS NOT NULL;

        CREATE TABLE queue_events (
            id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            kind TEXT NOT NULL,
            window TEXT,
            clerk TEXT,
            at TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}'
        ) STRICT;
        CREATE INDEX queue_events_ticket ON queue_events(ticket_id);
        """
    )


@migration(4)
def _m004_cases(conn: sqlite3.Connection) -> None:
    """Cases (办件), their materials and captured pages, receipt number counters."""
    _run(
        conn,
        """
        CREATE TABLE cases (
            id TEXT PRIMARY KEY,
            receipt_no TEXT NOT NULL UNIQUE,
            official_no TEXT,
            item_codes TEXT NOT NULL,
            bundle_code TEXT,
            catalogue_version TEXT NOT NULL,
            key_id TEXT NOT NULL REFERENCES data_keys(key_id),
            applicant_index BLOB NOT NULL,
            applicant BLOB NOT NULL,
            agent BLOB,
            status TEXT NOT NULL,
            accepted_at TEXT NOT NULL,
            clock_synced INTEGER NOT NULL,
            promised_date TEXT,
            ticket_id TEXT REFERENCES tickets(id),
            updated_at TEXT NOT NULL,
            shredded_at TEXT
        ) STRICT;
        CREATE INDEX cases_applicant ON cases(applicant_index);

        CREATE TABLE case_materials (
            case_id TEXT NOT NULL REFERENCES cases(id),
            material_code TEXT NOT NULL,
            state TEXT NOT NULL
                CHECK (state IN ('captured', 'waived', 'deferred', 'missing')),
            detail BLOB,
            due_date TEXT,
            PRIMARY KEY (case_id, material_code)
        ) STRICT;

        CREATE TABLE case_pages (
            case_id TEXT NOT NULL REFERENCES cases(id),
            material_code TEXT NOT NULL,
            page_no INTEGER NOT NULL,
            blob_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            PRIMARY KEY (case_id, material_code, page_no)
        ) STRICT;
        CREATE INDEX case_pages_blob ON case_pages(blob_sha256);

        CREATE TABLE receipt_counters (
            day TEXT PRIMARY KEY,
            last_seq INTEGER NOT NULL
        ) STRICT;
        """
    )


@migration(5)
def _m005_ratings(conn: sqlite3.Connection) -> None:
    """Ratings (好差评, 一次一评) and the rectification tasks a bad rating opens."""
    _run(
        conn,
        """
        CREATE TABLE ratings (
            id TEXT PRIMARY KEY,
            level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
            dimensions TEXT NOT NULL DEFAULT '{}',
            reasons TEXT NOT NULL DEFAULT '[]',
            comment BLOB,
            key_id TEXT REFERENCES data_keys(key_id),
            case_id TEXT REFERENCES cases(id),
            ticket_id TEXT REFERENCES tickets(id),
            window TEXT,
            clerk TEXT,
            channel TEXT NOT NULL,
            rated_at TEXT NOT NULL,
            clock_synced INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE rectifications (
            id TEXT PRIMARY KEY,
            rating_id TEXT NOT NULL REFERENCES ratings(id),
            stage TEXT NOT NULL,
            deadline TEXT NOT NULL,
            status TEXT NOT NULL,
            history TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT;
        """
    )


@migration(6)
def _m006_station(conn: sqlite3.Connection) -> None:
    """The station's queue state (a ticket's window, calls, times and outcome; windows), the
    screens' tokens and pairing codes, and the answers kept for idempotent retries."""
    _run(
        conn,
        """
        ALTER TABLE tickets ADD COLUMN queue_category TEXT;
        ALTER TABLE tickets ADD COLUMN window TEXT;
        ALTER TABLE tickets ADD COLUMN pinned_window TEXT;
        ALTER TABLE tickets ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE tickets ADD COLUMN first_called_at TEXT;
        ALTER TABLE tickets ADD COLUMN called_at TEXT;
        ALTER TABLE tickets ADD COLUMN started_at TEXT;
        ALTER TABLE tickets ADD COLUMN ended_at TEXT;
        ALTER TABLE tickets ADD COLUMN outcome TEXT;
        ALTER TABLE tickets ADD COLUMN reasons TEXT NOT NULL DEFAULT '';
        ALTER TABLE tickets ADD COLUMN served_s REAL;
        ALTER TABLE tickets ADD COLUMN clerk TEXT;
        ALTER TABLE tickets ADD COLUMN appointment_start TEXT;
        ALTER TABLE tickets ADD COLUMN appointment_end TEXT;
        CREATE INDEX tickets_day ON tickets(service_day, status);

        CREATE TABLE queue_windows (
            number TEXT PRIMARY KEY,
            state TEXT NOT NULL CHECK (state IN ('open', 'paused', 'closed')),
            clerk TEXT,
            since TEXT NOT NULL
        ) STRICT;

        CREATE TABLE station_tokens (
            token_hash BLOB PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('kiosk', 'counter', 'display', 'manager')),
            created_at TEXT NOT NULL,
            revoked_at TEXT
        ) STRICT;

        CREATE TABLE pair_codes (
            code_index BLOB PRIMARY KEY,
            token_hash BLOB NOT NULL REFERENCES station_tokens(token_hash),
            key_id TEXT REFERENCES data_keys(key_id),
            token BLOB,
            expires_at TEXT NOT NULL,
            used_at TEXT
        ) STRICT;

        CREATE TABLE station_requests (
            token_hash BLOB NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            status INTEGER NOT NULL,
            response TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (token_hash, key)
        ) STRICT;
        CREATE INDEX station_requests_at ON station_requests(at);
        """
    )


@migration(7)
def _m007_clerks_and_unresolved(conn: sqlite3.Connection) -> None:
    """Clerk accounts (a secret kept only as its argon2id hash, lock-out counters), the
    "办不成事" requests with their escalation, deadline and outcome, whether a rating is
    实名 (its rater known: the rectification must reach 回访), and a case's status history."""
    _run(
        conn,
        """
        CREATE TABLE clerks (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            manager INTEGER NOT NULL DEFAULT 0,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            disabled_at TEXT
        ) STRICT;

        CREATE TABLE unresolved_requests (
            id TEXT PRIMARY KEY,
            key_id TEXT REFERENCES data_keys(key_id),
            requester BLOB,
            requester_index BLOB,
            what TEXT NOT NULL,
            why TEXT NOT NULL,
            item_code TEXT,
            window TEXT,
            clerk TEXT,
            escalation TEXT NOT NULL,
            stage TEXT NOT NULL,
            deadline TEXT NOT NULL,
            outcome TEXT,
            history TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX unresolved_open ON unresolved_requests(stage, deadline);

        ALTER TABLE ratings ADD COLUMN named INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE cases ADD COLUMN history TEXT NOT NULL DEFAULT '[]';
        """
    )


@migration(8)
def _m008_case_acceptance(conn: sqlite3.Connection) -> None:
    """What the station records of an acceptance at a window (issue 7): the window, the
    clerk signed in there, the mode (at the counter, 帮办代办 at a village point, 上门服务),
    the local day it was accepted on (the counter's "today's cases"), and the receipt's facts
    without personal data (items, materials, fees, promised date, notice) for a reprint."""
    _run(
        conn,
        """
        ALTER TABLE cases ADD COLUMN window TEXT;
        ALTER TABLE cases ADD COLUMN clerk TEXT;
        ALTER TABLE cases ADD COLUMN mode TEXT NOT NULL DEFAULT 'counter'
            CHECK (mode IN ('counter', 'agent', 'home_visit'));
        ALTER TABLE cases ADD COLUMN accepted_day TEXT;
        ALTER TABLE cases ADD COLUMN receipt TEXT NOT NULL DEFAULT '{}';
        CREATE INDEX cases_day ON cases(accepted_day);
        """
    )


@migration(9)
def _m009_sync(conn: sqlite3.Connection) -> None:
    """The sync daemon's own state (issue 8, docs/sync-protocol.md): its enrolment with the
    county hub (the Ed25519 private key sealed under a data key), counters and last events,
    the hash of each page as uploaded (the county reads the page, not our sealed file), pulled
    items held back while the site still has ops of their record to deliver, the county's
    status of a case with its result documents, and appointments booked at the county."""
    _run(
        conn,
        """
        CREATE TABLE sync_enrolment (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            site_code TEXT NOT NULL,
            hub_url TEXT NOT NULL,
            key_id TEXT NOT NULL,
            data_key_id TEXT NOT NULL REFERENCES data_keys(key_id),
            private_key BLOB NOT NULL,
            public_key TEXT NOT NULL,
            enrolled_at TEXT NOT NULL
        ) STRICT;

        CREATE TABLE sync_state (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        ) STRICT;

        ALTER TABLE blobs ADD COLUMN plain_sha256 TEXT;
        ALTER TABLE blobs ADD COLUMN plain_size INTEGER;

        CREATE TABLE sync_held (
            stream TEXT NOT NULL,
            item_key TEXT NOT NULL,
            item TEXT NOT NULL,
            held_at TEXT NOT NULL,
            PRIMARY KEY (stream, item_key)
        ) STRICT;

        ALTER TABLE cases ADD COLUMN county_status TEXT;
        ALTER TABLE cases ADD COLUMN county_history TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE cases ADD COLUMN county_updated_at TEXT;

        CREATE TABLE case_results (
            case_id TEXT NOT NULL REFERENCES cases(id),
            plain_sha256 TEXT NOT NULL,
            blob_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
            media_type TEXT NOT NULL,
            name TEXT NOT NULL,
            received_at TEXT NOT NULL,
            PRIMARY KEY (case_id, plain_sha256)
        ) STRICT;

        CREATE TABLE appointments (
            id TEXT PRIMARY KEY,
            category TEXT NOT NULL,
            start_at TEXT NOT NULL,
            end_at TEXT NOT NULL,
            code TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            key_id TEXT REFERENCES data_keys(key_id),
            holder_index BLOB,
            holder BLOB,
            updated_at TEXT NOT NULL
        ) STRICT;
        CREATE INDEX appointments_start ON appointments(start_at);
        """
    )


@migration(10)
def _m010_appointment_phone(conn: sqlite3.Connection) -> None:
    """The keyed blind index of an appointment holder's phone: the kiosk's 预约签到 lets a
    citizen without the QR code type the phone number the booking was made with."""
    _run(
        conn,
        """
        ALTER TABLE appointments ADD COLUMN phone_index BLOB;
        CREATE INDEX appointments_phone ON appointments(phone_index);
        """
    )
