/**
 * CLI: `edgewatch serve` (the API and dashboard on one port) and `edgewatch user …` (local accounts
 * and API tokens; the first admin is created with `user add NAME --admin`).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { audit } from '../../api/audit.js';
import { isRole, type Role } from '../../api/roles.js';
import { buildServer } from '../../api/server.js';
import { createScanStarter } from '../../api/start-scan.js';
import { Users } from '../../api/users.js';
import { EdgewatchError } from '../../errors.js';
import { baseConfig, openConfiguredStore, parseIntFlag } from '../context.js';

export const WEB_ROOT = fileURLToPath(new URL('../../../web/dist', import.meta.url));

function readPasswordStdin(): string {
  const pw = readFileSync(0, 'utf8').replace(/\r?\n$/, '');
  if (pw.includes('\n')) throw new EdgewatchError('EW_USER_INVALID', 'the password on stdin must be one line');
  return pw;
}

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('Serve the HTTP API (/api, OpenAPI at /docs) and the dashboard over the store')
    .option('--port <n>', 'TCP port (default 8080)', parseIntFlag('--port', 0, 65535), 8080)
    .option('--host <addr>', 'address to listen on (default 127.0.0.1; put TLS in front for remote users)', '127.0.0.1')
    .option('--db <file|url>', 'store (SQLite file or postgres:// URL; default edgewatch.db or EDGEWATCH_DB)')
    .option('--config <file>', 'YAML config file')
    .option('--lab', 'allow scans started from the API to target the lab on loopback')
    .option('--web <dir>', 'directory of the built dashboard (default web/dist)')
    .option('--log', 'log requests (secrets redacted)')
    .option('--trust-proxy <addrs>', 'behind a TLS reverse proxy: its address(es), comma-separated, trusted for X-Forwarded-For/-Proto')
    .action(
      async (o: {
        port: number;
        host: string;
        db?: string;
        config?: string;
        lab?: boolean;
        web?: string;
        log?: boolean;
        trustProxy?: string;
      }) => {
        const cfg = baseConfig({ db: o.db, config: o.config, lab: o.lab });
        const store = await openConfiguredStore(cfg);
        const webRoot = o.web ?? WEB_ROOT;
        const app = await buildServer({
          store,
          webRoot,
          logger: o.log === true,
          trustProxy: o.trustProxy,
          context: {
            notify: cfg.notify,
            startScan: createScanStarter({
              store,
              db: cfg.db,
              allowLab: o.lab === true,
              onLog: (l) => process.stderr.write(`[scan] ${l}\n`),
            }),
          },
        });
        const users = await new Users(store.db).count();
        await app.listen({ port: o.port, host: o.host });
        const addr = app.server.address();
        const port = typeof addr === 'object' && addr ? addr.port : o.port;
        const host = o.host.includes(':') ? `[${o.host}]` : o.host;
        process.stderr.write(`[edgewatch] serving http://${host}:${port}/ (API /api, docs /docs) over ${cfg.db}\n`);
        if (!existsSync(webRoot))
          process.stderr.write(`[edgewatch] no dashboard build at ${webRoot}: run \`npm run build:web\` (API only)\n`);
        if (users === 0) process.stderr.write('[edgewatch] no users yet: create the first admin with `edgewatch user add NAME --admin`\n');
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.stderr.write('[edgewatch] stopping\n');
            app.close().then(
              () => store.close().then(resolve, resolve),
              () => resolve(),
            );
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      },
    );

  const user = program.command('user').description('Local accounts and API tokens of the API and dashboard');
  user
    .command('add <name>')
    .description('Create a user; prints a generated password unless --password-stdin')
    .option('--admin', 'role admin (users, settings, everything)')
    .option('--role <role>', 'admin, analyst or viewer (default viewer)')
    .option('--constituency <names>', 'comma-separated constituencies the user is limited to (default: all)')
    .option('--password-stdin', 'read the password (one line) from stdin')
    .option('--db <file|url>', 'store')
    .option('--config <file>', 'YAML config file')
    .action(
      async (
        name: string,
        o: { admin?: boolean; role?: string; constituency?: string; passwordStdin?: boolean; db?: string; config?: string },
      ) => {
        const role: Role = o.admin ? 'admin' : ((o.role ?? 'viewer') as Role);
        if (!isRole(role)) throw new EdgewatchError('EW_USER_INVALID', '--role must be admin, analyst or viewer');
        const generated = !o.passwordStdin;
        const password = o.passwordStdin ? readPasswordStdin() : randomBytes(15).toString('base64url');
        const store = await openConfiguredStore(baseConfig({ db: o.db, config: o.config }));
        try {
          const u = await new Users(store.db).create({
            username: name,
            password,
            role,
            constituencies: o.constituency ? o.constituency.split(',') : [],
          });
          await audit(store.db, {
            actor: 'cli',
            action: 'user_create',
            target: u.username,
            detail: { role: u.role, constituencies: u.constituencies },
          });
          process.stdout.write(
            `created ${u.role} ${u.username}${u.constituencies.length ? ` (constituencies: ${u.constituencies.join(', ')})` : ''}\n${generated ? `password: ${password}\n` : ''}`,
          );
        } finally {
          await store.close();
        }
      },
    );
  user
    .command('list')
    .description('List users')
    .option('--db <file|url>', 'store')
    .option('-j, --json', 'JSON Lines')
    .action(async (o: { db?: string; json?: boolean }) => {
      const store = await openConfiguredStore(baseConfig({ db: o.db }));
      try {
        for (const u of await new Users(store.db).list()) {
          process.stdout.write(
            o.json
              ? `${JSON.stringify(u)}\n`
              : `${u.username}\t${u.role}\t${u.constituencies.join(',') || '(all)'}\t${u.disabled ? 'disabled' : 'active'}\n`,
          );
        }
      } finally {
        await store.close();
      }
    });
  user
    .command('token <name>')
    .description('Create an API token for a user (printed once)')
    .option('--label <text>', 'what the token is for', 'cli')
    .option('--db <file|url>', 'store')
    .action(async (name: string, o: { label: string; db?: string }) => {
      const store = await openConfiguredStore(baseConfig({ db: o.db }));
      try {
        const users = new Users(store.db);
        const u = await users.byName(name);
        if (!u) throw new EdgewatchError('EW_USER_NOT_FOUND', `no user ${name.slice(0, 64)}`);
        const t = await users.createToken(u.id, o.label);
        await audit(store.db, { actor: 'cli', action: 'token_create', target: t.id, detail: { user: u.username } });
        process.stdout.write(`${t.token}\n`);
      } finally {
        await store.close();
      }
    });
  user
    .command('disable <name>')
    .description('Disable a user (ends their sessions; tokens stop working)')
    .option('--db <file|url>', 'store')
    .action(async (name: string, o: { db?: string }) => {
      const store = await openConfiguredStore(baseConfig({ db: o.db }));
      try {
        const users = new Users(store.db);
        const u = await users.byName(name);
        if (!u) throw new EdgewatchError('EW_USER_NOT_FOUND', `no user ${name.slice(0, 64)}`);
        await users.update(u.id, { disabled: true });
        await audit(store.db, { actor: 'cli', action: 'user_disable', target: u.username });
        process.stdout.write(`disabled ${u.username}\n`);
      } finally {
        await store.close();
      }
    });
}
