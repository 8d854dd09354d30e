#!/usr/bin/env node
// The package's bin: runs the TypeScript CLI through tsx's loader, so `npx edgewatch` works
// right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/index.ts');
process.exitCode = await main(process.argv.slice(2));
