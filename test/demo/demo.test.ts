import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import * as prettier from 'prettier';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { loadConfig, parseConfig, type Config } from '../../src/config/config.js';
import { bumpSeverity, type Severity } from '../../src/contract/model.js';
import { endOfLocalDay } from '../../src/common/time.js';
import { DEFAULT_DEMO_ANCHOR, generateDemo } from '../../src/demo/generate.js';
import {
  DEMO_DATA_FILES,
  daysSinceAnchor,
  demoDataDir,
  prepareDemo,
  readDemoAnchor,
  shiftIsoDate,
  type DemoExpected,
} from '../../src/demo/prepare.js';
import {
  DEMO_GOOGLE_KEY_FILE,
  DEMO_TENANT_ENV,
  type DemoAwsAccount,
  type DemoEntraTenant,
  type DemoGitHubOrg,
  type DemoGoogleTenant,
} from '../../src/demo/tenant-data.js';
import { startDemoTenants } from '../../src/demo/tenants.js';
import { TEST_CA_CERTIFICATE } from '../fakes/graph.js';

const RULE_IDS = [
  'ambiguous-owner',
  'credential-outlived-owner',
  'dormant-account',
  'idp-disabled-app-active',
  'never-logged-in',
  'orphan-account',
  'ownerless-app-secret',
  'past-end-date',
  'root-credentials-in-use',
  'stale-guest',
  'terminated-still-active',
  'unowned-service-account',
  'unused-credential',
];
const DAY_MS = 86_400_000;
/** Written out here, not imported, so a column the shifter forgets fails the test. */
const DATE_COLUMNS = ['hire_date', 'termination_date', 'created_at', 'last_login_at'];

const dataDir = demoDataDir();
const anchor = readDemoAnchor(dataDir);
const committed = (name: string) => readFileSync(path.join(dataDir, name), 'utf8');
const readCsv = (text: string) => parse(text) as string[][];
const readRecords = (text: string) => parse(text, { columns: true }) as Record<string, string>[];
const expected = JSON.parse(committed('expected.json')) as DemoExpected;
const googleTenant = JSON.parse(committed('google.json')) as DemoGoogleTenant;
const githubOrg = JSON.parse(committed('github.json')) as DemoGitHubOrg;
const awsAccount = JSON.parse(committed('aws.json')) as DemoAwsAccount;
const entraTenant = JSON.parse(committed('entra.json')) as DemoEntraTenant;
/** What `zombiescan demo` hands the config at run time; any values do for parsing. */
const demoEnv = {
  [DEMO_TENANT_ENV.googleApiUrl]: 'http://127.0.0.1:9/',
  [DEMO_TENANT_ENV.googleTokenUrl]: 'http://127.0.0.1:9/token',
  [DEMO_TENANT_ENV.githubApiUrl]: 'http://127.0.0.1:10',
  [DEMO_TENANT_ENV.githubToken]: 'ghp_demoToken',
  [DEMO_TENANT_ENV.awsEndpoint]: 'http://127.0.0.1:11',
  [DEMO_TENANT_ENV.entraGraphUrl]: 'https://127.0.0.1:12',
  [DEMO_TENANT_ENV.entraAuthorityUrl]: 'https://127.0.0.1:12/login',
  [DEMO_TENANT_ENV.entraClientSecret]: 'demo~entraSecret',
};
/** Keys of the tenant files that hold dates, written out here for the same reason. */
const JSON_DATE_KEYS = [
  'creationTime',
  'lastLoginTime',
  'created_at',
  'created',
  'lastUsed',
  'passwordLastUsed',
  'lastRotated',
  'credential_authorized_at',
  'credential_accessed_at',
  'createdDateTime',
  'lastSignInDateTime',
  'lastNonInteractiveSignInDateTime',
  'lastSuccessfulSignInDateTime',
  'startDateTime',
  'endDateTime',
];

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-demo-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

describe('demo generator', () => {
  it('regenerates the committed files byte for byte (the data never drifts from the generator)', () => {
    expect(anchor).toBe(DEFAULT_DEMO_ANCHOR);
    const files = generateDemo({ anchor });
    expect(Object.keys(files).sort()).toEqual([...DEMO_DATA_FILES, 'expected.json', 'anchor.txt'].sort());
    for (const [name, content] of Object.entries(files)) expect(content, name).toBe(committed(name));
  });

  it('draws different filler from a different seed', () => {
    expect(generateDemo({ anchor, seed: 7 })['hr.csv']).not.toBe(committed('hr.csv'));
  });

  it('refuses an anchor that is not a date', () => {
    expect(() => generateDemo({ anchor: '26/11/2026' })).toThrow(/YYYY-MM-DD/);
  });

  it('writes YAML and JSON that pass the repository prettier check', async () => {
    for (const name of ['zombiescan.yaml', 'expected.json']) {
      const filepath = path.join(dataDir, name);
      const options = await prettier.resolveConfig(filepath);
      expect(await prettier.check(committed(name), { ...options, filepath }), name).toBe(true);
    }
  });
});

interface RosterRow {
  employee_id: string;
  email: string;
  name: string;
  status: string;
  worker_type: string;
  termination_date: string;
  manager_id: string;
  department: string;
}

