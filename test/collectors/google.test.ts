import { sign as cryptoSign } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGoogleCollector } from '../../collectors/google/index.js';
import { classifyGoogleError } from '../../collectors/google/client.js';
import { googleUserToAccount, isUnderOrgUnit, type GoogleUserInput } from '../../collectors/google/transform.js';
import type { CollectContext, DoctorCheck, SourceCollector } from '../../src/contract/collector.js';
import { googleSourceSchema, parseConfig, type GoogleSourceConfig } from '../../src/config/config.js';
import { ConfigError, SourceError } from '../../src/contract/errors.js';
import type { Account } from '../../src/contract/model.js';
import type { RetryPolicy } from '../../src/common/retry.js';
import { GOOGLE_SCOPE, startFakeGoogle, type GoogleFake, type GoogleFakeOptions } from '../fakes/google.js';

const FAST_RETRIES: Partial<RetryPolicy> = { baseDelayMs: 5, maxDelayMs: 50 };
const USERS_PATH = '/admin/directory/v1/users';
const ADMIN = 'admin@example.com';

let fake: GoogleFake | undefined;
afterEach(async () => {
  if (fake) expect(fake.state.serverErrors).toEqual([]);
  await fake?.close();
  fake = undefined;
});

async function start(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  fake = await startFakeGoogle({
    ...options,
    users: [
      { primaryEmail: ADMIN, isAdmin: true, lastLoginTime: '2026-11-20T08:00:00.000Z' },
      ...(options.users ?? []),
    ],
  });
  return fake;
}

function configFor(target: GoogleFake, overrides: Record<string, unknown> = {}): GoogleSourceConfig {
  return googleSourceSchema.parse({
    name: 'gws',
    type: 'google',
    role: 'idp',
    timeoutSeconds: 30,
    key: target.keyJson,
    subject: ADMIN,
    apiUrl: target.apiUrl,
    tokenUrl: target.tokenUrl,
    ...overrides,
  });
}

interface TestContext extends CollectContext {
  logged: string[];
}

function contextWith(): TestContext {
  const logged: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    logged.push(`${message} ${JSON.stringify(fields ?? {})}`);
  return {
    signal: new AbortController().signal,
    log: { debug: record, info: record, warn: record, error: record },
    notice: () => {},
    now: new Date('2026-12-01T12:00:00Z'),
    logged,
  };
}

async function collectPages(collector: SourceCollector, context: CollectContext = contextWith()): Promise<Account[][]> {
  const pages: Account[][] = [];
  for await (const page of collector.collect(context)) pages.push(page);
  return pages;
}

async function collectError(collector: SourceCollector): Promise<SourceError> {
  try {
    await collectPages(collector);
  } catch (error) {
    expect(error).toBeInstanceOf(SourceError);
    return error as SourceError;
  }
  throw new Error('collection did not fail');
}

function expectNoSecret(text: string, target: GoogleFake) {
  for (const line of target.serviceAccountKey.private_key.split('\n').filter((l) => l.length > 20)) {
    expect(text).not.toContain(line);
  }
  expect(text).not.toMatch(/ya29\./);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/); // no JWT assertion
}

