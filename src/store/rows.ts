import type {
  Account,
  AccountType,
  CredentialSummary,
  Finding,
  FindingStatus,
  Match,
  MatchMethod,
  Person,
  Severity,
} from '../contract/model.js';

/** Mapping between the shared shapes and SQLite rows (booleans as 0/1, arrays and objects as JSON). */

/** One key for an account (or a credential) of a source, for in-memory maps and sets: `source`, NUL, `id`. */
export function accountKey(source: string, id: string): string {
  return `${source}\u0000${id}`;
}

/** The source and id an accountKey was made of. */
export function splitAccountKey(key: string): [source: string, id: string] {
  const separator = key.indexOf('\u0000');
  return [key.slice(0, separator), key.slice(separator + 1)];
}

export interface AccountRow {
  source: string;
  run_id: number;
  id: string;
  login: string | null;
  email: string | null;
  emails: string;
  employee_id: string | null;
  display_name: string | null;
  enabled: number;
  raw_status: string | null;
  type: string;
  created_at: string | null;
  last_activity_at: string | null;
  activity_known: number;
  privileged: number;
  privilege_known: number;
  licenses: string;
  built_in: number;
  attributes: string;
  person_id: string | null;
  match_method: string;
  matched_on: string | null;
  match_candidates: string;
}

/** The `accounts` columns in the order `accountRowValues` fills them. */
export const ACCOUNT_COLUMNS = [
  'source',
  'run_id',
  'id',
  'login',
  'email',
  'emails',
  'employee_id',
  'display_name',
  'enabled',
  'raw_status',
  'type',
  'created_at',
  'last_activity_at',
  'activity_known',
  'privileged',
  'licenses',
  'built_in',
  'attributes',
  'person_id',
  'match_method',
  'matched_on',
  'match_candidates',
  'privilege_known',
] as const satisfies readonly (keyof AccountRow)[];

/** Position of each column in ACCOUNT_COLUMNS. */
const AT = Object.fromEntries(ACCOUNT_COLUMNS.map((column, index) => [column, index])) as Record<
  (typeof ACCOUNT_COLUMNS)[number],
  number
>;

/*
 * Most accounts have no extra emails, no match candidates and no attributes: a million rows are written and read
 * back per scan, and skipping JSON for the empty cases saves a call and an allocation per cell. Same text either way.
 */
function listJson(list: readonly string[]): string {
  return list.length === 0 ? '[]' : JSON.stringify(list);
}

function objectJson(object: Record<string, unknown>): string {
  for (const _ in object) return JSON.stringify(object);
  return '{}';
}

function parseList(text: string): string[] {
  return text === '[]' ? [] : (JSON.parse(text) as string[]);
}

