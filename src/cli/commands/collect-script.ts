/**
 * `edgewatch collect-script [-o FILE]`: print (or write) the read-only POSIX sh script that an
 * administrator runs on the appliance to make a collection for `edgewatch triage`.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { EdgewatchError } from '../../errors.js';
import { collectScript } from '../../triage/collect-script.js';

export function registerCollectScriptCommand(program: Command): void {
  program
    .command('collect-script')
    .summary('print the read-only sh script that collects evidence on an appliance for `edgewatch triage`')
    .option('-o, --output <file>', 'write the script to this file (mode 0755) instead of stdout')
    .action((flags: { output?: string }) => {
      const text = collectScript();
      if (!flags.output) {
        process.stdout.write(text);
        return;
      }
      try {
        writeFileSync(flags.output, text, { mode: 0o755, flag: 'wx' });
      } catch (cause) {
        throw new EdgewatchError(
          'EW_TRIAGE_WRITE',
          `cannot write ${flags.output}: ${(cause as Error).message} (an existing file is never overwritten)`,
          {
            cause,
          },
        );
      }
      process.stderr.write(`edgewatch: wrote ${flags.output}; copy it to the appliance and run it as root with sh\n`);
    });
}