describe('demo roster', () => {
  const people = readRecords(committed('hr.csv')) as unknown as RosterRow[];
  const ids = new Set(people.map((person) => person.employee_id));

  it('has a mid-size company with unique employee ids and managers who exist', () => {
    expect(people.length).toBeGreaterThanOrEqual(230);
    expect(people.length).toBeLessThanOrEqual(270);
    expect(ids.size).toBe(people.length);
    for (const person of people) if (person.manager_id) expect(ids.has(person.manager_id), person.email).toBe(true);
    expect(people.filter((person) => person.manager_id === '').map((person) => person.name)).toEqual([
      'Helen Ashworth',
    ]);
  });

  it('looks like a real company: varied names, ten departments, about one in ten left this year', () => {
    expect(new Set(people.map((person) => person.name.split(' ')[0])).size).toBeGreaterThan(80);
    expect(new Set(people.map((person) => person.department)).size).toBe(10);
    const leftThisYear = people.filter(
      (person) =>
        person.status === 'terminated' &&
        person.termination_date <= anchor &&
        person.termination_date > addDays(anchor, -365),
    );
    expect(leftThisYear.length / people.length).toBeGreaterThan(0.07);
    expect(leftThisYear.length / people.length).toBeLessThan(0.13);
    expect(people.filter((person) => person.status === 'leave').length).toBeGreaterThanOrEqual(3);
    expect(people.some((person) => person.worker_type === 'contractor')).toBe(true);
    // The rehire: one email, two employee ids, the old record terminated and the new one active.
    const byEmail = new Map<string, typeof people>();
    for (const person of people) byEmail.set(person.email, [...(byEmail.get(person.email) ?? []), person]);
    const rehires = [...byEmail.values()].filter((records) => records.length > 1);
    expect(rehires.map((records) => records.map((record) => record.status))).toEqual([['terminated', 'active']]);
  });

  it('loads as a valid config pointing at the seven sources, the tenants on the loopback addresses it is given', () => {
    const config = parseConfig(committed('zombiescan.yaml'), path.join(dataDir, 'zombiescan.yaml'), demoEnv);
    expect(config.sources.map((source) => `${source.name}:${source.type}:${source.role}`)).toEqual([
      'okta:csv:idp',
      'google:google:app',
      'slack:csv:app',
      'github:github:app',
      'aws:aws:app',
      'entra:entra:app',
      'box:csv:app',
    ]);
    // The throwaway GitHub token is a secret (redacted); the loopback addresses are not.
    // The token, and the path of the Google token URL: a URL given whole as ${VAR} is secret-capable.
    // Likewise the Entra client secret and the path of the authority URL.
    expect([...config.secrets].sort()).toEqual(['/login', '/token', 'demo~entraSecret', 'ghp_demoToken']);
    expect(() => parseConfig(committed('zombiescan.yaml'), path.join(dataDir, 'zombiescan.yaml'), {})).toThrow(
      /ZOMBIESCAN_DEMO_GOOGLE_API_URL is not set/,
    );
    expect(config.timezone).toBe('Europe/London');
    expect(config.identity.domainAliases).toEqual({ 'northwind-labs.co.uk': 'northwind-labs.com' });
    for (const owner of [...config.serviceAccounts, ...config.exceptions].map((entry) => entry.owner)) {
      expect(ids.has(owner), owner).toBe(true);
    }
  });
});

describe('expected.json', () => {
  it('covers every account and credential rule of the demo, each firing at least once, sorted for comparison', () => {
    expect(Object.keys(expected.rules)).toEqual(RULE_IDS);
    expect(expected.anchor).toBe(anchor);
    const byAccount = (list: { source: string; accountId: string }[]) =>
      [...list].sort((a, b) => a.source.localeCompare(b.source) || a.accountId.localeCompare(b.accountId));
    for (const [rule, { open, excepted }] of Object.entries(expected.rules)) {
      expect(open.length, rule).toBeGreaterThan(0);
      expect(open).toEqual(byAccount(open));
      expect(excepted).toEqual(byAccount(excepted));
    }
    expect(expected.rules['orphan-account']!.excepted).toHaveLength(1);
    expect(expected.clean).toEqual(byAccount(expected.clean));
  });

  it('names accounts that exist in the exports and tenants', () => {
    const accountIds = new Map(
      ['okta', 'slack', 'box'].map((source) => [
        source,
        new Set(readRecords(committed(`${source}.csv`)).map((row) => row.id)),
      ]),
    );
    accountIds.set('google', new Set(googleTenant.users.map((user) => user.id)));
    accountIds.set(
      'github',
      new Set([
        ...githubOrg.members.map((member) => String(member.user.id)),
        ...githubOrg.outsideCollaborators.map((user) => String(user.id)),
        ...githubOrg.invitations.map((invitation) => `invitation:${invitation.id}`),
      ]),
    );
    accountIds.set(
      'aws',
      new Set([
        awsAccount.accountId,
        ...awsAccount.users.map((user) => user.userId),
        // Credential findings are keyed by the credential's own id.
        ...awsAccount.users.flatMap((user) => user.accessKeys.map((key) => key.id)),
      ]),
    );
    for (const item of githubOrg.credentialAuthorizations) accountIds.get('github')!.add(String(item.credential_id));
    // App registration findings are keyed by the application's object id.
    accountIds.set(
      'entra',
      new Set([...entraTenant.users.map((user) => user.id), ...entraTenant.applications.map((app) => app.id)]),
    );
    const all = [
      ...Object.values(expected.rules).flatMap(({ open, excepted }) => [...open, ...excepted]),
      ...expected.clean,
    ];
    for (const entry of all) expect(accountIds.get(entry.source)?.has(entry.accountId), entry.why).toBe(true);
  });

  it('is what an independent reading of SPEC finds in the data, and nothing else', () => {
    const config = parseConfig(committed('zombiescan.yaml'), path.join(dataDir, 'zombiescan.yaml'), demoEnv);
    const actual = referenceScan(config, new Date(`${anchor}T12:00:00Z`));
    const planned = Object.entries(expected.rules).flatMap(([rule, { open }]) =>
      open.map((entry) => `${rule} ${entry.source} ${entry.accountId} ${entry.severity} ${entry.personId}`),
    );
    const plannedExcepted = Object.entries(expected.rules).flatMap(([rule, { excepted }]) =>
      excepted.map((entry) => `${rule} ${entry.source} ${entry.accountId}`),
    );
    expect(actual.open.sort()).toEqual(planned.sort());
    expect(actual.excepted.sort()).toEqual(plannedExcepted.sort());
    const flagged = new Set([...actual.open, ...actual.excepted].map((line) => line.split(' ').slice(1, 3).join(' ')));
    for (const entry of expected.clean)
      expect(flagged.has(`${entry.source} ${entry.accountId}`), entry.why).toBe(false);
  });
});

