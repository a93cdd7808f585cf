//===----------------------------------------------------------------------===//
//
// This source file is part of the Hookbird project.
//
//===----------------------------------------------------------------------===//

/// One named, ordered schema change. Migrations only ever add; each runs once, in its own transaction.
struct SQLiteMigration: Sendable {
    let name: String
    let statements: [String]
}

extension SQLiteMigration {
    /// Every migration, oldest first. Append new ones; never edit one that has shipped.
    static let all: [SQLiteMigration] = [
        SQLiteMigration(
            name: "0001_initial",
            statements: [
                """
                CREATE TABLE applications (
                    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, uid TEXT, name TEXT NOT NULL, throttle_rate INTEGER,
                    metadata TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0)
                """,
                "CREATE UNIQUE INDEX applications_org_uid ON applications (org_id, uid) WHERE uid IS NOT NULL",
                "CREATE INDEX applications_org_id ON applications (org_id, id) WHERE deleted = 0",
                """
                CREATE TABLE event_types (
                    org_id TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, archived INTEGER NOT NULL,
                    deprecated INTEGER NOT NULL, schemas TEXT, feature_flag TEXT, created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL, PRIMARY KEY (org_id, name)) WITHOUT ROWID
                """,
                """
                CREATE TABLE endpoints (
                    id TEXT PRIMARY KEY, app_id TEXT NOT NULL, org_id TEXT NOT NULL, uid TEXT, url TEXT NOT NULL,
                    description TEXT NOT NULL, disabled INTEGER NOT NULL, event_types TEXT, channels TEXT,
                    throttle_rate INTEGER, metadata TEXT NOT NULL, secret TEXT NOT NULL, retired_secrets TEXT NOT NULL,
                    headers TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
                    deleted INTEGER NOT NULL DEFAULT 0)
                """,
                "CREATE UNIQUE INDEX endpoints_app_uid ON endpoints (app_id, uid) WHERE uid IS NOT NULL",
                "CREATE INDEX endpoints_app_id ON endpoints (app_id, id) WHERE deleted = 0",
                """
                CREATE TABLE messages (
                    id TEXT PRIMARY KEY, app_id TEXT NOT NULL, org_id TEXT NOT NULL, event_type TEXT NOT NULL,
                    event_id TEXT, channels TEXT, payload TEXT NOT NULL, retention_days INTEGER NOT NULL,
                    created_at INTEGER NOT NULL)
                """,
                "CREATE UNIQUE INDEX messages_app_event_id ON messages (app_id, event_id) WHERE event_id IS NOT NULL",
                "CREATE INDEX messages_app_id ON messages (app_id, id)",
                """
                CREATE TABLE deliveries (
                    id INTEGER PRIMARY KEY, msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
                    org_id TEXT NOT NULL, status INTEGER NOT NULL, trigger_type INTEGER NOT NULL,
                    attempt_count INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER, lease_until INTEGER,
                    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL)
                """,
                "CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN (1, 3)",
                "CREATE INDEX deliveries_endpoint ON deliveries (endpoint_id, created_at)",
                "CREATE INDEX deliveries_msg ON deliveries (msg_id)",
                """
                CREATE TABLE attempts (
                    id TEXT PRIMARY KEY, msg_id TEXT NOT NULL, endpoint_id TEXT NOT NULL, app_id TEXT NOT NULL,
                    org_id TEXT NOT NULL, url TEXT NOT NULL, response TEXT NOT NULL,
                    response_status_code INTEGER NOT NULL, response_duration_ms INTEGER NOT NULL,
                    status INTEGER NOT NULL, trigger_type INTEGER NOT NULL, created_at INTEGER NOT NULL)
                """,
                "CREATE INDEX attempts_app_id ON attempts (app_id, id)",
                "CREATE INDEX attempts_endpoint_id ON attempts (endpoint_id, id)",
                "CREATE INDEX attempts_msg_id ON attempts (msg_id, id)",
                """
                CREATE TABLE idempotency_keys (
                    key TEXT PRIMARY KEY, state INTEGER NOT NULL, status INTEGER, headers TEXT, body BLOB,
                    locked_until INTEGER, expires_at INTEGER) WITHOUT ROWID
                """,
                "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
            ]
        ),
        SQLiteMigration(
            name: "0002_endpoint_failures",
            statements: [
                """
                CREATE TABLE endpoint_failures (
                    endpoint_id TEXT PRIMARY KEY, first_failure_at INTEGER NOT NULL,
                    exhausted_messages INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID
                """
            ]
        ),
        SQLiteMigration(
            name: "0003_message_idempotency_key",
            statements: [
                "ALTER TABLE messages ADD COLUMN idempotency_key TEXT",
                """
                CREATE UNIQUE INDEX messages_app_idempotency_key ON messages (app_id, idempotency_key)
                WHERE idempotency_key IS NOT NULL
                """,
            ]
        ),
        SQLiteMigration(
            name: "0004_inbound_sources",
            statements: [
                """
                CREATE TABLE sources (
                    id TEXT PRIMARY KEY, org_id TEXT NOT NULL, app_id TEXT NOT NULL, uid TEXT, name TEXT NOT NULL,
                    settings TEXT NOT NULL, allowed_ips TEXT NOT NULL, max_body INTEGER NOT NULL,
                    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0)
                """,
                "CREATE UNIQUE INDEX sources_uid ON sources (uid) WHERE uid IS NOT NULL",
                "CREATE INDEX sources_org_id ON sources (org_id, id) WHERE deleted = 0",
                """
                CREATE TABLE inbound_requests (
                    id TEXT PRIMARY KEY, source_id TEXT NOT NULL, org_id TEXT NOT NULL, method TEXT NOT NULL,
                    path TEXT NOT NULL, query TEXT, headers TEXT NOT NULL, body BLOB NOT NULL, remote_address TEXT,
                    received_at INTEGER NOT NULL, outcome TEXT NOT NULL, reason TEXT, event_id TEXT, msg_id TEXT)
                """,
                "CREATE INDEX inbound_requests_source ON inbound_requests (source_id, id)",
                """
                CREATE UNIQUE INDEX inbound_requests_event ON inbound_requests (source_id, event_id)
                WHERE outcome = 'accepted' AND event_id IS NOT NULL
                """,
            ]
        ),
        // The dashboard's sessions, shared by every process on the file and kept across restarts.
        SQLiteMigration(
            name: "0005_dashboard_sessions",
            statements: [
                """
                CREATE TABLE dashboard_sessions (
                    id_digest TEXT PRIMARY KEY, csrf_token TEXT NOT NULL, org_id TEXT NOT NULL, app_id TEXT,
                    expires_at INTEGER NOT NULL, flash TEXT, flash_is_error INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID
                """,
                "CREATE INDEX dashboard_sessions_expires_at ON dashboard_sessions (expires_at)",
            ]
        ),
        // An endpoint's own limit of requests in flight (`maxInFlight`; NULL: the server's).
        SQLiteMigration(
            name: "0006_endpoint_max_in_flight",
            statements: ["ALTER TABLE endpoints ADD COLUMN max_in_flight INTEGER"]
        ),
    ]
}
