#!/usr/bin/env node
import { limitHeapGrowth } from '../common/heap.js';
import { main } from './main.js';

limitHeapGrowth();

const code = await main(process.argv.slice(2));
// Exit explicitly once stdout is flushed: SDK keep-alive sockets must not hold a finished command open.
process.stdout.write('', () => process.exit(code));