function parseObject(text: string): Record<string, unknown> {
  return text === '{}' ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** An account row as positional values (ACCOUNT_COLUMNS order): what bulk inserts bind, without a keyed object. */
export function accountRowValues(account: Account, match: Match, runId: number): unknown[] {
  return [
    account.source,
    runId,
    account.id,
    account.login,
    account.email,
    listJson(account.emails),
    account.employeeId,
    account.displayName,
    account.enabled ? 1 : 0,
    account.rawStatus,
    account.type,
    account.createdAt,
    account.lastActivityAt,
    account.activityKnown ? 1 : 0,
    account.privileged ? 1 : 0,
    listJson(account.licenses),
    account.builtIn ? 1 : 0,
    objectJson(account.attributes),
    match.personId,
    match.method,
    match.matchedOn,
    listJson(match.candidates),
    account.privilegeKnown ? 1 : 0,
  ];
}

/** An account read as positional values in ACCOUNT_COLUMNS order (a `.raw()` statement), without a keyed row. */
export function accountFromValues(values: readonly unknown[]): Account {
  return {
    source: values[AT.source] as string,
    id: values[AT.id] as string,
    login: values[AT.login] as string | null,
    email: values[AT.email] as string | null,
    emails: parseList(values[AT.emails] as string),
    employeeId: values[AT.employee_id] as string | null,
    displayName: values[AT.display_name] as string | null,
    enabled: values[AT.enabled] === 1,
    rawStatus: values[AT.raw_status] as string | null,
    type: values[AT.type] as AccountType,
    createdAt: values[AT.created_at] as string | null,
    lastActivityAt: values[AT.last_activity_at] as string | null,
    activityKnown: values[AT.activity_known] === 1,
    privileged: values[AT.privileged] === 1,
    privilegeKnown: values[AT.privilege_known] === 1,
    licenses: parseList(values[AT.licenses] as string),
    builtIn: values[AT.built_in] === 1,
    attributes: parseObject(values[AT.attributes] as string),
  };
}

/** The match stored with an account read as positional values (see accountFromValues). */
export function matchFromValues(values: readonly unknown[]): Match {
  return {
    personId: values[AT.person_id] as string | null,
    method: values[AT.match_method] as MatchMethod,
    matchedOn: values[AT.matched_on] as string | null,
    candidates: parseList(values[AT.match_candidates] as string),
  };
}

export function rowToAccount(row: AccountRow): Account {
  return {
    source: row.source,
    id: row.id,
    login: row.login,
    email: row.email,
    emails: JSON.parse(row.emails) as string[],
    employeeId: row.employee_id,
    displayName: row.display_name,
    enabled: row.enabled === 1,
    rawStatus: row.raw_status,
    type: row.type as AccountType,
    createdAt: row.created_at,
    lastActivityAt: row.last_activity_at,
    activityKnown: row.activity_known === 1,
    privileged: row.privileged === 1,
    privilegeKnown: row.privilege_known === 1,
    licenses: JSON.parse(row.licenses) as string[],
    builtIn: row.built_in === 1,
    attributes: JSON.parse(row.attributes) as Record<string, unknown>,
  };
}

export function rowToMatch(row: AccountRow): Match {
  return {
    method: row.match_method as MatchMethod,
    personId: row.person_id,
    matchedOn: row.matched_on,
    candidates: JSON.parse(row.match_candidates) as string[],
  };
}

export interface PersonRow {
  employee_id: string;
  email: string;
  name: string | null;
  status: string;
  worker_type: string | null;
  hire_date: string | null;
  termination_date: string | null;
  termination_effective_at: string | null;
  manager_id: string | null;
  department: string | null;
  aliases: string;
  run_id: number;
}

export function personToRow(person: Person, runId: number): PersonRow {
  return {
    employee_id: person.employeeId,
    email: person.email,
    name: person.name,
    status: person.status,
    worker_type: person.workerType,
    hire_date: person.hireDate,
    termination_date: person.terminationDate,
    termination_effective_at: person.terminationEffectiveAt,
    manager_id: person.managerId,
    department: person.department,
    aliases: JSON.stringify(person.aliases),
    run_id: runId,
  };
}

export function rowToPerson(row: PersonRow): Person {
  return {
    employeeId: row.employee_id,
    email: row.email,
    name: row.name,
    status: row.status as Person['status'],
    workerType: row.worker_type,
    hireDate: row.hire_date,
    terminationDate: row.termination_date,
    terminationEffectiveAt: row.termination_effective_at,
    managerId: row.manager_id,
    department: row.department,
    aliases: JSON.parse(row.aliases) as string[],
  };
}

export interface FindingRow {
  id: number;
  rule: string;
  source: string;
  account_id: string;
  severity: string;
  status: string;
  person_id: string | null;
  login: string | null;
  email: string | null;
  display_name: string | null;
  message: string;
  evidence: string;
  first_seen: string;
  last_seen: string;
  last_run_id: number | null;
  status_changed_at: string;
  suppressed_until: string | null;
  suppress_reason: string | null;
  suppressed_by: string | null;
  suppression_origin: 'manual' | 'exception' | null;
  suppressed_until_typed?: string | null;
  suppressed_until_zone?: string | null;
  ticket_key: string | null;
  credential_id?: string | null;
  owner_account_id?: string | null;
  credential?: string | null;
}

export function rowToFinding(row: FindingRow): Finding {
  return {
    id: row.id,
    rule: row.rule,
    severity: row.severity as Severity,
    status: row.status as FindingStatus,
    source: row.source,
    // A credential finding's account_id column holds its key (the credential id); the owner is owner_account_id.
    accountId: row.credential_id ? (row.owner_account_id ?? '') : row.account_id,
    login: row.login,
    email: row.email,
    displayName: row.display_name,
    personId: row.person_id,
    firstSeen: row.first_seen,
    lastSeen: row.last_seen,
    message: row.message,
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    suppressedUntil: row.suppressed_until,
    suppressedUntilAsTyped:
      row.suppressed_until_typed && row.suppressed_until
        ? { value: row.suppressed_until_typed, timezone: row.suppressed_until_zone ?? 'UTC' }
        : null,
    suppressReason: row.suppress_reason,
    suppressedBy: row.suppressed_by,
    ticketKey: row.ticket_key,
    credentialId: row.credential_id ?? null,
    credential: row.credential ? (JSON.parse(row.credential) as CredentialSummary) : null,
  };
}
