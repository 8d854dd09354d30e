#!/usr/bin/env node
// The package's bin: runs the TypeScript CLI through tsx's loader, so `npx edgewatch` works
// right after `npm ci` with no build step.
//
// `edgewatch scan` streams any number of targets in bounded memory (issue #2), so it
//  - loads only the scan command (src/cli/commands/scan-cli.ts), not every command's modules;
//    `scan status` and help go through the full CLI;
//  - lets V8's old generation grow to at most 2× the live heap between full collections. On a
//    machine with a lot of RAM V8 otherwise lets it reach 4× (measured: 300 MB of heap for 80 MB
//    live, 499 MB peak RSS for 1,048,576 refused targets). V8 reads the flag at each collection,
//    so setting it here takes effect; a `--heap-growing-percent` given to node wins.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

const SCAN_HEAP_GROWING_PERCENT = 100;

const argv = process.argv.slice(2);
if (argv[0] === 'scan' && !process.execArgv.some((a) => /^--heap[-_]growing[-_]percent/.test(a))) {
  v8.setFlagsFromString(`--heap-growing-percent=${SCAN_HEAP_GROWING_PERCENT}`);
}
const scanOnly = argv[0] === 'scan' && argv[1] !== 'status' && argv[1] !== 'help' && !argv.some((a) => a === '-h' || a === '--help');
register();
const { main } = scanOnly ? await import('../src/cli/commands/scan-cli.ts') : await import('../src/cli/index.ts');
process.exitCode = await main(argv);
