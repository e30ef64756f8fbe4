import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fakeUser, startGraphFake, TEST_CA_CERTIFICATE, type GraphFake } from '../test/fakes/graph.js';
import { makeOktaUser, OKTA_FAKE_TOKEN, startOktaFake, type OktaFake } from '../test/fakes/okta.js';
import { makeScimUser, startScimFake, type ScimFake } from '../test/fakes/scim.js';
import { FAKE_ADMIN_TOKEN, FAKE_BOT_TOKEN, slackMember, startSlackFake, type SlackFake } from '../test/fakes/slack.js';

/**
 * The organisation `npm run bench:offboard` offboards someone from: six sources served by the loopback fakes (in
 * the benchmark's process), every one of them answering each call after the same latency. Okta is the identity
 * provider; Entra ID (https, with the test CA), Slack on Enterprise Grid (collection, SCIM deactivation, session
 * reset) and three SCIM apps are the other systems. Everybody on the roster has an account in every source, so the
 * person offboarded is one of a few hundred, found the way a real run finds them.
 */

export const SCIM_APPS = ['zoom', 'github', 'box'] as const;
export type ScimApp = (typeof SCIM_APPS)[number];
export const SOURCES = ['okta', 'entra', 'slack', ...SCIM_APPS] as const;
export type SourceName = (typeof SOURCES)[number];
export const IDP_SOURCE: SourceName = 'okta';

export interface OffboardPerson {
  employeeId: string;
  email: string;
  name: string;
  /** Roster index: the fakes' builders derive ids and employee numbers from it. */
  index: number;
}

/** One call the offboarding made, as the fake saw it, labelled with what it was for. */
export interface ObservedCall {
  source: SourceName;
  call: string;
  kind: 'token' | 'read' | 'write';
  /** Arrival time, epoch ms; null where the fake does not record one (Graph). */
  at: number | null;
}

export interface OffboardFakes {
  okta: OktaFake;
  graph: GraphFake;
  slack: SlackFake;
  scim: Record<ScimApp, ScimFake>;
  caCertificate: string;
  /** Credentials the config names as ${VAR}. */
  env: Record<string, string>;
  /** Fills every fake with `people` people, `person` among them. */
  load(people: number, person: OffboardPerson): void;
  /** The person's accounts enabled again and every request log emptied: the state right after the scan. */
  reset(person: OffboardPerson): void;
  /** The calls about the person's accounts since the last reset, in arrival order per source. */
  calls(person: OffboardPerson): ObservedCall[];
  /** Whether each source itself now shows the person's account disabled (and sessions ended where it can). */
  sourcesAgree(person: OffboardPerson): Record<SourceName, string | null>;
  sourcesYaml(): string;
  close(): Promise<void>;
}

const SCIM_TOKENS: Record<ScimApp, string> = {
  zoom: 'bench-zoom-scim-token-7f3e',
  github: 'bench-github-scim-token-2b9a',
  box: 'bench-box-scim-token-c41d',
};
const SCIM_ENV: Record<ScimApp, string> = {
  zoom: 'ZOOM_SCIM_TOKEN',
  github: 'GITHUB_SCIM_TOKEN',
  box: 'BOX_SCIM_TOKEN',
};
const DOMAIN = 'acme.test';
const SLACK_OWNER_ID = 'U0BENCHOWNER';

export function employeeIdOf(index: number): string {
  // The same employee number the Entra and SCIM fakes' builders give user `index`.
  return `E${String(index).padStart(5, '0')}`;
}

export function offboardPerson(index: number): OffboardPerson {
  return { employeeId: employeeIdOf(index), email: `dana.reyes@${DOMAIN}`, name: 'Dana Reyes', index };
}

function emailOf(index: number, person: OffboardPerson): string {
  return index === person.index ? person.email : `employee${index}@${DOMAIN}`;
}

function nameOf(index: number, person: OffboardPerson): string {
  return index === person.index ? person.name : `Employee ${index}`;
}

function slackIdOf(index: number): string {
  return `U${String(index).padStart(8, '0')}`;
}

