"""The store's schema, as versioned migrations: ``Database.migrate`` applies those a database has not had yet,
in order, each once (PostgreSQL takes them under an advisory lock; ``INTEGER PRIMARY KEY`` becomes
``BIGSERIAL PRIMARY KEY`` there). Add a migration at the end; never edit one that has shipped."""

from __future__ import annotations

__all__ = ["MIGRATIONS"]

MIGRATIONS: list[str] = [
    # 1: the initial schema
    """
    CREATE TABLE incidents (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, status TEXT NOT NULL, severity TEXT,
        services TEXT, channel TEXT, thread_ts TEXT, group_key TEXT,
        created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
        report TEXT, root_cause TEXT, fix TEXT, owner TEXT
    );
    CREATE INDEX incidents_group ON incidents (group_key, status);
    CREATE TABLE timeline (
        id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
        kind TEXT NOT NULL, text TEXT NOT NULL, by_user TEXT
    );
    CREATE TABLE approvals (
        incident_id TEXT NOT NULL, proposal_id TEXT NOT NULL, hash TEXT NOT NULL, decision TEXT NOT NULL,
        by_user TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, UNIQUE (proposal_id, by_user)
    );
    CREATE TABLE executions (
        incident_id TEXT NOT NULL, hash TEXT NOT NULL, tool TEXT NOT NULL, args TEXT NOT NULL,
        status TEXT NOT NULL, approval TEXT, started_at DOUBLE PRECISION NOT NULL,
        finished_at DOUBLE PRECISION, result TEXT, UNIQUE (incident_id, hash)
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, incident_id TEXT, at DOUBLE PRECISION NOT NULL, event TEXT NOT NULL,
        tool TEXT, args TEXT, detail TEXT, by_user TEXT
    );
    CREATE TABLE dedupe (key TEXT PRIMARY KEY, at DOUBLE PRECISION NOT NULL, incident_id TEXT);
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY, incident_id TEXT NOT NULL, verdict TEXT NOT NULL, service TEXT,
        category TEXT, note TEXT, by_user TEXT, at DOUBLE PRECISION NOT NULL
    );
    """,
    # 2: chat messages that belong to an incident (approval cards, progress), so any replica can update them
    """
    CREATE TABLE messages (
        incident_id TEXT NOT NULL, key TEXT NOT NULL, channel TEXT NOT NULL, ts TEXT NOT NULL,
        PRIMARY KEY (incident_id, key)
    );
    """,
    # 3: a decision is unique per incident, proposal and person (proposal ids repeat across incidents:
    # the same rollback proposed next week must be decidable again)
    """
    CREATE TABLE approvals_v3 (
        incident_id TEXT NOT NULL, proposal_id TEXT NOT NULL, hash TEXT NOT NULL, decision TEXT NOT NULL,
        by_user TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, UNIQUE (incident_id, proposal_id, by_user)
    );
    INSERT INTO approvals_v3 (incident_id, proposal_id, hash, decision, by_user, at)
        SELECT incident_id, proposal_id, hash, decision, by_user, at FROM approvals;
    DROP TABLE approvals;
    ALTER TABLE approvals_v3 RENAME TO approvals;
    """,
    # 4: where an incident came from when not from Slack or an alert: 'cli' (``andon investigate`` on live
    # telemetry) or 'replay' (on a telemetry fixture) — kept apart from live incidents an alert can join
    """
    ALTER TABLE incidents ADD COLUMN origin TEXT;
    """,
    # 5: work a slash command accepted, written before Slack is answered, marked started and done, so a
    # restart runs what a crash kept from starting and reports what it cut off midway
    """
    CREATE TABLE jobs (
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        started_at DOUBLE PRECISION, done_at DOUBLE PRECISION
    );
    """,
    # 6: the proactive watch (bot.watch): warnings it raised (one row per service and signal family, for
    # their cooldown), shapes people dismissed as "not a problem", and notes such as being blind
    """
    CREATE TABLE watch_warnings (
        key TEXT PRIMARY KEY, service TEXT NOT NULL, family TEXT NOT NULL, signal TEXT NOT NULL,
        opened_at DOUBLE PRECISION NOT NULL, notified_at DOUBLE PRECISION NOT NULL,
        seen_at DOUBLE PRECISION NOT NULL, closed_at DOUBLE PRECISION, detail TEXT
    );
    CREATE TABLE watch_dismissals (
        service TEXT NOT NULL, signal TEXT NOT NULL, score DOUBLE PRECISION, by_user TEXT,
        at DOUBLE PRECISION NOT NULL, PRIMARY KEY (service, signal)
    );
    CREATE TABLE watch_notes (name TEXT PRIMARY KEY, value TEXT NOT NULL, at DOUBLE PRECISION NOT NULL);
    """,
    # 7: an incident the watch saw coming: when its early warning was posted (created_at moves back to it, so
    # MTTR starts at the warning) and how long before the alert's page (the lead time)
    """
    ALTER TABLE incidents ADD COLUMN warned_at DOUBLE PRECISION;
    ALTER TABLE incidents ADD COLUMN lead_s DOUBLE PRECISION;
    """,
]
