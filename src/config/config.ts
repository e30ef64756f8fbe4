import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, type Node } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../contract/errors.js';
import { HR_STATUSES, SEVERITIES } from '../contract/model.js';
import { ACTION_NAMES, type ActionName } from '../contract/action.js';
import { isValidTimeZone } from '../common/time.js';
import { isLoopbackHost } from '../common/url.js';
import { DEFAULT_LIFECYCLE, lifecycleSchema, resolveDecayPolicies } from './lifecycle.js';
import { suggest } from '../common/closest.js';
import { describeConfigIssues } from './config-issues.js';

/**
 * The YAML config: parsed with line numbers so every error names file, line and field; `${VAR}` replaced from the
 * environment after parsing (never textually, so a variable cannot inject YAML); secret fields accepted only as
 * `${VAR}` references, and their values registered so the logger and store can redact them.
 */

const DEFAULT_CONFIG_FILE = 'zombiescan.yaml';

/** Keys whose values are credentials (`key`: a Google service-account key's JSON or `audit.key`; `privateKey`: a
 * GitHub App's). */
const SECRET_KEY = /(token|secret|password|apikey|signingsecret|privatekey)$|^key$/i;

/** A `${VAR}` kept as written because its variable is unset (LoadOptions.allowMissingEnv). */
export const UNRESOLVED_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/;

const sourceName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, "-" and "_" only (it names the source in reports)');

const sourceCommon = {
  name: sourceName,
  /** `idp`: an identity provider, the "front door" whose accounts gate the apps. */
  role: z.enum(['idp', 'app']).default('app'),
  /** Give up on the source after this long; it is then marked failed, never silently short. */
  timeoutSeconds: z.number().positive().default(300),
};

/**
 * Every URL setting: https (plain http only to a loopback host), and no `user:password@` — a credential goes in its
 * own `${VAR}` field, never inside a URL that ends up in errors and logs.
 */
const httpUrl = z.url({ protocol: /^https?$/ }).superRefine((value, context) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return; // z.url has said why already
  }
  if (url.username !== '' || url.password !== '') {
    context.addIssue({
      code: 'custom',
      message: 'no user or password inside a URL: put the credential in its own setting, from the environment',
    });
  } else if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname)) {
    context.addIssue({ code: 'custom', message: 'https is required (plain http only for 127.0.0.1 or localhost)' });
  }
});

/** URL-valued settings: one given whole as `${VAR}` is treated as secret-capable (see `interpolate`). */
const URL_KEY = /url$/i;

/** A URL's path and query when there is more than `/`; null otherwise (or when it is not a URL). */
function pathAndQuery(value: string): string | null {
  try {
    const url = new URL(value);
    const rest = url.pathname + url.search;
    return rest === '/' ? null : rest;
  } catch {
    return null;
  }
}

/** Fields of the generic CSV account export (`type: csv`); `columns` maps them onto your export's headers. */
export const CSV_SOURCE_FIELDS = [
  'id',
  'login',
  'email',
  'employee_id',
  'display_name',
  'status',
  'type',
  'created_at',
  'last_login_at',
  'privileged',
  'licenses',
  'emails',
] as const;
export type CsvSourceField = (typeof CSV_SOURCE_FIELDS)[number];
export const CSV_ACCOUNT_STATUSES = ['active', 'disabled', 'suspended', 'deleted'] as const;

export const csvSourceSchema = z.strictObject({
  ...sourceCommon,
  type: z.literal('csv'),
  path: z.string().min(1),
  delimiter: z.string().length(1).default(','),
  /** Our field -> your export's header, e.g. { id: "User ID", last_login_at: "Last Login" }. */
  columns: z.partialRecord(z.enum(CSV_SOURCE_FIELDS), z.string().min(1)).optional(),
  /**
   * A date-fns pattern such as `M/d/yyyy, h:mm a`, or a list of them when columns differ (each value must match
   * one); default ISO 8601 dates and date-times.
   */
  dateFormat: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Your export's status word -> active/disabled/suspended/deleted (case-insensitive), e.g. { Inactive: disabled }. */
  statusMap: z.record(z.string().min(1), z.enum(CSV_ACCOUNT_STATUSES)).optional(),
  /** Where date-only values and date-times without an offset are read; defaults to the top-level `timezone`. */
  timezone: z.string().refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin').optional(),
});

