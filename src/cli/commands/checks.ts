/**
 * `edgewatch checks list | validate | update | packs`: show the check pack in use, validate check
 * files, and verify + install a newer versioned pack. The pack in use is the newest valid pack
 * installed with `checks update` (under `<data dir>/packs/`), else the bundled `checks/` + `data/`
 * (see src/checks/pack); `--checks DIR` picks another folder of check files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatIssue, loadChecks, validateCheckFiles } from '../../checks/index.js';
import {
  type ActivePack,
  activePack,
  loadPublicKey,
  MANIFEST_NAME,
  parseManifest,
  type TrustedKey,
  updatePack,
} from '../../checks/pack/index.js';
import { loadConfigFile } from '../../config.js';
import { dataDir } from '../../data-dir.js';

/** Where the command writes (injectable for tests). */
export interface ChecksIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: ChecksIo = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

interface PackFlags {
  config?: string;
  dataDir?: string;
}

/** Data directory: --data-dir, else config `data_dir`, else EDGEWATCH_DATA_DIR / XDG / home. */
function dataRootOf(flags: PackFlags): string {
  if (flags.dataDir) return resolve(flags.dataDir);
  const cfg = flags.config ? loadConfigFile(flags.config) : {};
  return dataDir(cfg);
}

/** What `--checks DIR` names: a pack root (manifest.json + checks/), a pack's checks/ folder, or any folder of check files. */
function explicitLocation(dir: string): { checksDir: string; dataDir?: string; pack: { name: string; version: string | null } } {
  const isPackRoot = existsSync(join(dir, MANIFEST_NAME)) && existsSync(join(dir, 'checks'));
  const root = isPackRoot ? dir : existsSync(join(dir, '..', MANIFEST_NAME)) ? resolve(dir, '..') : null;
  if (!root) return { checksDir: dir, pack: { name: 'local', version: null } };
  let pack: { name: string; version: string | null } = { name: 'local', version: null };
  try {
    const r = parseManifest(readFileSync(join(root, MANIFEST_NAME)));
    if ('manifest' in r) pack = { name: r.manifest.name, version: r.manifest.version };
  } catch {
    /* unreadable manifest: shown as a local folder */
  }
  return { checksDir: root === dir ? join(dir, 'checks') : dir, dataDir: join(root, 'data'), pack };
}

function describePack(p: ActivePack): string {
  return `${p.name} ${p.version} (${p.origin}${p.origin === 'installed' ? `, ${p.dir}` : ''})`;
}