export async function startOffboardFakes(latencyMs: number): Promise<OffboardFakes> {
  const [okta, graph, slack, zoom, github, box] = await Promise.all([
    startOktaFake({ latencyMs }),
    startGraphFake({ latencyMs }),
    // Enterprise Grid: the only plan with admin.users.session.reset; the admin token acts as the primary owner.
    startSlackFake({
      latencyMs,
      plan: 'enterprise',
      users: [slackMember({ id: SLACK_OWNER_ID, name: 'workspace-owner', is_owner: true, is_primary_owner: true })],
    }),
    startScimFake({ latencyMs, token: SCIM_TOKENS.zoom }),
    startScimFake({ latencyMs, token: SCIM_TOKENS.github }),
    startScimFake({ latencyMs, token: SCIM_TOKENS.box }),
  ]);
  const scim: Record<ScimApp, ScimFake> = { zoom, github, box };
  const slackOwner = slack.state.users[0]!;

  const oktaIdOf = (index: number) => makeOktaUser(okta.orgUrl, index).id;
  const graphIdOf = (index: number) => fakeUser(index).id;
  const scimIdOf = (index: number) => makeScimUser(index).id;

  return {
    okta,
    graph,
    slack,
    scim,
    caCertificate: TEST_CA_CERTIFICATE,
    env: {
      OKTA_API_TOKEN: OKTA_FAKE_TOKEN,
      ENTRA_CLIENT_SECRET: graph.clientSecret,
      SLACK_TOKEN: FAKE_BOT_TOKEN,
      SLACK_ADMIN_TOKEN: FAKE_ADMIN_TOKEN,
      ...Object.fromEntries(SCIM_APPS.map((app) => [SCIM_ENV[app], SCIM_TOKENS[app]])),
    },

    load(people, person) {
      const indexes = Array.from({ length: people }, (_, offset) => offset + 1);
      okta.state.users = indexes.map((index) =>
        makeOktaUser(okta.orgUrl, index, {
          profile: {
            login: emailOf(index, person),
            email: emailOf(index, person),
            employeeNumber: employeeIdOf(index),
            firstName: nameOf(index, person).split(' ')[0]!,
            lastName: nameOf(index, person).split(' ')[1]!,
          },
        }),
      );
      graph.state.users = indexes.map((index) =>
        fakeUser(index, {
          userPrincipalName: emailOf(index, person),
          mail: emailOf(index, person),
          proxyAddresses: [`SMTP:${emailOf(index, person)}`],
          displayName: nameOf(index, person),
        }),
      );
      slack.state.users = [
        slackOwner,
        ...indexes.map((index) =>
          slackMember({
            id: slackIdOf(index),
            name: emailOf(index, person).split('@')[0]!,
            real_name: nameOf(index, person),
            profile: { email: emailOf(index, person) },
          }),
        ),
      ];
      for (const app of SCIM_APPS) {
        scim[app].state.users = indexes.map((index) =>
          makeScimUser(index, {
            userName: emailOf(index, person),
            displayName: nameOf(index, person),
            emails: [{ value: emailOf(index, person), type: 'work', primary: true }],
          }),
        );
      }
    },

    reset(person) {
      okta.state.setStatus(oktaIdOf(person.index), 'ACTIVE');
      okta.state.requests.length = 0;
      okta.state.sessionRevocations.length = 0;
      const graphUser = graph.state.users.find((user) => user.id === graphIdOf(person.index));
      if (graphUser) graphUser.accountEnabled = true;
      graph.state.requests.length = 0;
      slack.state.users = slack.state.users.map((member) =>
        member.id === slackIdOf(person.index) ? { ...member, deleted: false } : member,
      );
      slack.state.requests.length = 0;
      slack.state.sessionResets.length = 0;
      for (const app of SCIM_APPS) {
        const state = scim[app].state;
        state.users = state.users.map((user) =>
          user.id === scimIdOf(person.index) ? { ...user, active: true } : user,
        );
        state.requests.length = 0;
      }
    },

    calls(person) {
      const calls: ObservedCall[] = [];
      const oktaId = oktaIdOf(person.index);
      for (const request of okta.state.requests) {
        if (!request.path.startsWith(`/api/v1/users/${oktaId}`)) continue;
        const call = `${request.method} ${request.path.replace(oktaId, '{id}').replace('/api/v1', '')}`;
        calls.push({ source: 'okta', call, kind: request.method === 'GET' ? 'read' : 'write', at: request.at });
      }
      for (const request of graph.state.requests) {
        const kind = request.target === 'token' ? 'token' : request.method === 'GET' ? 'read' : 'write';
        calls.push({ source: 'entra', call: `${request.method} ${request.target}`, kind, at: null });
      }
      const slackId = slackIdOf(person.index);
      for (const request of slack.state.requests) {
        const about = request.params.user ?? request.params.user_id ?? request.params.id;
        if (about !== slackId) continue;
        const kind = request.method === 'users.info' || request.httpMethod === 'GET' ? 'read' : 'write';
        calls.push({ source: 'slack', call: request.method, kind, at: request.at });
      }
      for (const app of SCIM_APPS) {
        for (const request of scim[app].state.requests) {
          if (!request.path.startsWith('/Users/')) continue;
          const kind = request.method === 'GET' ? 'read' : 'write';
          // The SCIM fake stamps the answer, not the arrival.
          calls.push({ source: app, call: `${request.method} /Users/{id}`, kind, at: request.at - latencyMs });
        }
      }
      return calls;
    },

    sourcesAgree(person) {
      const problems = {} as Record<SourceName, string | null>;
      const oktaId = oktaIdOf(person.index);
      const oktaStatus = okta.state.statusOf(oktaId);
      const revoked = okta.state.sessionRevocations.some((entry) => entry.userId === oktaId);
      problems.okta =
        oktaStatus !== 'SUSPENDED' ? `status ${oktaStatus}` : revoked ? null : 'sessions were not cleared';
      const graphUser = graph.state.users.find((user) => user.id === graphIdOf(person.index));
      const graphRevoked = graph.state.requests.some((request) => request.target === 'revokeSignInSessions');
      problems.entra =
        graphUser?.accountEnabled !== false ? 'accountEnabled is not false' : graphRevoked ? null : 'no revocation';
      const member = slack.state.users.find((candidate) => candidate.id === slackIdOf(person.index));
      const reset = slack.state.sessionResets.includes(slackIdOf(person.index));
      problems.slack = member?.deleted !== true ? 'member not deactivated' : reset ? null : 'sessions were not reset';
      for (const app of SCIM_APPS) {
        const user = scim[app].state.users.find((candidate) => candidate.id === scimIdOf(person.index));
        problems[app] = user?.active === false ? null : 'user still active';
      }
      return problems;
    },

    sourcesYaml: () =>
      [
        `  - { name: okta, type: okta, role: idp, orgUrl: "${okta.orgUrl}", token: "\${OKTA_API_TOKEN}" }`,
        `  - name: entra
    type: entra
    tenantId: "${graph.tenantId}"
    clientId: "${graph.clientId}"
    clientSecret: "\${ENTRA_CLIENT_SECRET}"
    graphUrl: "${graph.url}"
    authorityUrl: "${graph.authorityUrl}"`,
        `  - { name: slack, type: slack, apiUrl: "${slack.apiUrl}", scimUrl: "${slack.scimUrl}", ` +
          `token: "\${SLACK_TOKEN}", adminToken: "\${SLACK_ADMIN_TOKEN}" }`,
        ...SCIM_APPS.map(
          (app) => `  - { name: ${app}, type: scim, baseUrl: "${scim[app].baseUrl}", token: "\${${SCIM_ENV[app]}}" }`,
        ),
      ].join('\n'),

    close: async () => {
      await Promise.all([okta.close(), graph.close(), slack.close(), ...SCIM_APPS.map((app) => scim[app].close())]);
    },
  };
}