export const oktaSourceSchema = z.strictObject({
  ...sourceCommon,
  type: z.literal('okta'),
  orgUrl: httpUrl,
  token: z.string().min(1),
});

export const entraSourceSchema = z.strictObject({
  ...sourceCommon,
  type: z.literal('entra'),
  tenantId: z.string().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  graphUrl: httpUrl.default('https://graph.microsoft.com'),
  authorityUrl: httpUrl.default('https://login.microsoftonline.com'),
});

export const slackSourceSchema = z.strictObject({
  ...sourceCommon,
  type: z.literal('slack'),
  token: z.string().min(1),
  /** A user token with admin scopes for team.accessLogs and the SCIM API; defaults to `token`. */
  adminToken: z.string().min(1).optional(),
  apiUrl: httpUrl.default('https://slack.com/api/'),
  scimUrl: httpUrl.default('https://api.slack.com/scim/v2/'),
});

export const scimSourceSchema = z.strictObject({
  ...sourceCommon,
  type: z.literal('scim'),
  baseUrl: httpUrl,
  token: z.string().min(1),
  /** Page size asked for; servers may return fewer. */
  pageSize: z.number().int().positive().max(1000).default(100),
});

/** The OAuth scopes of the Admin SDK Directory API that the google source asks for. */
export const GOOGLE_SCOPES = {
  read: 'https://www.googleapis.com/auth/admin.directory.user.readonly',
  act: 'https://www.googleapis.com/auth/admin.directory.user',
  security: 'https://www.googleapis.com/auth/admin.directory.user.security',
  /** Reports API login activity (sign-in evidence). */
  reports: 'https://www.googleapis.com/auth/admin.reports.audit.readonly',
} as const;

export const googleSourceSchema = z
  .strictObject({
    ...sourceCommon,
    type: z.literal('google'),
    /** Path to the service account's JSON key (relative to the config file). */
    keyFile: z.string().min(1).optional(),
    /** The JSON key itself, only as a `${VAR}` reference. */
    key: z.string().min(1).optional(),
    /** The admin the service account impersonates through domain-wide delegation. */
    subject: z.email('the email address of a Google Workspace admin the service account impersonates'),
    /** Customer id or `my_customer` (the default, every domain of the account); or `domain` for one domain. */
    customer: z.string().min(1).optional(),
    domain: z.string().min(1).optional(),
    apiUrl: httpUrl.default('https://admin.googleapis.com/'),
    tokenUrl: httpUrl.default('https://oauth2.googleapis.com/token'),
    /** Org units whose users are service accounts, e.g. "/Service Accounts" (sub-units included). */
    serviceOrgUnits: z.array(z.string().startsWith('/', 'an org unit path such as "/Service Accounts"')).default([]),
  })
  .superRefine((source, context) => {
    if ((source.keyFile === undefined) === (source.key === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['keyFile'],
        message:
          'give exactly one of keyFile (path to the service account JSON key) or key ("${GOOGLE_SA_KEY}", the JSON itself)',
      });
    }
    if (source.customer !== undefined && source.domain !== undefined) {
      context.addIssue({
        code: 'custom',
        path: ['domain'],
        message: 'give customer (every domain of the account) or domain (one domain), not both',
      });
    }
    if (source.key !== undefined && !source.key.startsWith('${')) {
      const problem = serviceAccountKeyProblem(source.key);
      if (problem) context.addIssue({ code: 'custom', path: ['key'], message: problem });
    }
  });

/**
 * Why a text is not a usable service-account key, or null. Never quotes the text: it is a credential.
 */
export function serviceAccountKeyProblem(text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'not JSON: expected the service account key file Google gives (IAM & Admin > Service accounts > Keys > Add key > JSON)';
  }
  const key = (parsed ?? {}) as Record<string, unknown>;
  if (typeof parsed !== 'object' || key.type !== 'service_account') {
    return (
      'not a service account key (its "type" is not "service_account"): create a JSON key for a service account ' +
      '(IAM & Admin > Service accounts > Keys > Add key > JSON); OAuth client secrets and user credentials do not work'
    );
  }
  const missing = ['client_email', 'private_key'].filter(
    (field) => typeof key[field] !== 'string' || key[field] === '',
  );
  if (missing.length > 0) return `service account key without ${missing.join(' and ')}: download a new JSON key`;
  return null;
}

