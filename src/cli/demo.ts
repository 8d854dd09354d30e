/**
 * `npm run demo`: the main job on the embedded defaults, end to end, on this machine only.
 * Starts the lab (a seeded population of emulated appliances on 127.1.0.0/20, each with a demo
 * public identity: a real allocation of a country mix, a fictional organisation and sector) in a
 * child process, loads the organisations, scans the lab into the SQLite database (edgewatch.db) —
 * the scan enriches its hosts and opens cases —, drafts the notifications, moves the lab three days
 * forward (hosts get mitigated or patched at the real wave's rates), rescans, drafts the
 * follow-ups, prints what changed and the report, and ends by serving the dashboard over it all
 * with a one-time login (disabled again when the demo stops with Ctrl-C).
 *
 * Environment: EDGEWATCH_DEMO_RANGE (default 127.1.0.0/20), EDGEWATCH_DEMO_PORT (lab HTTPS port),
 * EDGEWATCH_DB, EDGEWATCH_DEMO_SERVE_PORT (default 8080; 0 = any free port),
 * EDGEWATCH_DEMO_SERVE_SECONDS (serve that long, then stop; 0 = do not serve; default: until Ctrl-C).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Users } from '../api/users.js';
import { baseConfig, openConfiguredStore } from './context.js';
import { main } from './index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RANGE = process.env.EDGEWATCH_DEMO_RANGE ?? '127.1.0.0/20';
const PORT = Number(process.env.EDGEWATCH_DEMO_PORT ?? 20000 + Math.floor(Math.random() * 20000));
const DB = process.env.EDGEWATCH_DB ?? 'edgewatch.db';
const SERVE_PORT = Number(process.env.EDGEWATCH_DEMO_SERVE_PORT ?? 8080);
const SERVE_SECONDS = process.env.EDGEWATCH_DEMO_SERVE_SECONDS === undefined ? null : Number(process.env.EDGEWATCH_DEMO_SERVE_SECONDS);
const workDir = resolve('.edgewatch');
const truth = join(workDir, 'demo-truth.jsonl');
const identities = join(workDir, 'demo-identities.jsonl');
const orgs = join(workDir, 'demo-identities.orgs.yaml');
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

async function serveDashboard(): Promise<void> {
  const webDist = join(root, 'web', 'dist', 'index.html');
  if (!existsSync(webDist)) {
    say('building the dashboard (once)');
    const b = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(root, 'web', 'vite.config.ts')],
      {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    if (b.status !== 0) process.stderr.write('demo: the dashboard build failed; serving the API only\n');
  }
  // A one-time login: a fresh admin with a random password, disabled when the demo stops.
  const username = `demo-${randomBytes(3).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const store = await openConfiguredStore(baseConfig({ db: DB }));
  let userId: number;
  try {
    userId = (await new Users(store.db).create({ username, password, role: 'admin' })).id;
  } finally {
    await store.close();
  }
  say('the dashboard');
  process.stdout.write(
    [
      `  open http://127.0.0.1:${SERVE_PORT || '<port printed below>'}/ and log in with the one-time demo login:`,
      `    user:     ${username}`,
      `    password: ${password}`,
      `  (Ctrl-C stops the server and disables this login${SERVE_SECONDS ? `; stopping by itself after ${SERVE_SECONDS} s` : ''})`,
      '',
    ].join('\n'),
  );
  const timer = SERVE_SECONDS ? setTimeout(() => process.kill(process.pid, 'SIGINT'), SERVE_SECONDS * 1000) : null;
  try {
    await run(['serve', '--db', DB, '--port', String(SERVE_PORT), '--lab']);
  } finally {
    if (timer) clearTimeout(timer);
    const s = await openConfiguredStore(baseConfig({ db: DB }));
    try {
      await new Users(s.db).update(userId, { disabled: true });
    } finally {
      await s.close();
    }
    process.stdout.write(`demo: login ${username} disabled\n`);
  }
}

async function demo(): Promise<number> {
  mkdirSync(workDir, { recursive: true });
  for (const f of [truth, identities, orgs]) rmSync(f, { force: true });
  say(`starting the lab: ${RANGE} on port ${PORT} (loopback only), with demo public identities`);
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
      '--identities',
      identities,
      '--identity-orgs',
      orgs,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const labExit = new Promise<number>((r) => lab.on('exit', (c) => r(c ?? 1)));
  try {
    await Promise.race([
      waitFor(() => truthStep() === 0 && existsSync(identities) && existsSync(orgs), 60_000, 'the lab to start'),
      labExit.then((c) => {
        throw new Error(`demo: the lab exited early (status ${c})`);
      }),
    ]);
    say('loading the organisations of the constituency (fictional, from the lab identities)');
    if ((await run(['org', 'import', orgs, '--db', DB])) !== 0) return 1;

    const common = [
      '--lab',
      '--scope',
      RANGE,
      '-p',
      String(PORT),
      '--db',
      DB,
      '--timeout',
      '2',
      '--total-timeout',
      '8',
      '--lab-identities',
      identities,
    ];
    say('scan 1 — day 0 (Sunday 12 January 2020): classify, enrich, open cases');
    if ((await run(['scan', RANGE, ...common, '--label', 'day 0', '--no-summary'])) !== 0) return 1;
    say('drafting the notifications (nothing is sent: they wait in the outbox for review)');
    await run(['notify', 'plan', '--db', DB, '--no-update']);

    say('the lab moves three days forward: owners apply the mitigation, some patch');
    for (const day of [1, 2, 3]) {
      lab.kill('SIGUSR2');
      await waitFor(() => truthStep() === day, 30_000, `day ${day}`);
    }

    say('scan 2 — day 3 (Wednesday 15 January 2020): rescan, update the cases');
    if ((await run(['scan', RANGE, ...common, '--label', 'day 3', '--no-summary'])) !== 0) return 1;
    say('follow-ups due after the rescan');
    await run(['notify', 'plan', '--db', DB, '--no-update']);

    say('what changed between day 0 and day 3');
    await run(['diff', '--db', DB, '--counts-only']);
    say('the report of day 3: per CVE, country, sector and organisation');
    await run(['report', '--db', DB, '--by', 'cve,country,sector,org']);
    say('next steps');
    process.stdout.write(
      [
        `  npx edgewatch cases list --db ${DB}            # one case per organisation`,
        `  npx edgewatch notify list --db ${DB}           # drafted messages; notify show / approve / send`,
        `  npx edgewatch report --db ${DB} --format markdown`,
        `  npx edgewatch export --db ${DB} --format intelmq -o events.jsonl`,
        `  lab ground truth: ${truth}`,
        '',
      ].join('\n'),
    );
  } finally {
    lab.kill('SIGTERM');
    await labExit;
  }
  if (SERVE_SECONDS !== 0) {
    await serveDashboard();
  }
  return 0;
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
