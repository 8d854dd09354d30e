/**
 * `edgewatch lab`: start the emulated appliance population on loopback, print a one-line summary,
 * advance one day on SIGUSR2 (rewriting --truth atomically), close cleanly on SIGINT/SIGTERM.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { EdgewatchError } from '../../errors.js';
import { collectionFor, writeCollection } from '../../lab/collection/index.js';
import { writeCorpus } from '../../lab/corpus.js';
import { DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, DEFAULT_RANGE, type Lab, startLab } from '../../lab/index.js';
import { buildPublicIdentities, defaultOrgsFile, parseCountryMix, writePublicIdentities } from '../../lab/public-identity.js';

interface LabFlags {
  range?: string;
  size?: number;
  seed: number;
  step: number;
  httpsPort: number;
  httpPort: number;
  listen: 'auto' | 'per-address' | 'wildcard';
  mix?: string;
  truth?: string;
  identities?: string;
  identityCountries?: string;
  identityOrgs?: string;
}

function intFlag(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max) {
      throw new EdgewatchError('EW_LAB_OPTION', `${name} must be an integer from ${min} to ${max}, got "${v}"`);
    }
    return n;
  };
}

/** Read a mix file (YAML or JSON): a mapping persona → weight. */
export function readMixFile(file: string): Record<string, number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_MIX', `cannot read mix file ${file}`, { file, cause });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (cause) {
    throw new EdgewatchError('EW_LAB_MIX', `mix file is not valid YAML/JSON: ${(cause as Error).message}`, { file, cause });
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    throw new EdgewatchError('EW_LAB_MIX', 'mix file must be a mapping of persona to weight', { file });
  }
  return data as Record<string, number>;
}

/** One-line summary: range, size, mode, ports, persona counts. */
export function summaryLine(lab: Lab): string {
  const counts = Object.entries(lab.personaCounts)
    .filter(([, n]) => n > 0)
    .map(([p, n]) => `${p}=${n}`)
    .join(' ');
  const ports = `https=${lab.httpsPort || 'off'} http=${lab.httpPort || 'off'}`;
  return `lab ${lab.range} size=${lab.size} mode=${lab.mode} listeners=${lab.listeners} ${ports} seed=${lab.seed} step=${lab.step} personas: ${counts}`;
}