export const githubSourceSchema = z
  .strictObject({
    ...sourceCommon,
    /** Paging a 50,000-member org stays inside GitHub's hourly budget but takes minutes: see README "GitHub". */
    timeoutSeconds: z.number().positive().default(1800),
    type: z.literal('github'),
    /** The organization's login, as in github.com/ORG. */
    org: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/, 'a GitHub organization login such as "acme"'),
    /** Classic PAT (read:org to scan, admin:org to act) or fine-grained token with organization Members access. */
    token: z.string().min(1).optional(),
    /** A GitHub App installed on the org (Members: read to scan, read and write to act). */
    app: z
      .strictObject({
        appId: z.union([z.number().int().positive(), z.string().regex(/^\d+$/, 'the numeric App ID')]),
        installationId: z.number().int().positive(),
        /** The App's PEM private key, from the environment. */
        privateKey: z.string().min(1),
      })
      .optional(),
    /** GitHub Enterprise Server: https://HOST/api/v3. */
    apiUrl: httpUrl.default('https://api.github.com'),
    /** CSV `login,employee_id,email` linking GitHub logins to people, used after SAML and verified-domain emails. */
    identityMap: z.string().min(1).optional(),
  })
  .superRefine((source, context) => {
    if ((source.token === undefined) === (source.app === undefined)) {
      context.addIssue({
        code: 'custom',
        path: source.token === undefined ? ['token'] : ['app'],
        message: 'give exactly one of token or app {appId, installationId, privateKey}',
      });
    }
  });
/** IAM user names and Identity Center ids are case-sensitive; tag keys too. */
export const awsSourceSchema = z.strictObject({
  ...sourceCommon,
  type: z.literal('aws'),
  /** Region of the IAM and STS clients (IAM is global: us-east-1 in the aws partition). */
  region: z.string().min(1).default('us-east-1'),
  /** A named profile of the standard AWS config (~/.aws/config, SSO included); default: the default chain. */
  profile: z.string().min(1).optional(),
  /** Role to assume in the account to scan (cross-account), with the chain's credentials. */
  assumeRoleArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/,
      'a role ARN such as arn:aws:iam::123456789012:role/zombiescan-audit',
    )
    .optional(),
  /** Sent with AssumeRole when the role's trust policy requires one. */
  externalId: z.string().min(1).optional(),
  /** One endpoint for IAM, STS and the identity store: tests and private endpoints. */
  endpoint: httpUrl.optional(),
  /** IAM user tag holding the person's email (the user name counts when it is an email). */
  emailTag: z.string().min(1).default('email'),
  /** IAM user tag holding the HR employee id. */
  employeeIdTag: z.string().min(1).default('employee_id'),
  /** IAM user tag whose value `service` (or `bot`) makes the user a service account. */
  typeTag: z.string().min(1).default('type'),
  /** Identity Center identity store (d-xxxxxxxxxx) whose users are collected too. */
  identityStoreId: z.string().min(1).optional(),
  /** Region of the Identity Center instance; default `region`. */
  identityStoreRegion: z.string().min(1).optional(),
  /** Root password used within this many days opens root-credentials-in-use (default: that rule's `days`, 90). */
  days: z.number().int().positive().optional(),
  /** Per-user IAM calls in flight at once: IAM's quota is per account and shared with everything else. */
  concurrency: z.number().int().min(1).max(20).default(4),
  /** SDK attempts per call (adaptive retry mode: throttling slows the client down). */
  maxAttempts: z.number().int().min(1).max(20).default(8),
});

export const sourceSchema = z.discriminatedUnion('type', [
  csvSourceSchema,
  oktaSourceSchema,
  entraSourceSchema,
  slackSourceSchema,
  scimSourceSchema,
  googleSourceSchema,
  githubSourceSchema,
  awsSourceSchema,
]);

