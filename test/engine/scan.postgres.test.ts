/** The same tests as scan.test.ts, on a real PostgreSQL (one server for this file, a fresh database per harness). */
import { selectEngine, useEngines } from '../store/engines.js';

useEngines();
selectEngine('postgres');
await import('./scan.test.js');
