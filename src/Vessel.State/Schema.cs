namespace Vessel.State;

/// <summary>
/// Versioned schema migrations. Each entry takes the database from version i to i+1 and runs in one
/// transaction; PRAGMA user_version records where a database stands. Never edit a shipped entry: append.
/// </summary>
internal static class Schema
{
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE storage_pools (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            driver TEXT NOT NULL,
            source TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE images (
            fingerprint TEXT PRIMARY KEY,
            type TEXT NOT NULL,
            architecture TEXT NOT NULL,
            format TEXT NOT NULL,
            filename TEXT NOT NULL,
            size INTEGER NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE image_aliases (
            name TEXT NOT NULL,
            type TEXT NOT NULL,
            fingerprint TEXT NOT NULL REFERENCES images(fingerprint) ON DELETE CASCADE,
            description TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (name, type)
        );
        CREATE TABLE instances (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            type TEXT NOT NULL,
            status TEXT NOT NULL,
            status_reason TEXT,
            architecture TEXT NOT NULL,
            config TEXT NOT NULL,
            devices TEXT NOT NULL,
            image TEXT REFERENCES images(fingerprint),
            pool TEXT NOT NULL REFERENCES storage_pools(name),
            ephemeral INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            status_changed_at TEXT NOT NULL
        );
        CREATE TABLE operations (
            id TEXT PRIMARY KEY,
            description TEXT NOT NULL,
            status TEXT NOT NULL,
            resources TEXT NOT NULL,
            error TEXT,
            may_cancel INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX operations_by_status ON operations(status);
        """,
        """
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE networks (
            name TEXT PRIMARY KEY COLLATE NOCASE,
            description TEXT NOT NULL DEFAULT '',
            config TEXT NOT NULL,
            forwards TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
        """
        CREATE TABLE snapshots (
            instance TEXT NOT NULL COLLATE NOCASE,
            name TEXT NOT NULL COLLATE NOCASE,
            stateful INTEGER NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            PRIMARY KEY (instance, name)
        );
        """,
        """
        CREATE TABLE auth_tokens (
            id TEXT PRIMARY KEY,
            hash TEXT NOT NULL UNIQUE,
            description TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            expires_at TEXT
        );
        CREATE TABLE trusted_certificates (
            fingerprint TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            certificate TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE snapshots ADD COLUMN expires_at TEXT;
        CREATE INDEX snapshots_by_expiry ON snapshots(expires_at) WHERE expires_at IS NOT NULL;
        """,
        """
        CREATE TABLE storage_volumes (
            pool TEXT NOT NULL REFERENCES storage_pools(name) COLLATE NOCASE,
            name TEXT NOT NULL COLLATE NOCASE,
            content_type TEXT NOT NULL,
            config TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            PRIMARY KEY (pool, name)
        );
        """,
        """
        CREATE TABLE auth_sessions (
            hash TEXT PRIMARY KEY,
            token_id TEXT NOT NULL REFERENCES auth_tokens(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL
        );
        CREATE INDEX auth_sessions_by_token ON auth_sessions(token_id);
        """,
        """
        ALTER TABLE auth_sessions ADD COLUMN last_seen_at TEXT;
        UPDATE auth_sessions SET last_seen_at = created_at;
        """,
        "ALTER TABLE snapshots ADD COLUMN state_devices TEXT;",
    ];
}