export type SourceConfig = z.infer<typeof sourceSchema>;
export type CsvSourceConfig = z.infer<typeof csvSourceSchema>;
export type OktaSourceConfig = z.infer<typeof oktaSourceSchema>;
export type EntraSourceConfig = z.infer<typeof entraSourceSchema>;
export type SlackSourceConfig = z.infer<typeof slackSourceSchema>;
export type ScimSourceConfig = z.infer<typeof scimSourceSchema>;
export type GoogleSourceConfig = z.infer<typeof googleSourceSchema>;
export type GitHubSourceConfig = z.infer<typeof githubSourceSchema>;
export type AwsSourceConfig = z.infer<typeof awsSourceSchema>;

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export const ROSTER_FIELDS = [
  'employeeId',
  'email',
  'name',
  'status',
  'workerType',
  'hireDate',
  'terminationDate',
  'managerId',
  'department',
  'aliases',
] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

const rosterSchema = z.strictObject({
  /** A CSV file; or `url`, an HR system's report that answers CSV (exactly one of the two). */
  path: z.string().min(1).optional(),
  url: httpUrl.optional(),
  /** Basic auth for `url`. */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** Extra request headers for `url` (an API key); their values are redacted like credentials. */
  headers: z.record(z.string().min(1), z.string()).default({}),
  timeoutSeconds: z.number().positive().default(120),
  /** Our field name -> your CSV header. A field left out uses its default header. */
  columns: z.partialRecord(z.enum(ROSTER_FIELDS), z.string().min(1)).default({}),
  delimiter: z.string().length(1).default(','),
  /** A date-fns pattern such as dd/MM/yyyy; default ISO 8601 dates and date-times. */
  dateFormat: z.string().min(1).optional(),
  /** Your HR status word -> active/leave/terminated, for words outside the built-in list ("Garden Leave": leave). */
  statusMap: z.record(z.string().min(1), z.enum(HR_STATUSES)).optional(),
});

/** `delete` is for graceful offboarding (lifecycle.decay) alone, never a finding's remediation policy. */
const POLICY_ACTIONS = ACTION_NAMES.filter((action): action is Exclude<ActionName, 'delete'> => action !== 'delete');

const remediationSchema = z.strictObject({
  /** Apply the policy after each scheduled scan (`serve`). Off by default: a human approves. */
  autoApply: z.boolean().default(false),
  /** More actions than this in one run are refused unless `--max N`. */
  maxActionsPerRun: z.number().int().positive().default(25),
  /** Per rule id, the ordered actions; rules left out use the built-in defaults. */
  policy: z.record(z.string(), z.array(z.enum(POLICY_ACTIONS)).min(1)).default({}),
});

const ticketsSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('jira'),
    baseUrl: httpUrl,
    email: z.string().min(1),
    apiToken: z.string().min(1),
    project: z.string().min(1),
    issueType: z.string().min(1).default('Task'),
    /** Extra labels on every ticket (zombiescan always adds its own finding label). */
    labels: z.array(z.string()).default([]),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    url: httpUrl,
    /** Sent as `Authorization: Bearer …` when set. */
    token: z.string().min(1).optional(),
  }),
]);

const slackNotifySchema = z.strictObject({
  /** Bot token (xoxb-) with chat:write, users:read, users:read.email. */
  token: z.string().min(1),
  /** Channel id (C…) the digest goes to. */
  channel: z.string().min(1),
  /** Signing secret of the Slack app: verifies button clicks on POST /slack/actions. */
  signingSecret: z.string().min(1).optional(),
  /** Slack user ids (U…) allowed to suppress or approve. */
  reviewers: z.array(z.string().min(1)).default([]),
  apiUrl: httpUrl.default('https://slack.com/api/'),
});

