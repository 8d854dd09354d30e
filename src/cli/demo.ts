/**
 * `npm run demo`: the main job on the embedded defaults, end to end, on this machine only.
 * Starts the lab (a seeded population of emulated appliances on 127.1.0.0/20) in a child process,
 * scans it into the SQLite database (edgewatch.db), prints the report, moves the lab three days
 * forward (hosts get mitigated or patched at the real wave's rates), rescans, and prints what
 * changed. The database is left behind for `edgewatch report`, `diff` and `export`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from './index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RANGE = process.env.EDGEWATCH_DEMO_RANGE ?? '127.1.0.0/20';
const PORT = Number(process.env.EDGEWATCH_DEMO_PORT ?? 20000 + Math.floor(Math.random() * 20000));
const DB = process.env.EDGEWATCH_DB ?? 'edgewatch.db';
const workDir = resolve('.edgewatch');
const truth = join(workDir, 'demo-truth.jsonl');

function say(s: string): void {
  process.stdout.write(`\n\x1b[1m== ${s}\x1b[0m\n`);
}

function truthStep(): number | null {
  if (!existsSync(truth)) return null;
  const first = readFileSync(truth, 'utf8').split('\n', 1)[0];
  try {
    return (JSON.parse(first) as { step: number }).step;
  } catch {
    return null;
  }
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`demo: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(args: string[]): Promise<number> {
  process.exitCode = 0;
  const code = await main(args);
  process.exitCode = 0;
  return code;
}

async function demo(): Promise<number> {
  mkdirSync(workDir, { recursive: true });
  rmSync(truth, { force: true });
  say(`starting the lab: ${RANGE} on port ${PORT} (loopback only)`);
  const lab = spawn(
    process.execPath,
    [
      join(root, 'bin', 'edgewatch.js'),
      'lab',
      '--range',
      RANGE,
      '--seed',
      '2020',
      '--https-port',
      String(PORT),
      '--http-port',
      '0',
      '--truth',
      truth,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const labExit = new Promise<number>((r) => lab.on('exit', (c) => r(c ?? 1)));
  try {
    await Promise.race([
      waitFor(() => truthStep() === 0, 60_000, 'the lab to start'),
      labExit.then((c) => {
        throw new Error(`demo: the lab exited early (status ${c})`);
      }),
    ]);
    const common = ['--lab', '--scope', RANGE, '-p', String(PORT), '--db', DB, '--timeout', '2', '--total-timeout', '8'];
    say('scan 1 — day 0 (Sunday 12 January 2020)');
    if ((await run(['scan', RANGE, ...common, '--label', 'day 0'])) !== 0) return 1;

    say('the lab moves three days forward: owners apply the mitigation, some patch');
    lab.kill('SIGUSR2');
    await waitFor(() => truthStep() === 1, 30_000, 'day 1');
    lab.kill('SIGUSR2');
    await waitFor(() => truthStep() === 2, 30_000, 'day 2');
    lab.kill('SIGUSR2');
    await waitFor(() => truthStep() === 3, 30_000, 'day 3');

    say('scan 2 — day 3 (Wednesday 15 January 2020)');
    if ((await run(['scan', RANGE, ...common, '--label', 'day 3'])) !== 0) return 1;

    say('what changed between day 0 and day 3');
    await run(['diff', '--db', DB, '--counts-only']);
    say('next steps');
    process.stdout.write(
      [
        `  npx edgewatch scans --db ${DB}                 # the two scans`,
        `  npx edgewatch report --db ${DB} --format markdown`,
        `  npx edgewatch diff --db ${DB}                  # every host that changed`,
        `  npx edgewatch export --db ${DB} -o hosts.csv   # records for a spreadsheet`,
        `  lab ground truth: ${truth}`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    lab.kill('SIGTERM');
    await labExit;
  }
}

demo().then(
  (c) => {
    process.exitCode = c;
  },
  (e) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