describe('google user mapping', () => {
  const base: GoogleUserInput = {
    id: '1001',
    primaryEmail: 'ann@example.com',
    name: { fullName: 'Ann Example', givenName: 'Ann', familyName: 'Example' },
    suspended: false,
    archived: false,
    isAdmin: false,
    isDelegatedAdmin: false,
    orgUnitPath: '/',
    creationTime: '2024-03-25T10:00:00.000Z',
    lastLoginTime: '2026-11-30T09:15:00.000Z',
  };
  const map = (user: Partial<GoogleUserInput>, serviceOrgUnits: string[] = []) =>
    googleUserToAccount({ ...base, ...user }, 'gws', serviceOrgUnits);

  it('maps id, primary email, name, times', () => {
    const { account, problems } = map({});
    expect(problems).toEqual([]);
    expect(account).toMatchObject({
      source: 'gws',
      id: '1001',
      login: 'ann@example.com',
      email: 'ann@example.com',
      emails: ['ann@example.com'],
      displayName: 'Ann Example',
      enabled: true,
      rawStatus: 'active',
      type: 'human',
      createdAt: '2024-03-25T10:00:00.000Z',
      lastActivityAt: '2026-11-30T09:15:00.000Z',
      activityKnown: true,
      privileged: false,
      licenses: [],
      builtIn: false,
    });
  });

  it('takes the employee id from the externalIds entry of type organization only', () => {
    expect(
      map({
        externalIds: [
          { type: 'network', value: 'NET-1' },
          { type: 'custom', customType: 'badge', value: 'B-7' },
          { type: 'organization', value: ' E1001 ' },
        ],
      }).account.employeeId,
    ).toBe('E1001');
    expect(map({ externalIds: [{ type: 'network', value: 'NET-1' }] }).account.employeeId).toBeNull();
    expect(map({ externalIds: undefined }).account.employeeId).toBeNull();
  });

  it('collects primary email, emails[].address, aliases and non-editable aliases once each', () => {
    const { account } = map({
      emails: [
        { address: 'ann@example.com', primary: true },
        { address: 'Ann.Work@example.com', type: 'work' },
        { address: 'ann@example.test-google-a.com' },
      ],
      aliases: ['annie@example.com', 'ANN@example.com'],
      nonEditableAliases: ['ann@example.test-google-a.com', 'ann@old.example.net'],
    });
    expect(account.emails).toEqual([
      'ann@example.com',
      'Ann.Work@example.com',
      'ann@example.test-google-a.com',
      'annie@example.com',
      'ann@old.example.net',
    ]);
  });

  it('reads the 1970 lastLoginTime as never signed in: activity known, no last activity', () => {
    const { account } = map({ lastLoginTime: '1970-01-01T00:00:00.000Z' });
    expect(account.lastActivityAt).toBeNull();
    expect(account.activityKnown).toBe(true);
  });

  it('suspended and archived users are not enabled, and rawStatus says which', () => {
    expect(map({ suspended: true, suspensionReason: 'ADMIN' }).account).toMatchObject({
      enabled: false,
      rawStatus: 'suspended (ADMIN)',
      attributes: { suspended: true, suspensionReason: 'ADMIN' },
    });
    expect(map({ suspended: true, suspensionReason: 'ABUSE' }).account.rawStatus).toBe('suspended (ABUSE)');
    expect(map({ archived: true }).account).toMatchObject({ enabled: false, rawStatus: 'archived' });
    expect(map({ archived: true, suspended: true }).account.rawStatus).toBe('suspended, archived');
  });

  it('super admins and delegated admins are privileged', () => {
    expect(map({ isAdmin: true }).account.privileged).toBe(true);
    expect(map({ isDelegatedAdmin: true }).account.privileged).toBe(true);
    expect(map({ isAdmin: false, isDelegatedAdmin: false }).account.privileged).toBe(false);
  });

  it('users under a service org unit (and its sub-units) are service accounts; guests are guests', () => {
    const units = ['/Service Accounts'];
    expect(map({ orgUnitPath: '/Service Accounts' }, units).account.type).toBe('service');
    expect(map({ orgUnitPath: '/service accounts/CI' }, units).account.type).toBe('service');
    expect(map({ orgUnitPath: '/Service Accounts Old' }, units).account.type).toBe('human');
    expect(map({ orgUnitPath: '/Sales' }, units).account.type).toBe('human');
    expect(map({ isGuestUser: true }).account.type).toBe('guest');
    expect(isUnderOrgUnit('/Eng/Bots', ['/Eng/Bots/'])).toBe(true);
    expect(isUnderOrgUnit(null, ['/Eng'])).toBe(false);
  });

  it('a user without primaryEmail is mapped, with the problem reported', () => {
    const { account, problems } = map({ primaryEmail: undefined, emails: [{ address: 'x@example.com' }] });
    expect(account).toMatchObject({ id: '1001', login: null, email: null, emails: ['x@example.com'] });
    expect(problems).toEqual(['no primaryEmail']);
  });

  it('an unparseable time is reported; an unparseable lastLoginTime makes activity unknown, never "never"', () => {
    const bad = map({ lastLoginTime: 'yesterday-ish', creationTime: 'not a time' });
    expect(bad.problems).toEqual(['unparseable creationTime', 'unparseable lastLoginTime']);
    expect(bad.account).toMatchObject({ createdAt: null, lastActivityAt: null, activityKnown: false });
    expect(map({ lastLoginTime: undefined }).account.activityKnown).toBe(false);
  });
});

