import { startGraphFake, TEST_CA_CERTIFICATE, type GraphFake } from '../test/fakes/graph.js';
import { OKTA_FAKE_TOKEN, startOktaFake, type OktaFake, type OktaFakeRateLimit } from '../test/fakes/okta.js';
import { startScimFake, type ScimFake } from '../test/fakes/scim.js';
import { FAKE_ADMIN_TOKEN, FAKE_BOT_TOKEN, startSlackFake, type SlackFake } from '../test/fakes/slack.js';
import type { GeneratedOrganisation } from './generate.js';

/**
 * The loopback fakes the benchmark collects from (the same ones the tests use): Okta, Microsoft Graph (https, with
 * the test CA), Slack and a SCIM app. They run in the benchmark's own process, so their CPU and memory are never
 * counted as the scanner's, which runs in a child process.
 */

const SCIM_TOKEN = 'bench-scim-token-4d3c2b1a';

export interface BenchFakes {
  okta: OktaFake;
  graph: GraphFake;
  slack: SlackFake;
  scim: ScimFake;
  caCertificate: string;
  /** The credentials the config refers to as ${VAR}. */
  env: Record<string, string>;
  /** The `sources:` entries of the four API sources. */
  sourcesYaml(): string;
  /** Hands each fake its share of the organisation (replacing the previous one). */
  load(org: GeneratedOrganisation): void;
  /** Forgets users and request logs, so the next organisation is not held alongside this one. */
  clear(): void;
  close(): Promise<void>;
}

export async function startFakes(): Promise<BenchFakes> {
  const [okta, graph, slack, scim] = await Promise.all([
    startOktaFake(),
    startGraphFake(),
    startSlackFake(),
    startScimFake({ token: SCIM_TOKEN }),
  ]);
  const clear = () => {
    okta.state.users = [];
    okta.state.adminIds = new Set();
    okta.state.apiTokens = [];
    okta.state.requests.length = 0;
    graph.state.users = [];
    graph.state.roleAssignments = [];
    graph.state.applications = [];
    graph.state.permissionGrants = [];
    graph.state.requests.length = 0;
    slack.state.users = [];
    slack.state.accessLogs = [];
    slack.state.requests.length = 0;
    scim.state.users = [];
    scim.state.requests.length = 0;
  };
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
      ZOOM_SCIM_TOKEN: SCIM_TOKEN,
    },
    sourcesYaml: () =>
      [
        oktaSourceYaml(okta.orgUrl),
        `  - name: entra
    type: entra
    tenantId: "${graph.tenantId}"
    clientId: "${graph.clientId}"
    clientSecret: "\${ENTRA_CLIENT_SECRET}"
    graphUrl: "${graph.url}"
    authorityUrl: "${graph.authorityUrl}"
    timeoutSeconds: 3600`,
        `  - { name: slack, type: slack, apiUrl: "${slack.apiUrl}", token: "\${SLACK_TOKEN}", adminToken: "\${SLACK_ADMIN_TOKEN}", timeoutSeconds: 3600 }`,
        `  - { name: zoom, type: scim, baseUrl: "${scim.baseUrl}", token: "\${ZOOM_SCIM_TOKEN}", timeoutSeconds: 3600 }`,
      ].join('\n'),
    load(org) {
      clear();
      okta.state.users = org.okta.users;
      okta.state.adminIds = new Set(org.okta.adminIds);
      okta.state.apiTokens = org.okta.apiTokens;
      graph.state.users = org.graph.users;
      graph.state.roleAssignments = org.graph.roleAssignments;
      graph.state.applications = org.graph.applications;
      graph.state.permissionGrants = org.graph.permissionGrants;
      slack.state.users = org.slack.users;
      slack.state.accessLogs = org.slack.accessLogs;
      scim.state.users = org.scim.users;
    },
    clear,
    close: async () => {
      await Promise.all([okta.close(), graph.close(), slack.close(), scim.close()]);
    },
  };
}

export function oktaSourceYaml(orgUrl: string): string {
  return `  - { name: okta, type: okta, role: idp, orgUrl: "${orgUrl}", token: "\${OKTA_API_TOKEN}", timeoutSeconds: 3600 }`;
}

/** An Okta fake on its own, enforcing a rate limit with real X-Rate-Limit-* headers. */
export async function startRateLimitedOkta(rateLimit: OktaFakeRateLimit): Promise<OktaFake> {
  return startOktaFake({ rateLimit });
}

export { OKTA_FAKE_TOKEN };
