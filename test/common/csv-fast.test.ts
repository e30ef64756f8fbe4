import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { openCsv } from '../../src/common/csv-input.js';
import { readWellFormedRecords, NotWellFormed } from '../../src/common/csv-fast.js';

/**
 * The fast path must be invisible: for any file, openCsv gives the same header, rows (values and lines) and error
 * as the csv-parse reader alone. The reference is csv-input loaded with the fast path switched off.
 */

const dir = mkdtempSync(path.join(tmpdir(), 'zombiescan-csv-fast-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = { header: string[]; rows: { line: number; values: Record<string, string> }[]; error: string | null };

async function read(open: typeof openCsv, file: string, delimiter: string): Promise<Outcome> {
  const outcome: Outcome = { header: [], rows: [], error: null };
  try {
    const csv = await open(file, { delimiter });
    outcome.header = csv.header.names;
    for await (const row of csv) outcome.rows.push({ line: row.line, values: { ...row.values } });
  } catch (error) {
    outcome.error = error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error);
  }
  return outcome;
}

async function referenceOpenCsv(): Promise<typeof openCsv> {
  vi.resetModules();
  vi.doMock('../../src/common/csv-fast.js', async (original) => ({
    ...(await original<typeof import('../../src/common/csv-fast.js')>()),
    fastPathSupports: () => false,
  }));
  const module = await import('../../src/common/csv-input.js');
  vi.doUnmock('../../src/common/csv-fast.js');
  return module.openCsv;
}

/** Seeded, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const PIECES = ['a', 'bc', ' ', '\t', ',', ';', '"', '""', '\n', '\r\n', 'é', '\u00a0', 'x y', '', '"q"', ' "q" '];

function randomCsv(next: () => number, columns: number): string {
  const lines: string[] = [];
  lines.push(Array.from({ length: columns }, (_, index) => `col${index}`).join(','));
  const rows = 1 + Math.floor(next() * 6);
  for (let row = 0; row < rows; row++) {
    if (next() < 0.15) {
      // Some lines are built of arbitrary pieces: stray quotes, blanks, line breaks inside quotes.
      lines.push(
        Array.from({ length: 1 + Math.floor(next() * 8) }, () => PIECES[Math.floor(next() * PIECES.length)]).join(''),
      );
      continue;
    }
    const fields = Array.from({ length: columns }, () => {
      const value = Array.from({ length: Math.floor(next() * 3) }, () => PIECES[Math.floor(next() * 3)]).join('');
      const roll = next();
      if (roll < 0.25) return `"${value.replace(/"/g, '""')},${value}"`;
      if (roll < 0.3) return ` "${value}"\t`;
      return value;
    });
    lines.push(fields.join(','));
  }
  return lines.join(next() < 0.5 ? '\n' : '\r\n') + (next() < 0.5 ? '\n' : '');
}

describe('CSV fast path', () => {
  it('gives exactly what csv-parse gives, rows, lines and errors, on random well- and ill-formed files', async () => {
    const reference = await referenceOpenCsv();
    const next = random(17);
    for (let index = 0; index < 400; index++) {
      const file = path.join(dir, `random-${index}.csv`);
      writeFileSync(file, randomCsv(next, 1 + Math.floor(next() * 4)));
      const [fast, slow] = [await read(openCsv, file, ','), await read(reference, file, ',')];
      expect({ file, ...fast }).toEqual({ file, ...slow });
    }
  });

  it('matches csv-parse on the cases that matter: quotes, blanks, blank lines, a multi-line value, no final line end', async () => {
    const reference = await referenceOpenCsv();
    const cases = [
      'id,name\n1,"Smith, Jo"\n\n2, plain \n',
      'id,name\r\n1,"say ""hi"""\r\n2,"two\nlines"\r\n3,x',
      'id,name\n1,ab"c\n2,x\n',
      'id,name\n1,"ab"c\n',
      'id,name\n   \n1,x\n',
      'id;name\n1;"a;b"\n',
      'id,name\n1,"unterminated\n2,x\n',
      'id,name\n,\n1,x,extra\n',
    ];
    for (const [index, content] of cases.entries()) {
      const file = path.join(dir, `case-${index}.csv`);
      writeFileSync(file, content);
      const delimiter = content.startsWith('id;') ? ';' : ',';
      expect({ content, ...(await read(openCsv, file, delimiter)) }).toEqual({
        content,
        ...(await read(reference, file, delimiter)),
      });
    }
  });

  it('reads lines split across chunks and declines a quoted value spanning lines', async () => {
    async function* chunks(...parts: string[]) {
      yield* parts;
    }
    const records = [];
    for await (const batch of readWellFormedRecords(chunks('id,na', 'me\n1,"a, ', 'b"\n\n2,c'), ','))
      records.push(...batch);
    expect(records).toEqual([
      { line: 1, fields: ['id', 'name'] },
      { line: 2, fields: ['1', 'a, b'] },
      { line: 4, fields: ['2', 'c'] },
    ]);
    const multiLine = readWellFormedRecords(chunks('id\n"a\nb"\n'), ',');
    await expect(async () => {
      for await (const _ of multiLine) void _;
    }).rejects.toBeInstanceOf(NotWellFormed);
  });
});
