/**
 * The PostgreSQL connection's thread. `postgresWorkerMain` runs in a worker started with `eval` from its own source
 * text (`String(postgresWorkerMain)`), so it works the same from the TypeScript sources under vitest and from dist/:
 * it may use nothing from outside its body but `require` of the paths it is given. It holds ONE pg client, takes one
 * request at a time from its port, answers on the same port and then wakes the caller, which is blocked in
 * `Atomics.wait` on the shared flag (see postgres.ts).
 */

/** What the worker is asked. */
export type WorkerRequest =
  | { op: 'connect'; connectionString: string; applicationName: string }
  | { op: 'query'; sql: string; params: unknown[]; arrayMode: boolean }
  | { op: 'exec'; sql: string }
  | { op: 'copy'; sql: string; rows: readonly (readonly unknown[])[] }
  /** Opens a server-side cursor over `sql` and fetches its first `rows` rows; closed at once when that is all. */
  | { op: 'declare'; cursor: string; sql: string; params: unknown[]; arrayMode: boolean; rows: number }
  /** The cursor's next `rows` rows; closed when fewer come back. */
  | { op: 'fetch'; cursor: string; arrayMode: boolean; rows: number }
  /** Closes the cursor if it is still open (a rolled-back transaction may have dropped it). */
  | { op: 'closeCursor'; cursor: string }
  | { op: 'close' };

export type WorkerResponse =
  | { ok: true; rows?: unknown[]; rowCount?: number | null; done?: boolean }
  | { ok: false; error: { message: string; code?: string; detail?: string; errno?: string } };

export interface WorkerData {
  port: import('node:worker_threads').MessagePort;
  flag: Int32Array;
  pgPath: string;
  copyPath: string;
}

export function postgresWorkerMain(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { workerData } = require('node:worker_threads') as typeof import('node:worker_threads');
  const data = workerData as WorkerData;
  // Started: the caller stops waiting for a worker that never came up (see Bridge.call).
  Atomics.store(data.flag, 1, 1);
  const pg = require(data.pgPath) as typeof import('pg');
  const copyStreams = require(data.copyPath) as typeof import('pg-copy-streams');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // Integers come back as numbers, as from SQLite: count(*) and sum() are int8/numeric in PostgreSQL, which pg
  // returns as strings by default. Store integers stay far below 2^53.
  pg.types.setTypeParser(20, (value: string) => Number(value));
  pg.types.setTypeParser(1700, (value: string) => Number(value));

  let client: import('pg').Client | null = null;
  let broken: Error | null = null;
  const statementNames = new Map<string, string>();
  /** Per open cursor, its next batch, fetched ahead (see 'fetch'). */
  const prefetched = new Map<string, Promise<import('pg').QueryResult>>();

  const reply = (response: WorkerResponse): void => {
    data.port.postMessage(response);
    Atomics.store(data.flag, 0, 1);
    Atomics.notify(data.flag, 0);
  };
  const failure = (error: unknown): WorkerResponse => {
    const e = error as { message?: string; code?: string; detail?: string; errno?: string };
    return {
      ok: false,
      error: {
        message: String(e?.message ?? error),
        ...(typeof e?.code === 'string' ? { code: e.code } : {}),
        ...(typeof e?.detail === 'string' ? { detail: e.detail } : {}),
      },
    };
  };
  // COPY text format: tab-separated, \N for NULL, backslash escapes for the four characters that would break it.
  const copyField = (value: unknown): string => {
    if (value === null || value === undefined) return '\\N';
    const text = typeof value === 'string' ? value : String(value);
    return /[\\\t\n\r]/.test(text)
      ? text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
      : text;
  };

  const handle = async (request: WorkerRequest): Promise<WorkerResponse> => {
    if (request.op === 'connect') {
      client = new pg.Client({
        connectionString: request.connectionString,
        application_name: request.applicationName,
        // An unreachable or silent host fails the start instead of blocking the caller forever.
        connectionTimeoutMillis: 15_000,
      });
      client.on('error', (error: Error) => {
        broken = error;
      });
      await client.connect();
      return { ok: true };
    }
    if (request.op === 'close') {
      const open = client;
      client = null;
      if (open) await open.end();
      return { ok: true };
    }
    if (!client) throw new Error('the PostgreSQL connection is closed');
    if (broken) throw broken;
    if (request.op === 'exec') {
      await client.query(request.sql);
      return { ok: true };
    }
    if (request.op === 'query') {
      let name = statementNames.get(request.sql);
      if (name === undefined) {
        name = `zs${statementNames.size + 1}`;
        statementNames.set(request.sql, name);
      }
      const result = await client.query({
        name,
        text: request.sql,
        values: request.params,
        ...(request.arrayMode ? { rowMode: 'array' } : {}),
      });
      return { ok: true, rows: result.rows as unknown[], rowCount: result.rowCount };
    }
    if (request.op === 'declare' || request.op === 'fetch') {
      // Cursor statements go unnamed: their text names the cursor, a new one each time.
      if (request.op === 'declare') {
        await client.query({
          text: `DECLARE ${request.cursor} NO SCROLL CURSOR WITH HOLD FOR ${request.sql}`,
          values: request.params,
        });
      }
      const fetch = () =>
        client!.query({
          text: `FETCH ${request.rows} FROM ${request.cursor}`,
          ...(request.arrayMode ? { rowMode: 'array' } : {}),
        });
      const ahead = prefetched.get(request.cursor);
      prefetched.delete(request.cursor);
      const result = await (ahead ?? fetch());
      const done = result.rows.length < request.rows;
      if (done) await client.query(`CLOSE ${request.cursor}`);
      else {
        // The next batch is read and parsed here while the caller works through this one. Queued on the connection
        // right behind this FETCH, before anything the caller sends next, so it reads what that FETCH would have.
        const next = fetch();
        next.catch(() => {});
        prefetched.set(request.cursor, next);
      }
      return { ok: true, rows: result.rows as unknown[], done };
    }
    if (request.op === 'closeCursor') {
      const ahead = prefetched.get(request.cursor);
      prefetched.delete(request.cursor);
      if (ahead) await ahead.catch(() => {});
      const open = await client.query({ text: 'SELECT 1 FROM pg_cursors WHERE name = $1', values: [request.cursor] });
      if (open.rows.length > 0) await client.query(`CLOSE ${request.cursor}`);
      return { ok: true };
    }
    const stream = client.query(copyStreams.from(request.sql));
    const done = new Promise<void>((resolve, reject) => {
      stream.on('finish', resolve);
      stream.on('error', reject);
    });
    const CHUNK = 2_000;
    for (let start = 0; start < request.rows.length; start += CHUNK) {
      let text = '';
      for (const row of request.rows.slice(start, start + CHUNK)) text += row.map(copyField).join('\t') + '\n';
      if (!stream.write(text)) await new Promise((resolve) => stream.once('drain', resolve));
    }
    stream.end();
    await done;
    return { ok: true, rowCount: request.rows.length };
  };

  data.port.on('message', (request: WorkerRequest) => {
    handle(request).then(reply, (error: unknown) => reply(failure(error)));
  });
}
