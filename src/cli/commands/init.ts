import { existsSync, writeFileSync } from 'node:fs';
import { UsageError } from '../../contract/errors.js';
import type { CliContext } from '../context.js';
import { STARTER_CONFIG } from '../../config/init-template.js';

export function initCommand(ctx: CliContext, options: { force?: boolean }): number {
  const file = ctx.configPath();
  if (existsSync(file) && !options.force) {
    throw new UsageError(`${file} already exists; pass --force to overwrite it`);
  }
  writeFileSync(file, STARTER_CONFIG, { mode: 0o600 });
  ctx.out(`Wrote ${file}. Edit the roster path and sources, then run \`zombiescan doctor\` and \`zombiescan scan\`.\n`);
  return 0;
}
