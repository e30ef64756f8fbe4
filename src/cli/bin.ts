#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv.slice(2));
// Exit explicitly once stdout is flushed: SDK keep-alive sockets must not hold a finished command open.
process.stdout.write('', () => process.exit(code));