const configSchema = z.strictObject({
  database: z.string().min(1).default('./zombiescan.db'),
  /** When a date-only HR date takes effect. */
  timezone: z.string().refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin').default('UTC'),
  roster: rosterSchema,
  identity: z
    .strictObject({
      domainAliases: z.record(z.string().min(1), z.string().min(1)).default({}),
      stripPlusTags: z.boolean().default(true),
    })
    .default({ domainAliases: {}, stripPlusTags: true }),
  sources: z.array(sourceSchema).default([]),
  rules: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  serviceAccounts: z
    .array(
      z.strictObject({
        source: sourceName,
        /** Glob on login or email, `*` matches anything. */
        login: z.string().min(1),
        /** Declared owner's employee id. */
        owner: z.string().min(1),
      }),
    )
    .default([]),
  exceptions: z
    .array(
      z.strictObject({
        source: sourceName,
        /** Glob on login or email, `*` matches anything. */
        login: z.string().min(1),
        reason: z.string().min(1),
        owner: z.string().min(1),
        expires: isoDate,
        /** Limit the exception to these rules; all rules when left out. */
        rules: z.array(z.string()).optional(),
        /**
         * Covers one credential (its vendor id) instead of an account. An exception on an account covers that
         * account's credentials too. With \`credential\`, \`login\` may be \`"*"\` (any owner).
         */
        credential: z.string().min(1).optional(),
      }),
    )
    .default([]),
  remediation: remediationSchema.default({ autoApply: false, maxActionsPerRun: 25, policy: {} }),
  /** Where `ticket` actions go; without it they are refused with a clear reason. */
  tickets: ticketsSchema.optional(),
  /** The findings digest and the review buttons. */
  slack: slackNotifySchema.optional(),
  audit: z
    .strictObject({
      /**
       * HMAC-SHA256 key for the remediation journal (`\${ZOMBIESCAN_AUDIT_KEY}`; never stored in the database). With it
       * a history rewritten by someone who can write the database fails `audit-log verify`; without it the hash chain
       * only detects accidental or naive edits.
       */
      key: z
        .string()
        .refine(
          (key) => key.length >= 32 || UNRESOLVED_REFERENCE.test(key),
          'at least 32 characters (e.g. `openssl rand -hex 32`)',
        )
        .optional(),
    })
    .optional(),
  schedule: z
    .strictObject({
      /** node-cron expression, evaluated in `timezone`. */
      cron: z.string().min(1).default('0 2 * * *'),
    })
    .default({ cron: '0 2 * * *' }),
  serve: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** Public URL of the reports folder, linked from the Slack digest. */
      reportsUrl: httpUrl.optional(),
    })
    .default({ host: '127.0.0.1', port: 8080 }),
  licenses: z
    .strictObject({
      /** Monthly price per licence SKU (id or name as the source reports it). */
      prices: z.record(z.string(), z.number().nonnegative()).default({}),
      currency: z.string().length(3).default('USD'),
    })
    .default({ prices: {}, currency: 'USD' }),
  scan: z
    .strictObject({
      /** Largest roster shrink accepted without --accept-roster-change, as a fraction. */
      maxRosterShrink: z.number().min(0).max(1).default(0.2),
      failOn: z.enum(SEVERITIES).optional(),
    })
    .default({ maxRosterShrink: 0.2 }),
  /** Scheduled and graceful offboarding (src/config/lifecycle.ts). */
  lifecycle: lifecycleSchema.default(DEFAULT_LIFECYCLE),
  /** Sign-in evidence from the sources that keep sign-in logs (Okta System Log, Entra sign-ins, Google Reports). */
  signIns: z
    .strictObject({
      /** How far back the first read of a source's log goes; later scans continue from the stored cursor. */
      lookbackDays: z.number().int().min(1).max(180).default(7),
      /** `serve`: read the logs this often between scans; off when absent. */
      pollMinutes: z.number().int().min(1).max(1440).optional(),
    })
    .default({ lookbackDays: 7 }),
});

export type Config = z.infer<typeof configSchema> & {
  /** Absolute path of the file it came from. */
  file: string;
  /** Credential values, so logs, errors and the database can redact them. */
  secrets: string[];
};

/** `database: postgres://…` (or postgresql://) selects the PostgreSQL store; anything else is a SQLite file path. */
const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * A PostgreSQL URL's password may come only from the environment (`${VAR}` in the URL, or PGPASSWORD): written in the
 * file it would be a credential in plain text. Its value is registered as a secret, so no log or error shows it.
 */
function postgresUrlProblem(written: unknown, resolved: string, secrets: string[]): string | null {
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return 'not a valid PostgreSQL URL (postgres://USER@HOST:PORT/DATABASE)';
  }
  if (!url.hostname) return 'the PostgreSQL URL names no host (postgres://USER@HOST:PORT/DATABASE)';
  if (url.password) {
    secrets.push(url.password, decodeURIComponent(url.password));
    const writtenPassword = /^[^:]+:\/\/[^:@/]*:([^@]*)@/.exec(typeof written === 'string' ? written : '')?.[1] ?? '';
    if (!/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(writtenPassword)) {
      return 'the password must not be written in the file: use "postgres://USER:${VAR}@HOST/DB" or PGPASSWORD';
    }
  }
  return null;
}