describe('google collector over the Directory API', () => {
  it('streams every user in pages of 500 with projection=full, suspended and archived included', async () => {
    const target = await start({
      users: Array.from({ length: 1203 }, (_, index) => ({
        primaryEmail: `user${index}@example.com`,
        employeeId: `E${index}`,
        suspended: index % 10 === 1,
        archived: index % 10 === 2,
      })),
    });
    const pages = await collectPages(createGoogleCollector(configFor(target)));
    expect(pages.map((page) => page.length)).toEqual([500, 500, 204]);
    const accounts = pages.flat();
    expect(new Set(accounts.map((a) => a.id)).size).toBe(1204);
    expect(accounts.filter((a) => a.rawStatus === 'suspended (ADMIN)')).toHaveLength(121);
    expect(accounts.filter((a) => a.rawStatus === 'archived')).toHaveLength(121);
    expect(accounts.find((a) => a.login === ADMIN)).toMatchObject({ privileged: true, enabled: true });
    expect(accounts.find((a) => a.login === 'user7@example.com')).toMatchObject({ employeeId: 'E7' });

    const lists = target.state.requests.filter((r) => r.path === USERS_PATH);
    expect(lists).toHaveLength(3);
    for (const request of lists) {
      expect(request.query).toMatchObject({ customer: 'my_customer', maxResults: '500', projection: 'full' });
      // The scan only ever holds the read-only scope.
      expect(request.scopes).toEqual([GOOGLE_SCOPE.read]);
    }
    expect(lists[0]!.query.pageToken).toBeUndefined();
    expect(lists[1]!.query.pageToken).toBeTruthy();
    // The token came from tokenUrl, impersonating the subject.
    expect(target.state.requests.filter((r) => r.path === '/token')).toHaveLength(1);
    expect(target.state.tokenGrants).toEqual([{ sub: ADMIN, scopes: [GOOGLE_SCOPE.read] }]);
  });

  it('asks for one domain when `domain` is set, or a customer id', async () => {
    const target = await start({
      users: [{ primaryEmail: 'a@example.com' }, { primaryEmail: 'b@other.example' }],
      domains: ['example.com', 'other.example'],
    });
    const byDomain = (await collectPages(createGoogleCollector(configFor(target, { domain: 'other.example' })))).flat();
    expect(byDomain.map((a) => a.login)).toEqual(['b@other.example']);
    const byCustomer = await collectPages(
      createGoogleCollector(configFor(target, { customer: target.state.customerId })),
    );
    expect(byCustomer.flat()).toHaveLength(3);
  });

  it('custom fields come only with projection=full, as the fake serves basic without them', async () => {
    const target = await start({
      users: [{ primaryEmail: 'c@example.com', customSchemas: { HR: { costCenter: '42' } } }],
    });
    const token = await fetchToken(target);
    const basic = (await getJson(target, `${USERS_PATH}?customer=my_customer`, token)) as { users: object[] };
    expect(basic.users.every((user) => !('customSchemas' in user))).toBe(true);
    const full = (await getJson(target, `${USERS_PATH}?customer=my_customer&projection=full`, token)) as {
      users: { customSchemas?: unknown }[];
    };
    expect(full.users.some((user) => user.customSchemas)).toBe(true);
    const capped = (await getJson(target, `${USERS_PATH}?customer=my_customer&maxResults=5000`, token)) as {
      users: unknown[];
    };
    expect(capped.users).toHaveLength(2);
  });

  it('logs each kind of data problem once and still maps the users', async () => {
    const target = await start({
      users: [
        { primaryEmail: undefined },
        { primaryEmail: undefined },
        { primaryEmail: 'late@example.com', lastLoginTime: 'garbage' },
      ],
    });
    const context = contextWith();
    const accounts = (await collectPages(createGoogleCollector(configFor(target)), context)).flat();
    expect(accounts).toHaveLength(4);
    const warnings = context.logged.filter((line) => line.includes('has no primaryEmail'));
    expect(warnings).toHaveLength(1);
    expect(context.logged.some((line) => line.includes('2 user(s) with no primaryEmail'))).toBe(true);
    expect(accounts.find((a) => a.login === 'late@example.com')).toMatchObject({ activityKnown: false });
  });

  it('backs off and retries 403 userRateLimitExceeded, 429 rateLimitExceeded and 5xx', async () => {
    const target = await start({ users: [{ primaryEmail: 'a@example.com' }] });
    target.state.inject({ status: 403, reason: 'userRateLimitExceeded', times: 2, path: USERS_PATH });
    target.state.inject({ status: 429, reason: 'rateLimitExceeded', times: 1, path: USERS_PATH });
    target.state.inject({ status: 503, times: 1, path: USERS_PATH });
    const accounts = (
      await collectPages(createGoogleCollector(configFor(target), { retryPolicy: FAST_RETRIES }))
    ).flat();
    expect(accounts).toHaveLength(2);
    expect(target.state.requests.filter((r) => r.path === USERS_PATH).map((r) => r.status)).toEqual([
      403, 403, 429, 503, 200,
    ]);
  });

  it('a source still over quota after backing off fails, never comes back short', async () => {
    const target = await start({
      users: Array.from({ length: 600 }, (_, index) => ({ primaryEmail: `u${index}@example.com` })),
    });
    // The first page succeeds, then the quota is gone for good.
    const collector = createGoogleCollector(configFor(target), {
      retryPolicy: { ...FAST_RETRIES, rateLimitRetries: 3 },
    });
    const pages: Account[][] = [];
    let failure: unknown;
    try {
      for await (const page of collector.collect(contextWith())) {
        pages.push(page);
        target.state.inject({ status: 403, reason: 'userRateLimitExceeded', times: 100, path: USERS_PATH });
      }
    } catch (error) {
      failure = error;
    }
    expect(pages.map((p) => p.length)).toEqual([500]);
    expect(failure).toBeInstanceOf(SourceError);
    expect((failure as SourceError).kind).toBe('rate-limit');
    expect((failure as SourceError).message).toMatch(/^gws: users.list: HTTP 403 userRateLimitExceeded/);
    expect((failure as SourceError).message).toMatch(/quota/);
  });

  it('keeps the quota errors apart from permission errors', () => {
    const error = (status: number, reason: string) => ({
      response: { status, data: { error: { code: status, message: 'x', errors: [{ reason }] } } },
    });
    expect(classifyGoogleError(error(403, 'userRateLimitExceeded'))).toBe('quota');
    expect(classifyGoogleError(error(403, 'rateLimitExceeded'))).toBe('quota');
    expect(classifyGoogleError(error(403, 'quotaExceeded'))).toBe('quota');
    expect(classifyGoogleError(error(429, 'rateLimitExceeded'))).toBe('quota');
    expect(classifyGoogleError(error(403, 'forbidden'))).toBe('fatal');
    expect(classifyGoogleError(error(403, 'insufficientPermissions'))).toBe('fatal');
    expect(classifyGoogleError(error(500, 'backendError'))).toBe('transient');
    expect(classifyGoogleError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('transient');
    expect(classifyGoogleError(error(401, 'authError'))).toBe('fatal');
  });
});

describe('google bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-google-'));
  const keyFile = (name: string, content: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };

  it('a missing key file names the file and how to get a key', async () => {
    const target = await start();
    const missing = path.join(dir, 'nope.json');
    const error = await collectError(createGoogleCollector(configFor(target, { key: undefined, keyFile: missing })));
    expect(error.kind).toBe('config');
    expect(error.message).toContain(`gws: key file ${missing} does not exist`);
    expect(error.message).toContain('Keys > Add key > JSON');
  });

  it('a key file that is not JSON, or not a service account key, is refused without printing it', async () => {
    const target = await start();
    const notJson = keyFile('garbage.json', `-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n`);
    const notJsonError = await collectError(
      createGoogleCollector(configFor(target, { key: undefined, keyFile: notJson })),
    );
    expect(notJsonError.message).toContain('not JSON');
    expect(notJsonError.message).not.toContain('MIIEvQIBADANBg');

    const oauthClient = keyFile(
      'client.json',
      JSON.stringify({ installed: { client_id: 'x.apps.googleusercontent.com', client_secret: 'GOCSPX-s3cr3t' } }),
    );
    const clientError = await collectError(
      createGoogleCollector(configFor(target, { key: undefined, keyFile: oauthClient })),
    );
    expect(clientError.message).toContain('not a service account key');
    expect(clientError.message).not.toContain('GOCSPX');

    const brokenPem = keyFile('broken.json', JSON.stringify({ ...target.serviceAccountKey, private_key: 'abc' }));
    const pemError = await collectError(
      createGoogleCollector(configFor(target, { key: undefined, keyFile: brokenPem })),
    );
    expect(pemError.message).toContain('private_key is not a PEM private key');
  });

  it('a key Google does not trust (another private key) fails authentication, with no secret shown', async () => {
    const target = await start();
    const error = await collectError(createGoogleCollector(configFor(target, { key: target.foreignKeyJson })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('invalid_grant: Invalid JWT Signature.');
    expectNoSecret(error.message, target);
  });

  it('scopes not authorised for domain-wide delegation name the client id, scope and Admin console path', async () => {
    const target = await start({ authorizedScopes: [GOOGLE_SCOPE.act] });
    const error = await collectError(createGoogleCollector(configFor(target)));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('unauthorized_client');
    expect(error.message).toContain('Security > Access and data control > API controls > Domain-wide delegation');
    expect(error.message).toContain(`client ID ${target.serviceAccountKey.client_id}`);
    expect(error.message).toContain(GOOGLE_SCOPE.read);
  });

  it('a subject that is not an admin is refused with the fix', async () => {
    const target = await start({ users: [{ primaryEmail: 'bob@example.com' }] });
    const error = await collectError(createGoogleCollector(configFor(target, { subject: 'bob@example.com' })));
    expect(error.message).toContain('HTTP 403 forbidden: Not Authorized to access this resource/api');
    expect(error.message).toContain('`subject` must be a Google Workspace admin');
  });

  it('a subject who is not a user of the account is named', async () => {
    const target = await start();
    const error = await collectError(createGoogleCollector(configFor(target, { subject: 'ghost@example.com' })));
    expect(error.message).toContain('Invalid email or User ID');
    expect(error.message).toContain('subject ghost@example.com is not a user');
  });

  it("a domain that is not the customer's names the domain", async () => {
    const target = await start();
    const error = await collectError(createGoogleCollector(configFor(target, { domain: 'not-ours.example' })));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('domain not-ours.example must belong');
  });

  it('an apiUrl that answers 404 is a config problem, not an empty directory', async () => {
    const target = await start();
    const notGoogle = createHttpServer((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>'),
    );
    await new Promise<void>((resolve) => notGoogle.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = notGoogle.address() as { port: number };
      const error = await collectError(
        createGoogleCollector(configFor(target, { apiUrl: `http://127.0.0.1:${port}/` })),
      );
      expect(error.kind).toBe('config');
      expect(error.message).toContain('is apiUrl the Admin SDK root?');
    } finally {
      notGoogle.close();
    }
  });

  it('config: key only as ${VAR}, checked at load time; keyFile relative to the config; one of them', () => {
    const file = path.join(dir, 'zombiescan.yaml');
    const yaml = (source: string) => `roster: { path: ./hr.csv }\nsources:\n  - ${source}\n`;
    const good = JSON.stringify({
      type: 'service_account',
      client_email: 'a@b.iam.gserviceaccount.com',
      private_key:
        '-----BEGIN PRIVATE KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n',
    });
    const env = { GOOGLE_SA_KEY: good, NOT_A_KEY: '{"web": {"client_secret": "GOCSPX-zzz"}}' };

    const inline = parseConfig(
      yaml(`{ name: g, type: google, subject: ${ADMIN}, key: "\${GOOGLE_SA_KEY}" }`),
      file,
      env,
    );
    expect(inline.sources[0]).toMatchObject({ type: 'google', role: 'app', apiUrl: 'https://admin.googleapis.com/' });
    expect(inline.secrets).toContain(good);
    expect(inline.secrets.some((secret) => secret.includes('AAAAAAAA'))).toBe(true);

    expect(() => parseConfig(yaml(`{ name: g, type: google, subject: ${ADMIN}, key: '${good}' }`), file, env)).toThrow(
      /credentials are accepted only as an environment reference/,
    );
    const notKey = () =>
      parseConfig(yaml(`{ name: g, type: google, subject: ${ADMIN}, key: "\${NOT_A_KEY}" }`), file, env);
    expect(notKey).toThrow(ConfigError);
    expect(notKey).toThrow(/sources\[0\]\.key: not a service account key/);
    try {
      notKey();
    } catch (error) {
      expect((error as Error).message).not.toContain('GOCSPX');
    }

    const fromFile = parseConfig(
      yaml(`{ name: g, type: google, subject: ${ADMIN}, keyFile: ./keys/sa.json }`),
      file,
      env,
    );
    expect(fromFile.sources[0]).toMatchObject({ keyFile: path.join(dir, 'keys/sa.json') });
    expect(() => parseConfig(yaml(`{ name: g, type: google, subject: ${ADMIN} }`), file, env)).toThrow(
      /give exactly one of keyFile/,
    );
    expect(() =>
      parseConfig(
        yaml(`{ name: g, type: google, subject: ${ADMIN}, keyFile: k.json, customer: my_customer, domain: x.com }`),
        file,
        env,
      ),
    ).toThrow(/customer .* or domain .*, not both/);
    expect(() => parseConfig(yaml(`{ name: g, type: google, subject: admin, keyFile: k.json }`), file, env)).toThrow(
      /subject/,
    );
  });
});

describe('google doctor', () => {
  const byName = (checks: DoctorCheck[]) => Object.fromEntries(checks.map((c) => [c.check, c]));

  it('reports key, delegation, users and each scope when all is well', async () => {
    const target = await start();
    const checks = byName(await createGoogleCollector(configFor(target)).doctor(contextWith()));
    expect(Object.keys(checks)).toEqual([
      'key file',
      'reachable',
      'authenticated',
      'users readable',
      'act scope',
      'security scope',
      'reports scope',
    ]);
    expect(Object.values(checks).every((c) => c.ok)).toBe(true);
    expect(checks['key file']!.detail).toContain(target.serviceAccountKey.client_email);
    expect(checks.authenticated!.detail).toContain(`token for ${ADMIN}`);
    expectNoSecret(JSON.stringify(checks), target);
  });

  it('scopes not granted are limitations with the exact fix; a missing read scope blocks', async () => {
    const target = await start({ authorizedScopes: [GOOGLE_SCOPE.read] });
    const checks = byName(await createGoogleCollector(configFor(target)).doctor(contextWith()));
    expect(checks['users readable']!.ok).toBe(true);
    expect(checks['act scope']).toMatchObject({ ok: false, limitation: true });
    expect(checks['act scope']!.detail).toContain(`authorise the OAuth scopes ${GOOGLE_SCOPE.act}`);
    expect(checks['security scope']!.detail).toContain('revoke-sessions (users.signOut) is refused');

    const readless = await startFakeGoogle({
      users: [{ primaryEmail: ADMIN, isAdmin: true }],
      authorizedScopes: [GOOGLE_SCOPE.act],
    });
    try {
      const blocked = byName(await createGoogleCollector(configFor(readless)).doctor(contextWith()));
      expect(blocked.authenticated).toMatchObject({ ok: false });
      expect(blocked.authenticated!.detail).toContain(GOOGLE_SCOPE.read);
    } finally {
      await readless.close();
    }
  });

  it('a bad key fails the key check without printing it; a dead endpoint is unreachable', async () => {
    const target = await start();
    const badKey = byName(
      await createGoogleCollector(configFor(target, { key: undefined, keyFile: '/nonexistent/sa.json' })).doctor(
        contextWith(),
      ),
    );
    expect(badKey['key file']).toMatchObject({ ok: false, limitation: false });
    expect(badKey.reachable!.detail).toContain('not checked');

    const port = await closedPort();
    const dead = byName(
      await createGoogleCollector(configFor(target, { tokenUrl: `http://127.0.0.1:${port}/token` }), {
        retryPolicy: FAST_RETRIES,
      }).doctor(contextWith()),
    );
    expect(dead.reachable).toMatchObject({ ok: false });
    expect(dead.reachable!.detail).toContain(`no answer from http://127.0.0.1:${port}/token`);
  });

  it('a subject that is not an admin fails "users readable" with the fix', async () => {
    const target = await start({ users: [{ primaryEmail: 'bob@example.com' }] });
    const checks = byName(
      await createGoogleCollector(configFor(target, { subject: 'bob@example.com' })).doctor(contextWith()),
    );
    expect(checks.authenticated!.ok).toBe(true);
    expect(checks['users readable']).toMatchObject({ ok: false });
    expect(checks['users readable']!.detail).toContain('must be a Google Workspace admin');
  });
});

async function fetchToken(target: GoogleFake): Promise<string> {
  const { JWT } = await import('google-auth-library');
  const jwt = new JWT({
    email: target.serviceAccountKey.client_email,
    key: target.serviceAccountKey.private_key,
    scopes: [GOOGLE_SCOPE.read],
    subject: ADMIN,
  });
  jwt.transporter.interceptors.request.add({
    resolved: (request) => {
      request.url = new URL(target.tokenUrl);
      return Promise.resolve(request);
    },
  });
  const { token } = await jwt.getAccessToken();
  return token!;
}

async function getJson(target: GoogleFake, pathAndQuery: string, token: string): Promise<unknown> {
  const response = await fetch(new URL(pathAndQuery, target.apiUrl), { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return response.json();
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the Google fake behaves like Google', () => {
  const sign = (
    target: GoogleFake,
    claims: Record<string, unknown>,
    privateKey = target.serviceAccountKey.private_key,
  ) => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}`;
    return `${unsigned}.${cryptoSign('RSA-SHA256', Buffer.from(unsigned), privateKey).toString('base64url')}`;
  };
  const claimsFor = (target: GoogleFake, overrides: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: target.serviceAccountKey.client_email,
      sub: ADMIN,
      scope: GOOGLE_SCOPE.read,
      aud: 'https://oauth2.googleapis.com/token',
      iat: now,
      exp: now + 3600,
      ...overrides,
    };
  };
  const grant = async (target: GoogleFake, assertion: string) => {
    const response = await fetch(target.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('verifies the assertion: signature, issuer, audience, lifetime, subject, delegated scopes', async () => {
    const target = await start({ authorizedScopes: [GOOGLE_SCOPE.read] });
    expect((await grant(target, sign(target, claimsFor(target)))).status).toBe(200);
    const refused = async (claims: Record<string, unknown>) => (await grant(target, sign(target, claims))).body;
    expect(await refused(claimsFor(target, { aud: target.tokenUrl }))).toMatchObject({ error: 'invalid_grant' });
    expect(await refused(claimsFor(target, { exp: Math.floor(Date.now() / 1000) - 10 }))).toMatchObject({
      error: 'invalid_grant',
    });
    expect(await refused(claimsFor(target, { exp: Math.floor(Date.now() / 1000) + 7200 }))).toMatchObject({
      error: 'invalid_grant',
    });
    expect(await refused(claimsFor(target, { iss: 'someone@else.iam.gserviceaccount.com' }))).toMatchObject({
      error: 'invalid_grant',
    });
    expect(await refused(claimsFor(target, { sub: 'nobody@example.com' }))).toEqual({
      error: 'invalid_grant',
      error_description: 'Invalid email or User ID',
    });
    const scopes = await grant(target, sign(target, claimsFor(target, { scope: GOOGLE_SCOPE.act })));
    expect(scopes).toMatchObject({ status: 401, body: { error: 'unauthorized_client' } });
    const otherKey = JSON.parse(target.foreignKeyJson) as { private_key: string };
    expect(await grant(target, sign(target, claimsFor(target), otherKey.private_key))).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' },
    });
  });

  it("answers API calls with Google's errors: 401 bad token, 403 missing scope, 400 without customer", async () => {
    const target = await start({ users: [{ primaryEmail: 'x@example.com' }] });
    const token = String((await grant(target, sign(target, claimsFor(target)))).body.access_token);
    const call = async (pathAndQuery: string, bearer: string, method = 'GET') => {
      const response = await fetch(new URL(pathAndQuery, target.apiUrl), {
        method,
        headers: { authorization: `Bearer ${bearer}` },
      });
      return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
    };
    const unauthenticated = await call(`${USERS_PATH}?customer=my_customer`, 'ya29.not-a-token');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
    expect(unauthenticated.body.error.errors).toEqual([expect.objectContaining({ reason: 'authError' })]);
    const user = target.state.user('x@example.com')!;
    const signOut = await call(`${USERS_PATH}/${user.id}/signOut`, token, 'POST');
    expect(signOut.status).toBe(403);
    expect(signOut.body.error.errors).toEqual([expect.objectContaining({ reason: 'insufficientPermissions' })]);
    expect((await call(USERS_PATH, token)).status).toBe(400);
    expect((await call(`${USERS_PATH}?customer=C0other`, token)).status).toBe(403);
    expect((await call(`${USERS_PATH}?customer=my_customer&pageToken=forged`, token)).status).toBe(400);
    target.state.queriesPerMinute = 0;
    const quota = await call(`${USERS_PATH}?customer=my_customer`, token);
    expect(quota.status).toBe(403);
    expect(quota.body.error.errors).toEqual([
      expect.objectContaining({ reason: 'userRateLimitExceeded', domain: 'usageLimits' }),
    ]);
  });
});
