import { isMap, isScalar, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { suggest } from '../common/closest.js';

/**
 * Schema problems in the words of the config file: every problem at once, each at the line of the offending key
 * (not the first key of the map around it), an unknown key with the closest known one, and no schema-library
 * phrasing ("unknown setting paht (did you mean path?)", not "Unrecognized key").
 */

export interface ConfigProblem {
  line: number;
  path: readonly PropertyKey[];
  message: string;
}

type Issue = z.core.$ZodIssue;

export function describeConfigIssues(
  issues: readonly Issue[],
  raw: unknown,
  doc: Document,
  lineCounter: LineCounter,
  schema: z.ZodType,
  unionMessage: (issue: Issue) => string | null,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path, raw);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        problems.push({
          line: keyLine(doc, lineCounter, path),
          path,
          message: `unknown setting ${key}${suggest(key, known)}`,
        });
      }
      continue;
    }
    problems.push({
      line: keyLine(doc, lineCounter, issue.path),
      path: issue.path,
      message: unionMessage(issue) ?? plainMessage(issue),
    });
  }
  return problems.sort((a, b) => a.line - b.line);
}

function plainMessage(issue: Issue): string {
  if (issue.code === 'invalid_type') {
    if (issue.message.endsWith('received undefined')) return `missing: expected ${article(issue.expected)}`;
    return `expected ${article(issue.expected)}`;
  }
  if (issue.code === 'invalid_value') {
    return `must be one of ${issue.values.map((value) => String(value)).join(', ')}`;
  }
  return issue.message;
}

function article(type: string): string {
  const words: Record<string, string> = {
    object: 'a mapping of settings',
    array: 'a list',
    string: 'a text value',
    number: 'a number',
    boolean: 'true or false',
    record: 'a mapping',
  };
  return words[type] ?? type;
}

/** The line of the key at `path` (its own line, even when its value is a block below it), else the nearest parent's. */
export function keyLine(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number {
  for (let depth = path.length; depth > 0; depth--) {
    const parent = doc.getIn(path.slice(0, depth - 1) as unknown[], true) as Node | undefined;
    const key = path[depth - 1];
    if (parent && isMap(parent)) {
      const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      const range = (pair?.key as Node | undefined)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    const node = doc.getIn(path.slice(0, depth) as unknown[], true) as Node | undefined;
    if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return 1;
}

/** The keys the schema accepts at `path`, following the value itself through lists and `type` unions. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[], raw: unknown): string[] {
  let current: unknown = schema;
  let value: unknown = raw;
  for (const part of [...path, null]) {
    current = unwrap(current, value);
    if (part === null) break;
    const def = defOf(current);
    if (def?.type === 'object') current = (current as { shape: Record<string, unknown> }).shape[String(part)];
    else if (def?.type === 'array') current = def.element;
    else if (def?.type === 'record') current = def.valueType;
    else return [];
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[part] : undefined;
  }
  const def = defOf(current);
  return def?.type === 'object' ? Object.keys((current as { shape: Record<string, unknown> }).shape) : [];
}

interface Def {
  type: string;
  innerType?: unknown;
  element?: unknown;
  valueType?: unknown;
  options?: unknown[];
  in?: unknown;
}

function defOf(schema: unknown): Def | undefined {
  return (schema as { _zod?: { def?: Def } } | undefined)?._zod?.def;
}

function unwrap(schema: unknown, value: unknown): unknown {
  let current = schema;
  for (let guard = 0; guard < 10; guard++) {
    const def = defOf(current);
    if (!def) return current;
    if (def.type === 'default' || def.type === 'optional' || def.type === 'nullable' || def.type === 'prefault') {
      current = def.innerType;
    } else if (def.type === 'pipe') {
      current = def.in;
    } else if (def.type === 'union' && def.options) {
      const type = value !== null && typeof value === 'object' ? (value as { type?: unknown }).type : undefined;
      current =
        def.options.find((option) => {
          const shape = (option as { shape?: Record<string, unknown> }).shape;
          const literal = defOf(shape?.type) as { values?: unknown[] } | undefined;
          return literal?.values?.includes(type);
        }) ?? def.options[0];
    } else {
      return current;
    }
  }
  return current;
}