export function resolveConfigPath(explicit: string | undefined, env = process.env): string {
  return path.resolve(explicit ?? env.ZOMBIESCAN_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export interface LoadOptions {
  /**
   * Keep `${VAR}` references whose variable is unset instead of failing: for commands that only read the
   * database (findings, runs, reports), which must not need the collection credentials.
   */
  allowMissingEnv?: boolean;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  let text: string;
  try {
    if (statSync(file).isDirectory()) throw new ConfigError(`${file}: is a directory, not a config file`);
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${file}: no such config file (run \`zombiescan init\` to write a starter, or pass --config)`
        : `${file}: cannot read config: ${code ?? String(error)}`,
    );
  }
  return parseConfig(text, file, env, options);
}

export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadOptions = {},
): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const line = lineCounter.linePos(first.pos[0]).line;
    throw new ConfigError(`${file}:${line}: not valid YAML: ${first.message.split('\n')[0]}`);
  }
  const lineOf = (fieldPath: readonly PropertyKey[]): number => {
    for (let depth = fieldPath.length; depth >= 0; depth--) {
      const node = doc.getIn(fieldPath.slice(0, depth) as unknown[], true) as Node | undefined;
      if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return 1;
  };
  const where = (fieldPath: readonly PropertyKey[]) => `${file}:${lineOf(fieldPath)}: ${formatPath(fieldPath)}`;

  const raw: unknown = doc.toJS() ?? {};
  if (!isMap(doc.contents) && doc.contents !== null) {
    throw new ConfigError(`${file}:1: the config must be a mapping of settings (see \`zombiescan init\`)`);
  }
  const secrets: string[] = [];
  const interpolated = interpolate(raw, [], env, secrets, where, options.allowMissingEnv ?? false);

  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) {
    // Every problem at once, each at its own key's line: fixing one to discover the next is a slow loop.
    const problems = describeConfigIssues(parsed.error.issues, interpolated, doc, lineCounter, configSchema, (issue) =>
      issue.code === 'invalid_union' && 'discriminator' in issue ? describeIssue(issue) : null,
    );
    throw new ConfigError(
      problems.map((problem) => `${file}:${problem.line}: ${formatPath(problem.path)}: ${problem.message}`).join('\n'),
    );
  }
  const config = parsed.data;
  const names = new Set<string>();
  const later: string[] = [];
  config.sources.forEach((source, index) => {
    if (names.has(source.name)) {
      later.push(`${where(['sources', index, 'name'])}: source name "${source.name}" is used twice`);
    }
    names.add(source.name);
  });
  if (config.tickets?.type === 'webhook') {
    // A webhook URL is a capability: its path and query are the credential, written in the file or not.
    const rest = pathAndQuery(config.tickets.url);
    if (rest !== null) secrets.push(rest);
  }
  if (POSTGRES_URL.test(config.database)) {
    const problem = postgresUrlProblem((raw as { database?: unknown }).database, config.database, secrets);
    if (problem) later.push(`${where(['database'])}: ${problem}`);
  }
  const baseDir = path.dirname(path.resolve(file));
  const resolve = (p: string) => path.resolve(baseDir, p);
  const result: Config = {
    ...config,
    database: POSTGRES_URL.test(config.database) ? config.database : resolve(config.database),
    roster: { ...config.roster, path: config.roster.path === undefined ? undefined : resolve(config.roster.path) },
    sources: config.sources.map((source) => {
      if (source.type === 'csv') {
        return { ...source, path: resolve(source.path), timezone: source.timezone ?? config.timezone };
      }
      if (source.type === 'google' && source.keyFile) return { ...source, keyFile: resolve(source.keyFile) };
      if (source.type === 'github' && source.identityMap !== undefined) {
        return { ...source, identityMap: resolve(source.identityMap) };
      }
      return source;
    }),
    file: path.resolve(file),
    secrets: [...secrets, ...embeddedPrivateKeys(config.sources)],
  };
  const known = [...names];
  for (const [index, entry] of config.serviceAccounts.entries()) {
    if (!names.has(entry.source)) {
      later.push(
        `${where(['serviceAccounts', index, 'source'])}: no source named "${entry.source}"${suggest(entry.source, known)}`,
      );
    }
  }
  for (const [index, entry] of config.exceptions.entries()) {
    if (!names.has(entry.source)) {
      later.push(
        `${where(['exceptions', index, 'source'])}: no source named "${entry.source}"${suggest(entry.source, known)}`,
      );
    }
  }
  const roster = config.roster;
  if ((roster.path === undefined) === (roster.url === undefined)) {
    throw new ConfigError(
      `${where(['roster'])}: give exactly one of roster.path (a CSV file) or roster.url (an HR report)`,
    );
  }
  if (roster.url === undefined && (roster.username || roster.password || Object.keys(roster.headers).length > 0)) {
    throw new ConfigError(`${where(['roster'])}: username, password and headers go with roster.url only`);
  }
  if ((roster.username === undefined) !== (roster.password === undefined)) {
    throw new ConfigError(`${where(['roster'])}: roster.username and roster.password go together`);
  }
  for (const value of Object.values(roster.headers)) if (value.length >= 8) result.secrets.push(value);
  const decay = resolveDecayPolicies(config.lifecycle);
  if ('problem' in decay) throw new ConfigError(`${where(['lifecycle', ...decay.problem[0]])}: ${decay.problem[1]}`);
  if (later.length > 0) throw new ConfigError(later.join('\n'));
  ruleOptionsValidator?.(result, where);
  return result;
}