describe('demo tenants', () => {
  const plantedIn = (source: string) =>
    Object.entries(expected.rules).flatMap(([rule, { open }]) =>
      open.filter((entry) => entry.source === source).map((entry) => `${rule} ${entry.login}`),
    );

  it('plant findings in Google and GitHub that only those sources show', () => {
    expect(plantedIn('google')).toEqual(
      expect.arrayContaining([
        'terminated-still-active gareth.pryce@northwind-labs.com',
        'orphan-account events@northwind-labs.com',
        'unowned-service-account scanner-relay@northwind-labs.com',
        'dormant-account tom.hargreaves@northwind-labs.com',
        'never-logged-in ben.lucas@northwind-labs.com',
      ]),
    );
    expect(plantedIn('github')).toEqual(
      expect.arrayContaining([
        // a pending invitation to a leaver's work address, and a member linked to no corporate identity
        'terminated-still-active leo.fischer@northwind-labs.com',
        'orphan-account fuzzy-otter-42',
        // a PAT a leaver authorized for the org's SAML SSO
        'credential-outlived-owner nrahman',
      ]),
    );
    expect(plantedIn('aws')).toEqual(
      expect.arrayContaining([
        // a leaver's IAM user whose access key still works, and the root user in use
        'terminated-still-active leo.fischer',
        'root-credentials-in-use <root_account>',
        'orphan-account vendor-migration',
        'dormant-account kate.lindgren',
        'unowned-service-account svc-backup-s3',
        // a leaver's access key, and a current employee's second key unused for months
        'credential-outlived-owner leo.fischer',
        'unused-credential imran.siddiqui',
      ]),
    );
    const unlinked = githubOrg.members.find((member) => member.user.login === 'fuzzy-otter-42')!;
    expect(unlinked.user.verifiedDomainEmails).toBeUndefined();
    expect(githubOrg.saml.identities.some((identity) => identity.userId === unlinked.user.id)).toBe(false);
    // GitHub has no activity dates: its tempting inactive accounts must stay clean.
    expect(expected.clean.filter((entry) => entry.source === 'github').length).toBeGreaterThanOrEqual(5);
  });

  it('plant in Entra ID an app secret that outlived its only owner, beside apps that must stay clean', () => {
    const roster = readRecords(committed('hr.csv'));
    expect(plantedIn('entra')).toEqual(['ownerless-app-secret null']);
    const [planted] = expected.rules['ownerless-app-secret']!.open;
    const app = entraTenant.applications.find((entry) => entry.id === planted!.accountId)!;
    const owners = app.owners.map((id) => entraTenant.users.find((user) => user.id === id)!);
    // Owned by a leaver alone, whose directory user was disabled; the secret is valid well beyond today.
    expect(owners.map((owner) => [owner.employeeId, owner.accountEnabled])).toEqual([['E1089', false]]);
    expect(roster.find((person) => person.employee_id === 'E1089')?.status).toBe('terminated');
    expect(Date.parse(app.passwordCredentials[0]!.endDateTime)).toBeGreaterThan(Date.parse(`${anchor}T00:00:00Z`));
    // A current employee's app and a leaver's app whose only secret has expired raise nothing.
    const cleanApps = expected.clean.filter((entry) =>
      entraTenant.applications.some((candidate) => candidate.id === entry.accountId),
    );
    expect(cleanApps).toHaveLength(2);
    // The directory mirrors the roster: every user is an HR employee, matched by employee id.
    for (const user of entraTenant.users) {
      expect(roster.find((person) => person.employee_id === user.employeeId)?.email).toBe(user.mail);
    }
  });

  it("keep invitations within GitHub's 7-day expiry, and scan GitHub as an owner", () => {
    for (const invitation of githubOrg.invitations)
      expect(Date.parse(`${anchor}T00:00:00Z`) - Date.parse(invitation.created_at)).toBeLessThan(7 * DAY_MS);
    expect(githubOrg.members.find((member) => member.user.login === githubOrg.scanner)?.role).toBe('admin');
  });

  it('serve the data on loopback with a fresh key and token, and refuse anyone else', async () => {
    const target = tempDir();
    prepareDemo(target, new Date(`${anchor}T12:00:00Z`));
    const keyBefore = process.env.AWS_ACCESS_KEY_ID;
    const tenants = await startDemoTenants(target);
    try {
      // Throwaway AWS keys for the SDK's chain, in this process only and only while the tenants are up.
      expect(process.env.AWS_ACCESS_KEY_ID).toMatch(/^AKIA[0-9A-F]{16}$/);
      expect(process.env.AWS_ACCESS_KEY_ID).not.toBe(keyBefore);
      expect(process.env.AWS_PROFILE).toBeUndefined();
      const env = tenants.env;
      expect(Object.keys(env)).toEqual([DEMO_TENANT_ENV.githubToken, DEMO_TENANT_ENV.entraClientSecret]);
      // The demo's copy of the config names the loopback tenants itself, so it loads after the demo without them.
      const config = loadConfig(path.join(target, 'zombiescan.yaml'), {}, { allowMissingEnv: true });
      const urls = config.sources.flatMap((source) =>
        source.type === 'google'
          ? [source.apiUrl, source.tokenUrl]
          : source.type === 'github'
            ? [source.apiUrl]
            : source.type === 'aws'
              ? [source.endpoint]
              : [],
      );
      expect(urls).toHaveLength(4);
      for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
      // Graph is https: the fake's test certificate is handed to the demo's collectors alone, never trusted process-wide.
      const entra = config.sources.find((source) => source.type === 'entra')!;
      expect([entra.graphUrl, entra.authorityUrl]).toEqual([
        expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+\/login$/),
      ]);
      expect(tenants.collectorDeps).toEqual({ caCertificate: TEST_CA_CERTIFICATE });
      expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
      await expect(fetch(`${entra.graphUrl}/v1.0/users`)).rejects.toThrow(/fetch failed/);
      const trusting = new Agent({ connect: { ca: TEST_CA_CERTIFICATE } });
      const graphToken = async (secret: string) =>
        undiciFetch(`${entra.authorityUrl}/${entra.tenantId}/oauth2/v2.0/token`, {
          method: 'POST',
          dispatcher: trusting,
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: entra.clientId,
            client_secret: secret,
            scope: `${entra.graphUrl}/.default`,
          }),
        });
      expect((await graphToken('guessed~secret')).status).toBe(401);
      const granted = await graphToken(env[DEMO_TENANT_ENV.entraClientSecret]!);
      expect(granted.status).toBe(200);
      const { access_token: accessToken } = (await granted.json()) as { access_token: string };
      const graph = (pathname: string, method = 'GET') =>
        undiciFetch(`${entra.graphUrl}/v1.0${pathname}`, {
          method,
          dispatcher: trusting,
          headers: { authorization: `Bearer ${accessToken}` },
        });
      expect((await graph('/applications')).status).toBe(200);
      // Read-only application permissions: the demo's secret cannot remove an app's secret or a user.
      const app = entraTenant.applications[0]!;
      expect((await graph(`/users/${entraTenant.users[0]!.id}`, 'DELETE')).status).toBe(403);
      expect((await graph(`/applications/${app.id}/removePassword`, 'POST')).status).toBe(403);
      await trusting.close();
      const githubUrl = config.sources.find((source) => source.type === 'github')!.apiUrl;
      expect(env[DEMO_TENANT_ENV.githubToken]).toMatch(/^ghp_[0-9a-f]{36}$/);

      const keyFile = path.join(target, DEMO_GOOGLE_KEY_FILE);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toMatchObject({ type: 'service_account' });

      const members = `${githubUrl}/orgs/northwind-labs/members?per_page=100`;
      expect((await fetch(members)).status).toBe(401);
      expect((await fetch(members, { headers: { authorization: 'token ghp_guessed' } })).status).toBe(401);
      const answer = await fetch(members, { headers: { authorization: `token ${env[DEMO_TENANT_ENV.githubToken]}` } });
      expect(answer.status).toBe(200);
      expect(((await answer.json()) as unknown[]).length).toBe(Math.min(githubOrg.members.length, 100));
      // Read-only: the demo's token cannot remove anyone.
      const removal = await fetch(`${githubUrl}/orgs/northwind-labs/memberships/nrahman`, {
        method: 'DELETE',
        headers: { authorization: `token ${env[DEMO_TENANT_ENV.githubToken]}` },
      });
      expect(removal.status).toBe(403);
    } finally {
      await tenants.close();
    }
    expect(process.env.AWS_ACCESS_KEY_ID).toBe(keyBefore);
  });

  it('ship fakes that import nothing but Node built-ins (they run in the installed CLI, without vitest)', () => {
    const tenantsSource = readFileSync(path.resolve(import.meta.dirname, '../../src/demo/tenants.ts'), 'utf8');
    const fakes = [...tenantsSource.matchAll(/from '(\.\.\/\.\.\/test\/fakes\/[^']+)\.js'/g)].map((m) => m[1]!);
    expect(fakes.sort()).toEqual([
      '../../test/fakes/aws',
      '../../test/fakes/github',
      '../../test/fakes/google',
      '../../test/fakes/graph',
    ]);
    const build = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    for (const fake of fakes) {
      const file = path.resolve(import.meta.dirname, '../../src/demo', `${fake}.ts`);
      expect(build.include, fake).toContain(path.relative(path.resolve(import.meta.dirname, '../..'), file));
      const imports = [...readFileSync(file, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
      for (const specifier of imports) expect(specifier, `${fake} imports ${specifier}`).toMatch(/^node:/);
    }
  });
});

