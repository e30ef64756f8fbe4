import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** Reports render a typed model; gathering it is src/reporting's job, and SQL is src/store's. */

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(folder: string): { file: string; text: string }[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => {
      const file = path.join(folder, name);
      return { file, text: readFileSync(path.join(ROOT, file), 'utf8') };
    });
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'([^']+)'/gms)].map((match) => match[1]!);
}

const DATABASE_CALL = /\.(prepare|exec|pragma|transaction)\(/;

describe('report boundaries', () => {
  it('reports import only the contract, the common helpers, each other and npm packages', () => {
    // rules/ is allowed for the OCSF mapping alone: findingToOcsf looks up each rule's title, risk and remediation.
    const allowed = (file: string, target: string) =>
      !target.startsWith('.') ||
      target.startsWith('./') ||
      target.startsWith('../src/contract/') ||
      target.startsWith('../src/common/') ||
      (file === path.join('reports', 'ocsf.ts') && target === '../rules/index.js');
    const offending = sources('reports').flatMap(({ file, text }) =>
      importsOf(text)
        .filter((target) => !allowed(file, target))
        .map((target) => `${file} imports ${target}`),
    );
    expect(offending).toEqual([]);
  });

  it('nothing in reports, src/reporting or src/cli talks to the database handle', () => {
    const offending = ['reports', 'src/reporting', 'src/cli'].flatMap((folder) =>
      sources(folder)
        .filter(({ text }) => DATABASE_CALL.test(text))
        .map(({ file }) => file),
    );
    expect(offending).toEqual([]);
  });

  it('src/reporting reaches the database only through src/store', () => {
    const files = sources('src/reporting');
    expect(files.length).toBeGreaterThan(0);
    for (const { file, text } of files) {
      expect(importsOf(text), file).not.toContain('better-sqlite3');
    }
  });
});
