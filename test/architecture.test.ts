import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The directions of ARCHITECTURE.md, checked over the real import graph (every relative import, type-only and dynamic
 * ones included): no file takes part in an import circle, and no layer imports one it must not know.
 */

const ROOT = path.resolve(import.meta.dirname, '..');
const PRODUCT_FOLDERS = ['src', 'collectors', 'rules', 'reports'];

/** The layer a file belongs to, by its folder. */
function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'src') return `src/${parts[1]}`;
  if (parts[0] === 'collectors') return parts.length === 2 ? 'collectors/registry' : 'collectors/system';
  return parts[0]!;
}

const CONTRACT = ['src/contract'];
const BASE = [...CONTRACT, 'src/common'];
/** Engine folders: they know contracts, the store and each other (without circles), never the composition root. */
const ENGINE = ['src/scan', 'src/remediation', 'src/slack', 'src/serve', 'src/reporting', 'src/lifecycle'];

/** What each layer may import besides itself. Anything not listed is forbidden. */
const ALLOWED: Record<string, readonly string[]> = {
  'src/contract': [],
  'src/common': CONTRACT,
  'src/config': BASE,
  'src/store': CONTRACT,
  // A collector knows the contract, the shared helpers and its own config type; never another collector.
  'collectors/system': [...BASE, 'src/config'],
  'collectors/registry': [...BASE, 'src/config', 'collectors/system'],
  // The rule registry validates the `rules:` section for the config loader (rules/index.ts).
  rules: [...BASE, 'src/config'],
  // A report may look up a rule's title, risk and remediation text in the rule catalogue.
  reports: [...BASE, 'rules'],
  'src/scan': [...BASE, 'src/config', 'src/store'],
  'src/remediation': [...BASE, 'src/config', 'src/store', 'src/scan'],
  'src/reporting': [...BASE, 'src/config', 'src/store', 'src/remediation', 'reports', 'rules'],
  'src/slack': [...BASE, 'src/config', 'src/store', 'src/remediation', 'reports'],
  'src/serve': [...BASE, 'src/config', 'src/store', 'src/slack'],
  'src/lifecycle': [...BASE, 'src/config', 'src/store', 'src/scan', 'src/remediation'],
  'src/demo': [...BASE, 'src/config'],
  // The composition root wires everything.
  'src/cli': [
    ...BASE,
    'src/config',
    'src/store',
    ...ENGINE,
    'src/demo',
    'collectors/registry',
    'collectors/system',
    'rules',
    'reports',
  ],
};

function productFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const relative = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(relative);
    }
  };
  for (const folder of PRODUCT_FOLDERS) walk(folder);
  return files.sort();
}

/** Relative imports of a file, resolved to repository paths (`.js` specifiers name `.ts` sources). */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier)))
    .map((target) => target.replace(/\.js$/, '.ts'));
}

const FILES = productFiles();
const GRAPH = new Map(FILES.map((file) => [file, importsOf(file).filter((target) => FILES.includes(target))]));

/** Strongly connected components with more than one file (Tarjan). */
function importCircles(): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const connect = (file: string): void => {
    indexOf.set(file, index);
    low.set(file, index++);
    stack.push(file);
    onStack.add(file);
    for (const target of GRAPH.get(file) ?? []) {
      if (!indexOf.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, indexOf.get(target)!));
      }
    }
    if (low.get(file) === indexOf.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) circles.push(component.sort());
    }
  };
  for (const file of FILES) if (!indexOf.has(file)) connect(file);
  return circles;
}

describe('architecture', () => {
  it('reads the product tree', () => {
    expect(FILES.length).toBeGreaterThan(50);
    expect(GRAPH.get('src/cli/program.ts')?.length).toBeGreaterThan(3);
  });

  it('has no import circle', () => {
    expect(importCircles()).toEqual([]);
  });

  it('imports only in the allowed directions', () => {
    const violations: string[] = [];
    for (const [file, targets] of GRAPH) {
      const layer = layerOf(file);
      const allowed = ALLOWED[layer];
      if (!allowed) {
        violations.push(`${file}: folder ${layer} has no place in ARCHITECTURE.md`);
        continue;
      }
      for (const target of targets) {
        const targetLayer = layerOf(target);
        if (targetLayer === layer) {
          // One collector folder never imports another.
          const sameSystem = layer !== 'collectors/system' || file.split('/')[1] === target.split('/')[1];
          if (sameSystem) continue;
        } else if (allowed.includes(targetLayer)) {
          continue;
        }
        violations.push(`${file} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('lets product code reach into test/ only for the loopback fakes the demo serves', () => {
    // src/demo/tenants.ts serves the demo's tenants with test/fakes (compiled into the build by tsconfig.build.json)
    // so there is one fake per vendor; nothing else in the product may depend on test code.
    const intoTests = FILES.flatMap((file) =>
      importsOf(file)
        .filter((target) => target.startsWith('test/'))
        .map((target) => `${file} -> ${target}`),
    );
    const build = JSON.parse(readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    const shipped = build.include.filter((entry) => entry.startsWith('test/'));
    expect(intoTests.sort()).toEqual(shipped.map((fake) => `src/demo/tenants.ts -> ${fake}`).sort());
  });

  it('keeps SQL behind the store boundary', () => {
    const outside = FILES.filter((file) => !file.startsWith('src/store/')).filter((file) =>
      /\.(prepare|pragma|transaction)\s*[<(]|\bdb\.exec\(|from 'better-sqlite3'/.test(
        readFileSync(path.join(ROOT, file), 'utf8'),
      ),
    );
    expect(outside).toEqual([]);
  });
});