/** The roster and config of the organisation; returns the config file. */
export function writeOrganisation(dir: string, fakes: OffboardFakes, people: number, person: OffboardPerson): string {
  const rosterFile = path.join(dir, 'hr.csv');
  const rows = Array.from({ length: people }, (_, offset) => {
    const index = offset + 1;
    return `${employeeIdOf(index)},${emailOf(index, person)},${nameOf(index, person)},active,employee,2021-03-01`;
  });
  writeFileSync(rosterFile, ['employee_id,email,name,status,worker_type,hire_date', ...rows].join('\n') + '\n');
  const configFile = path.join(dir, 'zombiescan.yaml');
  writeFileSync(
    configFile,
    `database: ${JSON.stringify(path.join(dir, 'zombiescan.db'))}
timezone: UTC
roster: { path: ${JSON.stringify(rosterFile)} }
sources:
${fakes.sourcesYaml()}
`,
  );
  return configFile;
}

/** A fresh copy of the scanned database, so every run offboards from the same starting point. */
export function copyDatabase(from: string, to: string): void {
  for (const suffix of ['-wal', '-shm']) rmSync(`${to}${suffix}`, { force: true });
  copyFileSync(from, to);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(`${from}${suffix}`)) copyFileSync(`${from}${suffix}`, `${to}${suffix}`);
  }
}
