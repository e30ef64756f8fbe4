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
  /* 4: journal authenticity — a MAC per row, appends only past the end, the head only through the journal */ `
  -- mac = HMAC-SHA256(audit key, hash); NULL for rows written without a key. The key is never stored here.
  ALTER TABLE audit_log ADD COLUMN mac TEXT;

  -- INSERT OR REPLACE deletes and re-inserts without firing the DELETE/UPDATE triggers: refuse any insert that does
  -- not append past the current last row, and any second insert of the head (an upsert of the head must UPDATE).
  CREATE TRIGGER audit_log_append_only BEFORE INSERT ON audit_log
  WHEN NEW.id IS NULL OR NEW.id <= (SELECT coalesce(max(id), 0) FROM audit_log)
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: a row can only be added after the last one'); END;
  CREATE TRIGGER audit_log_head_insert_once BEFORE INSERT ON meta
  WHEN NEW.key = 'audit_log_head' AND EXISTS (SELECT 1 FROM meta WHERE key = 'audit_log_head')
  BEGIN SELECT RAISE(ABORT, 'the audit_log head cannot be replaced'); END;
  -- The head names a row that exists with that hash.
  CREATE TRIGGER audit_log_head_names_row_insert BEFORE INSERT ON meta
  WHEN NEW.key = 'audit_log_head' AND NOT EXISTS (SELECT 1 FROM audit_log
    WHERE id = json_extract(NEW.value, '$.id') AND hash = json_extract(NEW.value, '$.hash'))
  BEGIN SELECT RAISE(ABORT, 'the audit_log head must name the last journal row'); END;
  CREATE TRIGGER audit_log_head_names_row_update BEFORE UPDATE ON meta
  WHEN OLD.key = 'audit_log_head' AND NOT EXISTS (SELECT 1 FROM audit_log
    WHERE id = json_extract(NEW.value, '$.id') AND hash = json_extract(NEW.value, '$.hash'))
  BEGIN SELECT RAISE(ABORT, 'the audit_log head must name the last journal row'); END;
  `,
  /* 5: signed requests seen (Slack button clicks, HR events), refused when replayed */ `
  -- One row per accepted signed request until its signature window closes; persisted so a restart does not reopen it.
  CREATE TABLE request_replay (
    scope TEXT NOT NULL,
    signature_hash TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (scope, signature_hash)
  ) WITHOUT ROWID;
  CREATE INDEX request_replay_expiry ON request_replay (expires_at);
  `,
  /* 6: lock holders beyond a pid, and one result per intent */ `
  -- A running scan names its holder (nonce, host, pid namespace) and a lease it renews: pid 1 in two containers, or
  -- two hosts on one volume, are different processes.
  ALTER TABLE runs ADD COLUMN holder TEXT;
  ALTER TABLE runs ADD COLUMN lease_expires_at TEXT;

  -- An intent is closed once: a second result (a concurrent reconciliation) is refused. A trigger rather than a
  -- unique index so that a journal already holding such a pair still migrates.
  CREATE TRIGGER audit_log_one_result BEFORE INSERT ON audit_log
  WHEN NEW.kind = 'result' AND NEW.intent_id IS NOT NULL
    AND EXISTS (SELECT 1 FROM audit_log WHERE kind = 'result' AND intent_id = NEW.intent_id)
  BEGIN SELECT RAISE(ABORT, 'audit_log: this intent already has its result'); END;
  `,
  /* 7: lifecycle — the leaver queue, seen HR events, HR leaver events */ `
  -- One row per step of one leaver's offboarding, keyed by the termination moment it was planned from: a moved date
  -- plans new rows and cancels the old pending ones. status: pending -> running -> done | incomplete, or cancelled.
  -- A row left running by a killed serve is run again: every action re-reads its account first, so nothing repeats.
  CREATE TABLE lifecycle_steps (
    person_id TEXT NOT NULL,
    moment TEXT NOT NULL,
    step_index INTEGER NOT NULL,
    policy TEXT NOT NULL,
    offset_days INTEGER NOT NULL,
    due_at TEXT NOT NULL,
    actions TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'incomplete', 'cancelled')),
    planned_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    outcome TEXT,
    PRIMARY KEY (person_id, moment, step_index)
  );
  CREATE INDEX lifecycle_steps_due ON lifecycle_steps (status, due_at);

  -- Signed HR events already taken: the same request again is refused (409), also after a restart.
  CREATE TABLE hr_events_seen (
    request_id TEXT PRIMARY KEY,
    received_at TEXT NOT NULL
  );

  -- Leavers announced by a signed HR event before the roster shows them.
  CREATE TABLE hr_leaver_events (
    employee_id TEXT PRIMARY KEY,
    termination_date TEXT,
    termination_effective_at TEXT NOT NULL,
    received_at TEXT NOT NULL
  );
  `,
  /* 8: credentials — tokens, grants, keys and app secrets beside accounts */ `
  -- Same snapshot semantics as accounts: rows carry the run that collected them and are visible (current_credentials)
  -- only while their source's snapshot points at that run. Appended in arrival order, keyed by a unique index led by
  -- the run like accounts, so dropping a superseded snapshot deletes one contiguous range.
  CREATE TABLE credentials (
    source TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    account_id TEXT,
    owner_account_ids TEXT NOT NULL,
    name TEXT,
    created_at TEXT,
    last_used_at TEXT,
    usage_known INTEGER NOT NULL,
    expires_at TEXT,
    enabled INTEGER NOT NULL,
    scopes TEXT NOT NULL,
    privileged INTEGER NOT NULL,
    attributes TEXT NOT NULL
  );
  CREATE UNIQUE INDEX credentials_key ON credentials (run_id, source, id);
  CREATE INDEX credentials_owner ON credentials (source, account_id);

  CREATE VIEW current_credentials AS
    SELECT credentials.* FROM credentials
    JOIN sources ON sources.name = credentials.source AND sources.snapshot_run_id = credentials.run_id;

  -- A credential finding is keyed by (rule, source, credential id): its account_id column holds the credential id
  -- (so the existing unique key serves both), credential_id marks it, owner_account_id names the owner account.
  ALTER TABLE findings ADD COLUMN credential_id TEXT;
  ALTER TABLE findings ADD COLUMN owner_account_id TEXT;
  ALTER TABLE findings ADD COLUMN credential TEXT;
  -- An exception with \`credential: ID\` covers that one credential.
  ALTER TABLE exceptions ADD COLUMN credential TEXT;
  ALTER TABLE run_sources ADD COLUMN credentials INTEGER;
  `,
  /* 9: sign-in evidence — events of accounts of interest, a cursor per source, the last success per account */ `
  -- Only events of accounts of interest are kept (terminated owners, disabled, orphaned, privileged). Keyed by the
  -- log's own event id so an event read twice (overlapping windows) is stored once.
  CREATE TABLE sign_in_events (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    at TEXT NOT NULL,
    login TEXT,
    result TEXT NOT NULL CHECK (result IN ('success', 'failure')),
    reason TEXT,
    ip TEXT,
    application TEXT,
    PRIMARY KEY (source, id)
  ) WITHOUT ROWID;
  CREATE INDEX sign_in_events_account ON sign_in_events (source, account_id, at);
  -- What a scan or poll has read but not yet committed: moved into sign_in_events, with the cursor, in the commit's
  -- transaction; cleared when the read fails, so a log that fails mid-way counts nothing.
  CREATE TABLE sign_in_events_staged (
    source TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    at TEXT NOT NULL,
    login TEXT,
    result TEXT NOT NULL,
    reason TEXT,
    ip TEXT,
    application TEXT,
    PRIMARY KEY (source, id)
  ) WITHOUT ROWID;
  -- The latest successful sign-in per account (every account, not only those of interest): refines last activity.
  CREATE TABLE sign_in_last_success (
    source TEXT NOT NULL,
    account_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (source, account_id)
  ) WITHOUT ROWID;
  CREATE TABLE sign_in_last_success_staged (
    source TEXT NOT NULL,
    account_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (source, account_id)
  ) WITHOUT ROWID;
  -- The end of the window last read completely, per source.
  CREATE TABLE sign_in_cursors (
    source TEXT PRIMARY KEY,
    read_until TEXT NOT NULL,
    events_total INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
  );
  `,
  /* 10: privilege known — whether the source's roles could be read for the account */ `
  -- privileged = 0 alone cannot tell "not an admin" from "roles unreadable" (Okta or Entra without role read).
  -- Rows stored before this column existed are unknown (0): remediation fails closed on them until the next scan.
  -- The current_accounts view selects accounts.*, so it carries the new column.
  ALTER TABLE accounts ADD COLUMN privilege_known INTEGER NOT NULL DEFAULT 0;
  `,
  /* 11: a suppression's expiry as typed — shown back as typed, not as the converted UTC instant */ `
  -- suppressed_until stays the instant (expiry is compared on it); these say what the person typed (2027-01-31) and
  -- the zone a date was read in, so every view can say "until the end of 2027-01-31, America/New_York".
  ALTER TABLE findings ADD COLUMN suppressed_until_typed TEXT;
  ALTER TABLE findings ADD COLUMN suppressed_until_zone TEXT;
  `,
  /* 12: which credentials a source could not list in a run (unknown, not none) */ `
  -- NULL: the source collects no credentials (or the row predates this column); a JSON array of the notices said
  -- while listing credentials otherwise ('[]': every kind was read). \`leavers\` shows a person's credentials as
  -- unknown when a source of theirs could not list some.
  ALTER TABLE run_sources ADD COLUMN credential_notices TEXT;
  `,
  /* 13: a run names the sources it collects, so scans of other sources may run beside it (one shared database) */ `
  -- JSON array of source names; NULL (runs from before) means every source: such a run blocks any other scan.
  ALTER TABLE runs ADD COLUMN sources TEXT;
  `,
];