/** Register the `checks` commands on the program. */
export function registerChecksCommand(program: Command, io: ChecksIo = processIo): void {
  const checks = program.command('checks').description('list, validate and update check definitions (versioned check packs)');

  checks
    .command('list')
    .description(
      'list the checks of the pack in use: id, kind, product, CVEs, severity, file (the pack version on stderr; -j: on every line)',
    )
    .option('--checks <dir>', 'directory of check files, or a pack folder (default: the pack in use)')
    .option(
      '--data-dir <dir>',
      'data directory holding installed packs (default: config data_dir, EDGEWATCH_DATA_DIR, ~/.local/share/edgewatch)',
    )
    .option('--config <file>', 'YAML config file (for data_dir)')
    .option('-j, --jsonl', 'one JSON line per check: id, kind, cves, vendor, product, severity, file, pack, pack_version')
    .action(async (flags: PackFlags & { checks?: string; jsonl?: boolean }) => {
      let list: Awaited<ReturnType<typeof loadChecks>>;
      let pack: { name: string; version: string | null };
      if (flags.checks) {
        const loc = explicitLocation(resolve(flags.checks));
        list = await loadChecks(loc.checksDir, loc.dataDir ? { dataDir: loc.dataDir } : {});
        pack = loc.pack;
      } else {
        const active = await activePack(dataRootOf(flags));
        for (const s of active.skipped) io.err(`edgewatch: warning: installed pack ${s.dir} not used: ${s.reason}\n`);
        list = await loadChecks(active.checksDir, { dataDir: active.dataDir });
        pack = { name: active.name, version: active.version };
        if (!flags.jsonl) io.err(`pack: ${describePack(active)}\n`);
      }
      if (flags.jsonl) {
        for (const c of list) {
          io.out(
            `${JSON.stringify({
              id: c.id,
              kind: c.kind,
              cves: c.info.cves ?? [],
              vendor: c.info.vendor,
              product: c.info.product,
              severity: c.info.severity,
              file: relative(process.cwd(), resolve(c.file)) || c.file,
              pack: pack.name,
              pack_version: pack.version,
            })}\n`,
          );
        }
        return;
      }
      const rows = [['ID', 'KIND', 'PRODUCT', 'CVES', 'SEVERITY', 'FILE']];
      for (const c of list) rows.push([c.id, c.kind, c.info.product, (c.info.cves ?? []).join(',') || '-', c.info.severity, c.file]);
      io.out(`${table(rows)}\n`);
    });

  checks
    .command('validate')
    .description('validate check files (default: the pack in use); exit 1 with file:line: path: message on problems')
    .argument('[files...]', 'check files or directories')
    .option('--checks <dir>', 'directory of check files, or a pack folder (default: the pack in use)')
    .action(async (files: string[], flags: { checks?: string }) => {
      let results: Awaited<ReturnType<typeof validateCheckFiles>>;
      if (files.length > 0) results = await validateCheckFiles(files);
      else if (flags.checks) {
        const loc = explicitLocation(resolve(flags.checks));
        results = await validateCheckFiles(loc.checksDir, loc.dataDir ? { dataDir: loc.dataDir } : {});
      } else results = await validateCheckFiles();
      const issues = results.flatMap((r) => r.issues);
      for (const i of issues) io.err(`${formatIssue(i)}\n`);
      const ok = results.filter((r) => r.issues.length === 0).length;
      if (issues.length > 0) {
        io.err(`${results.length - ok} of ${results.length} check file(s) invalid\n`);
        process.exitCode = 1;
        return;
      }
      io.out(`${ok} check file(s) valid\n`);
    });

  checks
    .command('update')
    .description(
      'verify a check pack (folder or .tar.gz: manifest, SHA-256 sums, signature, every check file) and install it; a bad pack is refused and nothing changes',
    )
    .argument('<pack>', 'pack folder or .tar.gz file')
    .option(
      '--key <file>',
      'trusted Ed25519 public key (PEM); repeatable; makes a signature mandatory',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--force', 'install even when the pack is not newer than the one in use (downgrade or reinstall)')
    .option('--data-dir <dir>', 'data directory to install into (default: config data_dir, EDGEWATCH_DATA_DIR, ~/.local/share/edgewatch)')
    .option('--config <file>', 'YAML config file (data_dir, pack_keys)')
    .action(async (file: string, flags: PackFlags & { key?: string[]; force?: boolean }) => {
      const cfg = flags.config ? loadConfigFile(flags.config) : {};
      const keyFiles = [
        ...(flags.key ?? []).map((k) => resolve(k)),
        ...(cfg.pack_keys ?? []).map((k) => resolve(dirname(resolve(flags.config as string)), k)),
      ];
      const keys: TrustedKey[] = [];
      for (const k of keyFiles) keys.push(await loadPublicKey(k));
      const r = await updatePack(resolve(file), { keys, force: flags.force, dataRoot: dataRootOf(flags) });
      const m = r.pack.manifest;
      const sig = r.pack.signedBy ? `signature verified with ${r.pack.signedBy}` : 'unsigned';
      if (r.action === 'unchanged') {
        io.out(`pack ${m.name} ${m.version} is already in use (${r.before.origin}); nothing to do\n`);
        return;
      }
      io.out(`installed pack ${m.name} ${m.version}: ${m.files.length} files verified (SHA-256), ${sig}, all check files valid\n`);
      for (const d of r.removed) io.out(`removed newer installed pack ${d} (forced downgrade)\n`);
      io.out(`pack in use: ${describePack(r.after)} (was ${r.before.name} ${r.before.version}, ${r.before.origin})\n`);
      if (r.after.name !== m.name || r.after.version !== m.version)
        io.err(`edgewatch: warning: ${r.after.origin} pack ${r.after.name} ${r.after.version} is newer and stays in use\n`);
    });

  checks
    .command('packs')
    .description('show the pack in use and every installed pack')
    .option('--data-dir <dir>', 'data directory (default: config data_dir, EDGEWATCH_DATA_DIR, ~/.local/share/edgewatch)')
    .option('--config <file>', 'YAML config file (for data_dir)')
    .action(async (flags: PackFlags) => {
      const a = await activePack(dataRootOf(flags));
      io.out(`in use: ${describePack(a)}\n`);
      for (const p of a.installed) io.out(`installed: ${p.name} ${p.version}  ${p.dir}\n`);
      for (const s of a.skipped) io.out(`not usable: ${s.dir}: ${s.reason}\n`);
    });
}
