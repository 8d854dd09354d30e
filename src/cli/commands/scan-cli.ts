/**
 * The `edgewatch scan …` entry used by bin/edgewatch.js: a program holding only the scan command,
 * so a scan does not load the modules of every other command (dashboard server, mail import,
 * OpenPGP, the distributed queue…). Those cost about 60 MB of RSS and 27 MB of live V8 heap that
 * a scan would carry for its whole run, and V8 sizes its old generation as a multiple of the live
 * heap (issue #2: 1,048,576 streamed targets within 256 MB). `scan status` and help go through the
 * full CLI (see bin/edgewatch.js). Parsing and exit statuses come from run-program.ts, as for the
 * full CLI.
 */
import type { Command } from 'commander';
import { newProgram, runProgram } from '../run-program.js';
import { defineScanCommand } from './scan-run.js';

export function buildScanProgram(): Command {
  const program = newProgram('Probe targets and classify every host; `edgewatch --help` lists the other commands.');
  defineScanCommand(program);
  return program;
}

/** Run `edgewatch scan …`; returns the exit status (the same mapping as the full CLI). */
export function main(argv: string[]): Promise<number> {
  return runProgram(buildScanProgram(), argv);
}
