/**
 * `edgewatch scan` for the full CLI: the scan command (scan-run.ts) with its `scan status`
 * subcommand (worker.ts, which loads the distributed queue). bin/edgewatch.js runs a plain
 * `edgewatch scan …` through scan-cli.ts instead, which leaves `status` and the queue out.
 */
import type { Command } from 'commander';
import { defineScanCommand } from './scan-run.js';
import { registerScanStatusCommand } from './worker.js';

export { type ScanFlags, scanCommand } from './scan-run.js';

export function registerScanCommand(program: Command): void {
  registerScanStatusCommand(defineScanCommand(program));
}
