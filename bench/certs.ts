import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Graph fake reads its test certificate next to its compiled module when the module loads, and the generator
 * imports the fake (fakeApplication): imported first by run.ts, this puts the certificate there before that happens.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const certs = path.join(ROOT, 'dist', 'test', 'fakes', 'certs');
if (!existsSync(certs)) cpSync(path.join(ROOT, 'test', 'fakes', 'certs'), certs, { recursive: true });