describe('prepareDemo', () => {
  const shiftCases = [0, 1, 37, 400, -3];

  it.each(shiftCases)('moves every date by %i days and changes nothing else', (days) => {
    const target = tempDir();
    const today = new Date(Date.parse(`${addDays(anchor, days)}T15:30:00Z`));
    const prepared = prepareDemo(target, today);
    expect(prepared.shiftDays).toBe(days);
    expect(prepared.configPath).toBe(path.join(target, 'zombiescan.yaml'));
    expect(prepared.expected).toEqual(expected);
    let datesSeen = 0;
    for (const name of DEMO_DATA_FILES.filter((file) => file.endsWith('.csv'))) {
      const before = readCsv(committed(name));
      const after = readCsv(readFileSync(path.join(target, name), 'utf8'));
      expect(after.length, name).toBe(before.length);
      const header = before[0]!;
      before.forEach((row, rowIndex) =>
        row.forEach((cell, column) => {
          const moved = after[rowIndex]![column]!;
          if (rowIndex === 0 || !DATE_COLUMNS.includes(header[column]!) || cell === '') {
            expect(moved).toBe(cell);
            return;
          }
          datesSeen++;
          const instant = (value: string) => Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
          expect(instant(moved) - instant(cell), `${name}:${rowIndex + 1} ${header[column]}`).toBe(days * DAY_MS);
        }),
      );
    }
    for (const name of DEMO_DATA_FILES.filter((file) => file.endsWith('.json'))) {
      const compare = (before: unknown, after: unknown, where: string, key: string | null): void => {
        if (typeof before === 'string' && key !== null && JSON_DATE_KEYS.includes(key)) {
          datesSeen++;
          expect(Date.parse(after as string) - Date.parse(before), where).toBe(days * DAY_MS);
        } else if (before !== null && typeof before === 'object') {
          expect(Object.keys(after as object), where).toEqual(Object.keys(before));
          for (const [field, value] of Object.entries(before))
            compare(
              value,
              (after as Record<string, unknown>)[field],
              `${where}.${field}`,
              Array.isArray(before) ? null : field,
            );
        } else {
          expect(after, where).toEqual(before);
        }
      };
      compare(JSON.parse(committed(name)), JSON.parse(readFileSync(path.join(target, name), 'utf8')), name, null);
    }
    expect(datesSeen).toBeGreaterThan(1500);

    const configBefore = committed('zombiescan.yaml');
    const configAfter = readFileSync(prepared.configPath, 'utf8');
    const expiries = (text: string) =>
      (parseYaml(text) as { exceptions: { expires: string }[] }).exceptions.map((entry) => entry.expires);
    expect(expiries(configAfter)).toEqual(expiries(configBefore).map((date) => shiftIsoDate(date, days)));
    const withoutExpiries = (text: string) => text.replace(/expires: \S+/g, 'expires: X');
    expect(withoutExpiries(configAfter)).toBe(withoutExpiries(configBefore));
  });

  it('keeps the files byte-identical when today is the anchor', () => {
    const target = tempDir();
    prepareDemo(target, new Date(`${anchor}T08:00:00Z`));
    for (const name of DEMO_DATA_FILES)
      expect(readFileSync(path.join(target, name), 'utf8'), name).toBe(committed(name));
  });

  it('gives the same files as generating for today (every date is relative to the anchor)', () => {
    const target = tempDir();
    const today = addDays(anchor, 123);
    prepareDemo(target, new Date(`${today}T10:00:00Z`));
    const regenerated = generateDemo({ anchor: today });
    for (const name of DEMO_DATA_FILES)
      expect(readFileSync(path.join(target, name), 'utf8'), name).toBe(regenerated[name]);
  });

  it('counts whole calendar days from the anchor', () => {
    expect(daysSinceAnchor('2026-11-26', new Date('2026-11-26T23:59:59Z'))).toBe(0);
    expect(daysSinceAnchor('2026-11-26', new Date('2026-11-27T00:00:00Z'))).toBe(1);
    expect(daysSinceAnchor('2026-11-26', new Date('2027-03-29T12:00:00Z'))).toBe(123);
    expect(shiftIsoDate('2026-02-27T09:15:00Z', 2)).toBe('2026-03-01T09:15:00Z');
    expect(() => shiftIsoDate('soon', 1)).toThrow(/not an ISO date/);
  });
});