/** A private key inside an inline service-account key is a secret of its own (it may be printed without its JSON). */
function embeddedPrivateKeys(sources: SourceConfig[]): string[] {
  const keys: string[] = [];
  for (const source of sources) {
    if (source.type !== 'google' || source.key === undefined) continue;
    try {
      const privateKey = (JSON.parse(source.key) as { private_key?: unknown }).private_key;
      if (typeof privateKey === 'string') keys.push(privateKey, ...privateKey.split('\n').filter((l) => l.length > 40));
    } catch {
      // An unresolved ${VAR} (allowMissingEnv): there is no key to protect.
    }
  }
  return keys;
}

/** Set by the rule registry so rule options are checked against each rule's own schema, with line numbers. */
let ruleOptionsValidator: ((config: Config, where: (p: readonly PropertyKey[]) => string) => void) | undefined;
export function setRuleOptionsValidator(validator: typeof ruleOptionsValidator): void {
  ruleOptionsValidator = validator;
}

function interpolate(
  value: unknown,
  at: PropertyKey[],
  env: NodeJS.ProcessEnv,
  secrets: string[],
  where: (p: readonly PropertyKey[]) => string,
  allowMissing: boolean,
): unknown {
  if (Array.isArray(value)) {
    return value.map((item, index) => interpolate(item, [...at, index], env, secrets, where, allowMissing));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        interpolate(item, [...at, key], env, secrets, where, allowMissing),
      ]),
    );
  }
  const key = at[at.length - 1];
  const isSecret = typeof key === 'string' && SECRET_KEY.test(key);
  if (typeof value !== 'string') return value;
  if (isSecret && !/^\$\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(value.trim())) {
    throw new ConfigError(
      `${where(at)}: credentials are accepted only as an environment reference like "\${OKTA_API_TOKEN}", never written in the file`,
    );
  }
  const result = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (reference: string, name: string) => {
    const found = env[name];
    if ((found === undefined || found === '') && allowMissing) return reference;
    if (found === undefined || found === '') {
      throw new ConfigError(`${where(at)}: environment variable ${name} is not set`);
    }
    return found;
  });
  if (isSecret && result !== value) secrets.push(result);
  if (!isSecret && typeof key === 'string' && URL_KEY.test(key) && UNRESOLVED_REFERENCE.test(value.trim())) {
    // A URL kept in the environment is kept there for a reason (a webhook, a key in the query): its path and query
    // are treated as a secret, like a token. Its host stays readable in logs.
    const rest = pathAndQuery(result);
    if (rest !== null) secrets.push(rest);
  }
  return result;
}

function formatPath(fieldPath: readonly PropertyKey[]): string {
  if (fieldPath.length === 0) return '(top level)';
  return fieldPath
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_union' && 'discriminator' in issue) {
    return `type must be one of ${sourceSchema.options.map((option) => option.shape.type.value).join(', ')}`;
  }
  return issue.message;
}

/** Checks the options object of one rule against its schema, naming the config line on error. */
export function formatConfigPath(fieldPath: readonly PropertyKey[]): string {
  return formatPath(fieldPath);
}
