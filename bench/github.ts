import { createGitHubCollector } from '../collectors/github/index.js';
import type { GitHubSourceConfig } from '../src/config/config.js';
import { silentLogger } from '../src/common/logger.js';
import { FAKE_OWNER_TOKEN, startFakeGitHub, syntheticGitHubOrg } from '../test/fakes/github.js';

/**
 * `node dist/bench/github.js [members]`: collects a synthetic GitHub org (default 50,000 members, 2,000 outside
 * collaborators, 500 invitations) from the loopback fake, with and without SAML SSO, and counts the requests the
 * fake answered per rate-limit resource against GitHub's 5,000 requests/hour. Waits are scaled to 1/1000 so the
 * run measures requests, not GitHub's pacing; the time at GitHub's own pacing is worked out from the counts.
 */

const HOURLY_BUDGET = 5000;
/** The throttling plugin spaces GraphQL requests 1 s apart. */
const GRAPHQL_PACING_S = 1;
/** A REST page of 100 members from api.github.com, typical order of magnitude (assumption, not measured here). */
const REST_PAGE_S = 0.5;

async function main(): Promise<void> {
  const members = Number(process.argv[2] ?? 50_000);
  const outside = Math.round(members / 25);
  const invitations = Math.round(members / 100);
  for (const saml of [true, false]) {
    const fake = await startFakeGitHub(syntheticGitHubOrg({ members, outside, invitations, saml }));
    const config = {
      name: 'github',
      type: 'github',
      role: 'app',
      timeoutSeconds: 3600,
      org: 'acme',
      token: FAKE_OWNER_TOKEN,
      apiUrl: fake.apiUrl,
    } as GitHubSourceConfig;
    const started = performance.now();
    let accounts = 0;
    const collector = createGitHubCollector(config, { waitScale: 0.001 });
    const context = { signal: new AbortController().signal, log: silentLogger, notice: () => {}, now: new Date() };
    for await (const page of collector.collect(context)) accounts += page.length;
    const core = fake.used('core');
    const graphql = fake.used('graphql');
    const atGitHubPace = graphql * GRAPHQL_PACING_S + core * REST_PAGE_S;
    console.log(
      JSON.stringify({
        saml,
        members,
        outside,
        invitations,
        accounts,
        restRequests: core,
        graphqlRequests: graphql,
        budgetShare: `${(Math.max(core, graphql) / HOURLY_BUDGET).toFixed(3)} of ${HOURLY_BUDGET}/h per resource`,
        fakeSeconds: Math.round((performance.now() - started) / 100) / 10,
        estimatedMinutesAtGitHubPace: Math.round(atGitHubPace / 6) / 10,
      }),
    );
    await fake.close();
  }
}

await main();
