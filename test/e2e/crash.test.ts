import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { makeScimUser, startScimFake, type ScimFake } from '../fakes/scim.js';
import { tempDir } from '../engine/helpers.js';
import { zombiescan } from './cli.js';

/**
 * `remediate --apply` killed (SIGKILL) between the journaled intent and its result, for real: the next run must
 * reconcile by re-reading the account — never lose the action, never apply it twice — and the journal stays intact.
 */

const TOKEN = 'scim-crash-token-5e6f7a8b';
const HR = `employee_id,email,status,termination_date
E1,alice@acme.com,active,
E2,bob@acme.com,terminated,2026-01-31
`;

let fake: ScimFake | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(options: { holdWriteAnswersMs?: number; latencyMs?: number }) {
  fake = await startScimFake({
    token: TOKEN,
    users: [
      // The app exposes roles, so privilege is known (without them remediation would refuse to act).
      makeScimUser(1, {
        userName: 'alice@acme.com',
        emails: [{ value: 'alice@acme.com', primary: true }],
        roles: [{ value: 'member' }],
      }),
      makeScimUser(2, {
        userName: 'bob@acme.com',
        emails: [{ value: 'bob@acme.com', primary: true }],
        roles: [{ value: 'member' }],
      }),
    ],
    ...options,
  });
  const dir = tempDir('zombiescan-crash-');
  writeFileSync(path.join(dir, 'hr.csv'), HR);
  writeFileSync(
    path.join(dir, 'zombiescan.yaml'),
    `database: ./z.db
roster: { path: ./hr.csv }
sources:
  - { name: zoom, type: scim, baseUrl: "${fake.baseUrl}", token: "\${ZOOM_TOKEN}" }
remediation:
  policy: { terminated-still-active: [disable] }
`,
  );
  const env = { ZOOM_TOKEN: TOKEN };
  expect((await zombiescan(['scan'], { cwd: dir, env })).code).toBe(0);
  return { dir, env, fake };
}

/** Runs `remediate --apply` and SIGKILLs it the moment the SCIM fake has received the disabling PATCH. */
async function applyAndKillAtPatch(dir: string, env: NodeJS.ProcessEnv, scim: ScimFake, received: () => boolean) {
  const result = await zombiescan(['remediate', '--apply', '--json'], {
    cwd: dir,
    env,
    onSpawn: (child) => {
      const timer = setInterval(() => {
        if (received()) {
          clearInterval(timer);
          child.kill('SIGKILL');
        }
      }, 5);
      child.on('exit', () => clearInterval(timer));
    },
  });
  expect(result.code).toBe(null);
  void scim;
}

function journal(dir: string) {
  const db = new Database(path.join(dir, 'z.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, kind, intent_id, action, status FROM audit_log ORDER BY id').all() as {
      id: number;
      kind: string;
      intent_id: number | null;
      action: string;
      status: string | null;
    }[];
  } finally {
    db.close();
  }
}

const patches = (scim: ScimFake) => scim.state.requests.filter((r) => r.method === 'PATCH');
const bobActive = (scim: ScimFake) => scim.state.users.find((u) => u.userName === 'bob@acme.com')!.active;

describe('remediate --apply killed between intent and result', () => {
  it('the call had landed: the next run confirms it by re-reading and does not call again', async () => {
    const { dir, env, fake: scim } = await setup({ holdWriteAnswersMs: 2_000 });
    await applyAndKillAtPatch(dir, env, scim, () => patches(scim).length > 0);
    expect(bobActive(scim)).toBe(false);
    expect(journal(dir).map((row) => row.kind)).toEqual(['intent']);

    const next = await zombiescan(['remediate', '--apply', '--json'], { cwd: dir, env });
    expect(next.stderr).not.toMatch(/internal error/);
    expect(patches(scim)).toHaveLength(1);
    const rows = journal(dir);
    expect(rows[1]).toMatchObject({ kind: 'result', intent_id: rows[0]!.id, status: 'applied' });
    expect(rows.filter((row) => row.kind === 'intent')).toHaveLength(1);
    expect((await zombiescan(['audit-log', 'verify'], { cwd: dir, env })).code).toBe(0);
  });

  it('the call had not landed: the next run records it as not applied and does it once', async () => {
    const { dir, env, fake: scim } = await setup({ latencyMs: 1_500 });
    // Killed while the PATCH is on the wire: the fake drops requests whose client has gone.
    await applyAndKillAtPatch(dir, env, scim, () => journal(dir).some((row) => row.kind === 'intent'));
    expect(bobActive(scim)).toBe(true);

    const next = await zombiescan(['remediate', '--apply', '--json'], { cwd: dir, env });
    expect(next.stderr).not.toMatch(/internal error/);
    expect(bobActive(scim)).toBe(false);
    expect(patches(scim).filter((r) => r.status < 300)).toHaveLength(1);
    const rows = journal(dir);
    const [firstIntent, reconciled, secondIntent, applied] = rows;
    expect(reconciled).toMatchObject({ kind: 'result', intent_id: firstIntent!.id, status: 'failed' });
    expect(applied).toMatchObject({ kind: 'result', intent_id: secondIntent!.id, status: 'applied' });
    expect((await zombiescan(['audit-log', 'verify'], { cwd: dir, env })).code).toBe(0);
  });
});
