/**
 * The edgewatch command line: a thin edge. Parses argv (nuclei-style flags rewritten first),
 * dispatches to commands/, and maps EdgewatchError to a message and an exit status
 * (0 ok, 1 findings where a command defines it, 2 could not run, 130 interrupted).
 */
import type { Command } from 'commander';
import { registerCasesCommands } from './commands/cases.js';
import { registerChecksCommand } from './commands/checks.js';
import { registerCollectScriptCommand } from './commands/collect-script.js';
import { registerDbCommands } from './commands/db.js';
import { registerEnrichCommands } from './commands/enrich.js';
import { registerImportCommands } from './commands/import.js';
import { registerLabCommand } from './commands/lab.js';
import { registerOrgCommands } from './commands/org.js';
import { registerResultCommands } from './commands/results.js';
import { registerScanCommand } from './commands/scan.js';
import { registerServeCommands } from './commands/serve.js';
import { registerTriageCommand } from './commands/triage.js';
import { registerWorkerCommands } from './commands/worker.js';
import { newProgram, runProgram } from './run-program.js';

export function buildProgram(): Command {
  const program = newProgram(
    'Find, classify and follow up exposed edge appliances on the day a vulnerability is mass-exploited.\nReference case: Citrix ADC / Gateway CVE-2019-19781. Traffic goes only to the configured scope (--scope or EDGEWATCH_SCOPE).',
  );
  registerScanCommand(program);
  registerResultCommands(program);
  registerLabCommand(program);
  registerChecksCommand(program);
  registerTriageCommand(program);
  registerCollectScriptCommand(program);
  registerEnrichCommands(program);
  registerOrgCommands(program);
  registerImportCommands(program);
  registerDbCommands(program);
  registerWorkerCommands(program);
  registerServeCommands(program);
  registerCasesCommands(program);
  return program;
}

export function main(argv: string[]): Promise<number> {
  return runProgram(buildProgram(), argv);
}

const isMain = process.argv[1] !== undefined && /cli[\\/]index\.ts$/.test(process.argv[1]);
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`edgewatch: ${e?.stack ?? e}\n`);
      process.exitCode = 2;
    },
  );
}