function registerLabSubcommands(lab: Command): void {
  lab
    .command('collection <ip>')
    .description('write the collection (triage input) of lab address IP, consistent with its truth; population options as for `lab`')
    .requiredOption('-o, --output <path>', 'output directory, or FILE.tar.gz / FILE.tgz')
    .option('--expected', 'also print the findings a correct triage must produce (JSON)')
    .action(async (ip: string, flags: { output: string; expected?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<LabFlags & { output: string; expected?: boolean }>();
      const res = collectionFor(ip, {
        range: g.range,
        size: g.size,
        seed: g.seed,
        step: g.step,
        mix: g.mix ? readMixFile(g.mix) : undefined,
      });
      await writeCollection(flags.output, res.collection);
      const t = res.truth;
      process.stdout.write(
        `collection ${ip} persona=${t.persona} build=${t.build} step=${t.step} compromise=${t.compromise.kind} verdict=${res.expected.verdict} files=${res.collection.files.size} -> ${flags.output}\n`,
      );
      if (flags.expected) process.stdout.write(`${JSON.stringify(res.expected)}\n`);
    });
  lab
    .command('corpus <dir>')
    .description('regenerate the triage corpus (one collection per directory, EXPECTED.json, README.md)')
    .action(async (dir: string) => {
      const built = await writeCorpus(dir);
      for (const b of built) {
        process.stdout.write(
          `${b.entry.name}: ${b.expected.findings.length} findings, verdict ${b.expected.verdict}, exit ${b.expected.exit}\n`,
        );
      }
    });
}

export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description('start an emulated population of appliances on loopback (ground truth for scanner tests)')
    .option('--range <cidr>', `address range inside 127.0.0.0/8 (default ${DEFAULT_RANGE})`)
    .option('--size <n>', 'use only the first n addresses of the range', intFlag('--size', 1, 16_777_216))
    .option('--seed <n>', 'population seed', intFlag('--seed', 0, 4_294_967_295), 1)
    .option('--step <n>', 'start at day n (0 = 12 Jan 2020)', intFlag('--step', 0, 10_000), 0)
    .option('--https-port <port>', 'HTTPS port (0 = disabled)', intFlag('--https-port', 0, 65535), DEFAULT_HTTPS_PORT)
    .option('--http-port <port>', 'plain HTTP port (0 = disabled)', intFlag('--http-port', 0, 65535), DEFAULT_HTTP_PORT)
    .option('--listen <mode>', 'per-address | wildcard | auto', 'auto')
    .option('--mix <file>', 'persona weights (YAML or JSON mapping persona → weight)')
    .option('--truth <file>', 'write the ground truth here (JSON Lines, rewritten on every step)')
    .option(
      '--identities <file>',
      'write demo public identities (lab_ip → public address of a real allocation, organisation, sector) as JSON Lines',
    )
    .option(
      '--identity-countries <mix>',
      'country mix of the public identities, e.g. NL=40,DE=15,US=15 (default NL=40,DE=15,BE=10,US=15,GB=10,FR=10)',
    )
    .option(
      '--identity-orgs <file>',
      'where to write the organisation list for `edgewatch org import` (default: next to --identities, *.orgs.yaml)',
    )
    .action(async (flags: LabFlags) => {
      if (!['auto', 'per-address', 'wildcard'].includes(flags.listen)) {
        throw new EdgewatchError('EW_LAB_OPTION', `--listen must be per-address, wildcard or auto, got "${flags.listen}"`);
      }
      const lab = await startLab({
        range: flags.range,
        size: flags.size,
        seed: flags.seed,
        step: flags.step,
        httpsPort: flags.httpsPort === 0 ? null : flags.httpsPort,
        httpPort: flags.httpPort === 0 ? null : flags.httpPort,
        listen: flags.listen,
        mix: flags.mix ? readMixFile(flags.mix) : undefined,
        truthFile: flags.truth,
      });
      process.stdout.write(`${summaryLine(lab)}\n`);
      if (flags.identities) {
        const ids = buildPublicIdentities(
          lab
            .truth()
            .map((t) => ({ ip: t.ip, certOrg: t.identity?.org ?? null, certNames: t.identity ? [t.identity.cn, ...t.identity.sans] : [] })),
          { seed: flags.seed, countries: flags.identityCountries ? parseCountryMix(flags.identityCountries) : undefined },
        );
        const orgsFile = flags.identityOrgs ?? defaultOrgsFile(flags.identities);
        writePublicIdentities(ids, flags.identities, orgsFile);
        process.stdout.write(
          `lab identities=${flags.identities} (${ids.identities.length} hosts, ${ids.orgs.length} organisations) orgs=${orgsFile}\n`,
        );
      }
      await new Promise<void>((resolve) => {
        let busy = Promise.resolve();
        const onStep = () => {
          busy = busy
            .then(() => lab.setStep(lab.step + 1))
            .then(() => {
              process.stdout.write(`lab step=${lab.step}${flags.truth ? ` truth=${flags.truth}` : ''}\n`);
            })
            .catch((e: unknown) => {
              process.stderr.write(`lab: cannot advance: ${(e as Error).message}\n`);
            });
        };
        const onStop = () => {
          process.off('SIGUSR2', onStep);
          process.off('SIGINT', onStop);
          process.off('SIGTERM', onStop);
          resolve();
        };
        process.on('SIGUSR2', onStep);
        process.on('SIGINT', onStop);
        process.on('SIGTERM', onStop);
      });
      await lab.close();
      process.stdout.write('lab closed\n');
    });
  registerLabSubcommands(lab);
}