/**
 * A source's accounts as export-like rows (the CSV columns). The tenants are read the way SPEC describes their
 * sources, without the collectors: Google's suspended or archived users are disabled and users under serviceOrgUnits
 * are service accounts; a GitHub member's email is its SAML NameID or else its verified-domain email, outside
 * collaborators are guests, pending invitations are enabled human accounts, and GitHub reports no activity.
 */
/**
 * A credential of a tenant, read the way SPEC describes it: an AWS access key (usage known: IAM reports its last use)
 * and a GitHub SAML SSO credential authorization (its last access), each owned by the account `ownerId` names.
 */
interface CredentialRow {
  id: string;
  ownerId: string;
  enabled: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

function credentialRows(source: Config['sources'][number]): CredentialRow[] {
  if (source.type === 'aws') {
    return awsAccount.users.flatMap((user) =>
      user.accessKeys.map((key) => ({
        id: key.id,
        ownerId: user.userId,
        enabled: key.status === 'Active',
        createdAt: key.created,
        lastUsedAt: key.lastUsed,
      })),
    );
  }
  if (source.type === 'github') {
    const ids = new Map(
      [...githubOrg.members.map((member) => member.user), ...githubOrg.outsideCollaborators].map((user) => [
        user.login.toLowerCase(),
        String(user.id),
      ]),
    );
    return githubOrg.credentialAuthorizations.map((item) => ({
      id: String(item.credential_id),
      ownerId: ids.get(item.login.toLowerCase()) ?? '',
      enabled: !item.authorized_credential_expires_at,
      createdAt: item.credential_authorized_at,
      lastUsedAt: item.credential_accessed_at,
    }));
  }
  return [];
}

function sourceRows(source: Config['sources'][number]): { rows: Record<string, string>[]; activityKnown: boolean } {
  if (source.type === 'csv') {
    const text = committed(path.basename(source.path));
    return { rows: readRecords(text), activityKnown: readCsv(text)[0]!.includes('last_login_at') };
  }
  if (source.type === 'google') {
    const under = (unit: string) => source.serviceOrgUnits.some((root) => unit === root || unit.startsWith(`${root}/`));
    const rows = googleTenant.users.map((user) => ({
      id: user.id,
      login: user.primaryEmail,
      email: user.primaryEmail,
      employee_id: user.employeeId ?? '',
      status: user.suspended || user.archived ? 'suspended' : 'active',
      type: under(user.orgUnitPath) ? 'service' : 'human',
      created_at: user.creationTime,
      last_login_at: user.lastLoginTime ?? '',
      privileged: String(user.isAdmin === true || user.isDelegatedAdmin === true),
    }));
    return { rows, activityKnown: true };
  }
  if (source.type === 'github') {
    const saml = new Map(githubOrg.saml.identities.map((identity) => [identity.userId, identity.nameId]));
    const emailOf = (user: DemoGitHubOrg['members'][number]['user']) =>
      saml.get(user.id) ?? user.verifiedDomainEmails?.[0] ?? '';
    const rows = [
      ...githubOrg.members.map(({ user, role }) => ({
        id: String(user.id),
        login: user.login,
        email: emailOf(user),
        status: 'active',
        type: user.type === 'Bot' ? 'bot' : 'human',
        privileged: String(role === 'admin'),
      })),
      ...githubOrg.outsideCollaborators.map((user) => ({
        id: String(user.id),
        login: user.login,
        email: '',
        status: 'active',
        type: 'guest',
        privileged: 'false',
      })),
      ...githubOrg.invitations.map((invitation) => ({
        id: `invitation:${invitation.id}`,
        login: invitation.login ?? invitation.email ?? '',
        email: invitation.email ?? '',
        status: 'active',
        type: 'human',
        created_at: invitation.created_at,
        privileged: String(invitation.role === 'admin'),
      })),
    ];
    return { rows, activityKnown: false };
  }
  if (source.type === 'aws') {
    // IAM's managed AdministratorAccess, attached to the user or one of its groups, is what makes an IAM user
    // privileged here (the demo has no custom allow-everything policy).
    const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
    const adminGroups = new Set(
      awsAccount.groups.filter((group) => group.attachedPolicies.includes(admin)).map((group) => group.name),
    );
    const latest = (times: (string | null | undefined)[]) =>
      times
        .filter((time): time is string => !!time)
        .sort()
        .at(-1) ?? '';
    const { root } = awsAccount;
    const rows = [
      {
        id: awsAccount.accountId,
        login: '<root_account>',
        email: '',
        status: 'active',
        type: 'service',
        root: 'true',
        last_login_at: latest([root.passwordLastUsed, ...root.accessKeys.map((key) => key.lastUsed)]),
        root_keys_active: String(root.accessKeys.some((key) => key.active)),
        root_password_last_used: root.passwordLastUsed ?? '',
        privileged: 'false',
      },
      ...awsAccount.users.map((user) => ({
        id: user.userId,
        login: user.userName,
        email: user.tags.email ?? (/^[^@\s]+@[^@\s]+$/.test(user.userName) ? user.userName : ''),
        employee_id: user.tags.employee_id ?? '',
        status:
          user.password !== null || user.accessKeys.some((key) => key.status === 'Active') ? 'active' : 'disabled',
        type: user.tags.type ?? 'human',
        created_at: user.created,
        last_login_at: latest([user.password?.lastUsed, ...user.accessKeys.map((key) => key.lastUsed)]),
        privileged: String(user.groups.some((group) => adminGroups.has(group))),
      })),
    ];
    return { rows, activityKnown: true };
  }
  if (source.type === 'entra') {
    // Members are people's accounts; with no directory role assigned to anyone, nobody is privileged. The last
    // sign-in is the latest of interactive, non-interactive and successful.
    const rows = entraTenant.users.map((user) => ({
      id: user.id,
      login: user.userPrincipalName,
      email: user.mail,
      employee_id: user.employeeId,
      status: user.accountEnabled ? 'active' : 'disabled',
      type: 'human',
      created_at: user.createdDateTime,
      last_login_at: Object.values(user.signInActivity).sort().at(-1) ?? '',
      privileged: 'false',
    }));
    return { rows, activityKnown: true };
  }
  throw new Error(`the demo has no ${source.type} source`);
}

/**
 * SPEC's matching and rules, read independently of the engine, run over the demo files: a check that the planted
 * truth is right before the real scanner exists (and a second opinion after).
 */
function referenceScan(config: Config, now: Date): { open: string[]; excepted: string[] } {
  const aliases = config.identity.domainAliases;
  const normalise = (email: string): string => {
    const [local = '', domain = ''] = email.trim().toLowerCase().split('@');
    return `${local.replace(/\+.*$/, '')}@${aliases[domain] ?? domain}`;
  };
  const glob = (pattern: string, value: string) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(value);

  interface Person {
    id: string;
    status: string;
    endsAt: number | null;
  }
  const people = new Map<string, Person>();
  const byEmail = new Map<string, Person[]>();
  for (const row of readRecords(committed('hr.csv'))) {
    const person: Person = {
      id: row.employee_id!,
      status: row.status!,
      endsAt: row.termination_date ? endOfLocalDay(row.termination_date, config.timezone).getTime() : null,
    };
    people.set(person.id, person);
    for (const email of [row.email!, ...row.aliases!.split(';').filter(Boolean)]) {
      const key = normalise(email);
      byEmail.set(key, [...(byEmail.get(key) ?? []), person]);
    }
  }

  interface Subject {
    source: string;
    row: Record<string, string>;
    idp: boolean;
    activityKnown: boolean;
    method: 'service' | 'person' | 'ambiguous' | 'none';
    owner: Person | null;
  }
  const subjects: Subject[] = [];
  for (const source of config.sources) {
    const { rows, activityKnown } = sourceRows(source);
    for (const row of rows) {
      // SPEC: the AWS root user is never matched to a person.
      if (row.root === 'true') {
        subjects.push({ source: source.name, row, idp: false, activityKnown, method: 'none', owner: null });
        continue;
      }
      const names = [row.login ?? '', row.email ?? ''].filter(Boolean);
      const declared = config.serviceAccounts.find(
        (entry) => entry.source === source.name && names.some((name) => glob(entry.login, name)),
      );
      let method: Subject['method'] = 'none';
      let owner: Person | null = null;
      if (declared) {
        method = 'service';
        owner = people.get(declared.owner) ?? null;
      } else if (row.employee_id && people.has(row.employee_id)) {
        method = 'person';
        owner = people.get(row.employee_id)!;
      } else {
        const emails = names.filter((name) => name.includes('@')).map(normalise);
        const candidates = [...new Set(emails.flatMap((email) => byEmail.get(email) ?? []))];
        const preferred = candidates.length > 1 ? candidates.filter((p) => p.status !== 'terminated') : candidates;
        if (preferred.length === 1) [method, owner] = ['person', preferred[0]!];
        else if (preferred.length > 1) method = 'ambiguous';
      }
      subjects.push({ source: source.name, row, idp: source.role === 'idp', activityKnown, method, owner });
    }
  }

  const idpAccounts = new Map<string, { total: number; enabled: number }>();
  for (const subject of subjects.filter((s) => s.idp && s.method === 'person' && s.owner)) {
    const counts = idpAccounts.get(subject.owner!.id) ?? { total: 0, enabled: 0 };
    counts.total++;
    if (subject.row.status === 'active') counts.enabled++;
    idpAccounts.set(subject.owner!.id, counts);
  }

  const days = (rule: string) => Number(config.rules[rule]?.days);
  const olderThan = (at: string, limit: number) => now.getTime() - Date.parse(at) > limit * DAY_MS;
  const open: string[] = [];
  const excepted: string[] = [];
  const exceptionFor = (subject: Subject) => {
    const names = [subject.row.login ?? '', subject.row.email ?? ''].filter(Boolean);
    return config.exceptions.find(
      (entry) =>
        entry.source === subject.source &&
        names.some((name) => glob(entry.login, name)) &&
        Date.parse(`${entry.expires}T23:59:59Z`) >= now.getTime(),
    );
  };

  // Credentials: owned through their owner account (and its match); an exception on that account covers them.
  for (const source of config.sources) {
    const owners = new Map(subjects.filter((s) => s.source === source.name).map((s) => [s.row.id!, s]));
    for (const credential of credentialRows(source)) {
      if (!credential.enabled) continue;
      const subject = owners.get(credential.ownerId);
      const hits: [string, Severity][] = [];
      const person = subject?.method === 'ambiguous' ? null : (subject?.owner ?? null);
      const ended = person?.endsAt !== null && person?.endsAt !== undefined && now.getTime() >= person.endsAt;
      if (subject && (subject.row.status !== 'active' || ended)) hits.push(['credential-outlived-owner', 'critical']);
      const unusedDays = Number(config.rules['unused-credential']?.days ?? 90);
      if (olderThan(credential.lastUsedAt ?? credential.createdAt, unusedDays)) {
        hits.push(['unused-credential', 'medium']);
      }
      const exception = subject ? exceptionFor(subject) : undefined;
      for (const [rule, severity] of hits) {
        if (exception) excepted.push(`${rule} ${source.name} ${credential.id}`);
        else {
          const final = subject?.row.privileged === 'true' ? bumpSeverity(severity) : severity;
          open.push(`${rule} ${source.name} ${credential.id} ${final} ${person?.id ?? null}`);
        }
      }
    }
  }

  // App registrations (SPEC "Credentials that outlive accounts"): judged by ownerless-app-secret alone. One fires
  // while a client secret is valid today and every owner has departed (owner account disabled or gone, or the person
  // terminated or past their end date), or there is no owner at all. Such a finding names no owner account.
  for (const source of config.sources.filter((entry) => entry.type === 'entra')) {
    const accounts = new Map(subjects.filter((s) => s.source === source.name).map((s) => [s.row.id!, s]));
    for (const app of entraTenant.applications) {
      const live = app.passwordCredentials.some((secret) => Date.parse(secret.endDateTime) > now.getTime());
      const departed = (ownerId: string) => {
        const subject = accounts.get(ownerId);
        const person = subject?.method === 'person' ? subject.owner : null;
        const ended = person?.endsAt !== null && person?.endsAt !== undefined && now.getTime() >= person.endsAt;
        return !subject || subject.row.status !== 'active' || ended;
      };
      if (live && app.owners.every(departed)) open.push(`ownerless-app-secret ${source.name} ${app.id} high null`);
    }
  }

  for (const subject of subjects) {
    const { row, owner } = subject;
    if (row.status !== 'active') continue;
    if (row.root === 'true') {
      // root-credentials-in-use, and nothing else: an active root key, or a root password used within `days`.
      const recentPassword =
        row.root_password_last_used !== '' &&
        !olderThan(row.root_password_last_used!, Number(config.rules['root-credentials-in-use']?.days ?? 90));
      if (row.root_keys_active === 'true' || recentPassword)
        open.push(`root-credentials-in-use ${subject.source} ${row.id} high null`);
      continue;
    }
    const serviceLike = row.type === 'service' || row.type === 'bot' || subject.method === 'service';
    const lastLogin = row.last_login_at ?? '';
    const hits: [string, Severity][] = [];
    const ended = owner?.endsAt !== null && owner?.endsAt !== undefined && now.getTime() >= owner.endsAt;
    if (owner && !serviceLike && owner.status === 'terminated' && ended)
      hits.push(['terminated-still-active', 'critical']);
    if (owner && !serviceLike && owner.status !== 'terminated' && ended) hits.push(['past-end-date', 'high']);
    if (row.type === 'human' && subject.method === 'none') hits.push(['orphan-account', 'high']);
    const idp = owner ? idpAccounts.get(owner.id) : undefined;
    if (
      owner &&
      !serviceLike &&
      !subject.idp &&
      owner.status !== 'terminated' &&
      idp &&
      idp.total > 0 &&
      idp.enabled === 0
    ) {
      hits.push(['idp-disabled-app-active', 'high']);
    }
    if (owner?.status === 'active' && subject.activityKnown) {
      if (lastLogin !== '' && olderThan(lastLogin, days('dormant-account'))) hits.push(['dormant-account', 'medium']);
      if (lastLogin === '' && olderThan(row.created_at!, days('never-logged-in')))
        hits.push(['never-logged-in', 'low']);
    }
    if (row.type === 'guest' && subject.activityKnown && olderThan(lastLogin || row.created_at!, days('stale-guest'))) {
      hits.push(['stale-guest', 'medium']);
    }
    if ((row.type === 'service' || row.type === 'bot') && subject.method !== 'service') {
      hits.push(['unowned-service-account', 'medium']);
    } else if (subject.method === 'service' && (!owner || owner.status === 'terminated')) {
      hits.push(['unowned-service-account', 'high']);
    }
    if (subject.method === 'ambiguous') hits.push(['ambiguous-owner', 'low']);

    const names = [row.login ?? '', row.email ?? ''].filter(Boolean);
    const exception = config.exceptions.find(
      (entry) =>
        entry.source === subject.source &&
        names.some((name) => glob(entry.login, name)) &&
        Date.parse(`${entry.expires}T23:59:59Z`) >= now.getTime(),
    );
    for (const [rule, severity] of hits) {
      if (exception) excepted.push(`${rule} ${subject.source} ${row.id}`);
      else {
        const final = row.privileged === 'true' ? bumpSeverity(severity) : severity;
        open.push(`${rule} ${subject.source} ${row.id} ${final} ${owner?.id ?? null}`);
      }
    }
  }
  return { open, excepted };
}
