/**
 * The edgewatch program shell (name, version, usage-error behaviour), and running a program on argv (nuclei-style flags rewritten first) and maps the outcome to
 * the exit status: 0 ok (or what a command set), 2 usage error or could not run, an
 * EdgewatchError's own status otherwise. Shared by the full CLI (index.ts) and the scan-only
 * entry (commands/scan-cli.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isEdgewatchError } from '../errors.js';
import { rewriteNucleiFlags } from './argv.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** A new `edgewatch` program with `description`; commands are added by the caller. */
export function newProgram(description: string): Command {
  return new Command()
    .name('edgewatch')
    .description(description)
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
}

export async function runProgram(program: Command, argv: string[]): Promise<number> {
  try {
    await program.parseAsync(rewriteNucleiFlags(argv), { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (isEdgewatchError(e)) {
      process.stderr.write(`edgewatch: error ${e.code}: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`edgewatch: internal error: ${(e as Error)?.stack ?? e}\n`);
    return 2;
  }
}
