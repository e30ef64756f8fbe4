/**
 * Versioned schema, applied in order inside one transaction each; `PRAGMA user_version` records the last one.
 * Never edit a shipped migration: add the next one.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: the scanner spine */ `
  CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'partial', 'interrupted')),
    pid INTEGER,
    roster_file TEXT,
    roster_people INTEGER,
    roster_sha256 TEXT,
    roster_change_accepted INTEGER NOT NULL DEFAULT 0,
    findings_opened INTEGER,
    findings_resolved INTEGER,
    findings_open INTEGER
  );

  -- One row per source per run: the per-source completeness that runs, reports and remediation rely on.
  CREATE TABLE run_sources (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    source TEXT NOT NULL,
    type TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'interrupted')),
    accounts INTEGER NOT NULL DEFAULT 0,
    activity_known INTEGER,
    error TEXT,
    notices TEXT NOT NULL DEFAULT '[]',
    started_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (run_id, source)
  );

  -- Each source's current snapshot is the last run that collected it completely. Rows of a run that failed or
  -- was interrupted are never pointed at, so a half-collected source is invisible until it is cleaned up.
  CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    role TEXT NOT NULL,
    snapshot_run_id INTEGER REFERENCES runs(id),
    last_run_id INTEGER REFERENCES runs(id),
    last_status TEXT,
    last_error TEXT
  );

  -- Account snapshots, stamped with the run that saw them, with the account->person match made at ingestion.
  CREATE TABLE accounts (
    source TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    login TEXT,
    email TEXT,
    emails TEXT NOT NULL,
    employee_id TEXT,
    display_name TEXT,
    enabled INTEGER NOT NULL,
    raw_status TEXT,
    type TEXT NOT NULL,
    created_at TEXT,
    last_activity_at TEXT,
    activity_known INTEGER NOT NULL,
    privileged INTEGER NOT NULL,
    licenses TEXT NOT NULL,
    built_in INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    person_id TEXT,
    match_method TEXT NOT NULL,
    matched_on TEXT,
    match_candidates TEXT NOT NULL,
    PRIMARY KEY (source, run_id, id)
  ) WITHOUT ROWID;

  CREATE VIEW current_accounts AS
    SELECT accounts.* FROM accounts
    JOIN sources ON sources.name = accounts.source AND sources.snapshot_run_id = accounts.run_id;

  CREATE VIEW account_matches AS
    SELECT source, id AS account_id, person_id, match_method, matched_on, match_candidates FROM current_accounts;

  -- The last accepted HR roster.
  CREATE TABLE people (
    employee_id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    name TEXT,
    status TEXT NOT NULL,
    worker_type TEXT,
    hire_date TEXT,
    termination_date TEXT,
    termination_effective_at TEXT,
    manager_id TEXT,
    department TEXT,
    aliases TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id)
  );

  CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    rule TEXT NOT NULL,
    source TEXT NOT NULL,
    account_id TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'suppressed', 'resolved', 'remediated')),
    person_id TEXT,
    login TEXT,
    email TEXT,
    display_name TEXT,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_run_id INTEGER REFERENCES runs(id),
    status_changed_at TEXT NOT NULL,
    suppressed_until TEXT,
    suppress_reason TEXT,
    suppressed_by TEXT,
    suppression_origin TEXT CHECK (suppression_origin IN ('manual', 'exception')),
    ticket_key TEXT,
    UNIQUE (rule, source, account_id)
  );
  CREATE INDEX findings_status ON findings (status);

  -- Every status change of every finding, with who or what caused it.
  CREATE TABLE finding_events (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    run_id INTEGER REFERENCES runs(id),
    at TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT
  );
  CREATE INDEX finding_events_finding ON finding_events (finding_id);

  -- Standing exceptions from the config, as they were at the last scan (for reports).
  CREATE TABLE exceptions (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    login TEXT NOT NULL,
    reason TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires TEXT NOT NULL,
    rules TEXT
  );

  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  /* 2: the remediation journal and termination reports */ `
  -- Append-only, hash-chained: hash = sha256(prev_hash + canonical JSON of the row). Rows are never updated or
  -- deleted (the triggers below); the head (last id + hash) lives in meta so a truncated tail is detected too.
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('intent', 'result', 'decision')),
    intent_id INTEGER,
    actor TEXT NOT NULL,
    finding_id INTEGER,
    person_id TEXT,
    source TEXT,
    account_id TEXT,
    action TEXT,
    status TEXT,
    reason TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX audit_log_intent ON audit_log (intent_id);
  CREATE INDEX audit_log_finding ON audit_log (finding_id);

  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted'); END;

  -- The journal head only moves forward and is never removed.
  CREATE TRIGGER audit_log_head_no_delete BEFORE DELETE ON meta WHEN OLD.key = 'audit_log_head'
  BEGIN SELECT RAISE(ABORT, 'the audit_log head cannot be deleted'); END;
  CREATE TRIGGER audit_log_head_forward BEFORE UPDATE ON meta WHEN OLD.key = 'audit_log_head' AND (
    NEW.key != OLD.key OR
    CAST(json_extract(NEW.value, '$.id') AS INTEGER) <= CAST(json_extract(OLD.value, '$.id') AS INTEGER))
  BEGIN SELECT RAISE(ABORT, 'the audit_log head only moves forward'); END;

  -- One row per offboarding run: the termination report exactly as printed (report termination renders it).
  CREATE TABLE termination_reports (
    id INTEGER PRIMARY KEY,
    person_id TEXT NOT NULL,
    started_at TEXT NOT NULL,
    json TEXT NOT NULL
  );
  CREATE INDEX termination_reports_person ON termination_reports (person_id);
  `,
  /* 3: accounts appended in arrival order, keyed by a unique index led by the run */ `
  -- Sources list accounts in no useful key order. In the WITHOUT ROWID table every insert landed at a random place in
  -- a B-tree of whole rows (npm run bench: 1M accounts took ~28 s to store, ~5x the floor). As a rowid table the rows
  -- are appended and only the small key index takes random inserts (~8 s); rule evaluation reads a run's rows back in
  -- that stored order. The key leads with run_id so that dropping a superseded snapshot deletes one contiguous range
  -- of the index. Same columns and views.
  DROP VIEW account_matches;
  DROP VIEW current_accounts;
  CREATE TABLE accounts_appended (
    source TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    login TEXT,
    email TEXT,
    emails TEXT NOT NULL,
    employee_id TEXT,
    display_name TEXT,
    enabled INTEGER NOT NULL,
    raw_status TEXT,
    type TEXT NOT NULL,
    created_at TEXT,
    last_activity_at TEXT,
    activity_known INTEGER NOT NULL,
    privileged INTEGER NOT NULL,
    licenses TEXT NOT NULL,
    built_in INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    person_id TEXT,
    match_method TEXT NOT NULL,
    matched_on TEXT,
    match_candidates TEXT NOT NULL
  );
  INSERT INTO accounts_appended (source, run_id, id, login, email, emails, employee_id, display_name, enabled,
      raw_status, type, created_at, last_activity_at, activity_known, privileged, licenses, built_in, attributes,
      person_id, match_method, matched_on, match_candidates)
    SELECT source, run_id, id, login, email, emails, employee_id, display_name, enabled, raw_status, type, created_at,
      last_activity_at, activity_known, privileged, licenses, built_in, attributes, person_id, match_method, matched_on,
      match_candidates
    FROM accounts ORDER BY run_id, source, id;
  DROP TABLE accounts;
  ALTER TABLE accounts_appended RENAME TO accounts;
  CREATE UNIQUE INDEX accounts_key ON accounts (run_id, source, id);

  CREATE VIEW current_accounts AS
    SELECT accounts.* FROM accounts
    JOIN sources ON sources.name = accounts.source AND sources.snapshot_run_id = accounts.run_id;

  CREATE VIEW account_matches AS
    SELECT source, id AS account_id, person_id, match_method, matched_on, match_candidates FROM current_accounts;
  `,
  /* privilege known: whether the source's roles could be read for the account */ `
  -- privileged = 0 alone cannot tell "not an admin" from "roles unreadable" (Okta or Entra without role read).
  -- Rows stored before this column existed are unknown (0): remediation fails closed on them until the next scan.
  -- The current_accounts view selects accounts.*, so it carries the new column.
  ALTER TABLE accounts ADD COLUMN privilege_known INTEGER NOT NULL DEFAULT 0;
  `,
];
