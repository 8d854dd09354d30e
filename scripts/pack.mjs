#!/usr/bin/env node
// Check packs (see docs/packs-and-nuclei.md). Thin wrapper over src/checks/pack/build.ts:
//   node scripts/pack.mjs --manifest [--version V]      regenerate checks/MANIFEST.json (bundled pack)
//   node scripts/pack.mjs --check                        exit 1 when checks/MANIFEST.json is stale
//   node scripts/pack.mjs --build OUT --version V [--from DIR] [--name N] [--edgewatch RANGE] [--sign KEY.pem]
//        OUT ending .tar.gz/.tgz writes an archive, anything else a pack folder
//   node scripts/pack.mjs --keygen PREFIX                writes PREFIX.key (private) and PREFIX.pub (public)
import { writeFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';

const { values } = parseArgs({
  options: {
    manifest: { type: 'boolean' },
    check: { type: 'boolean' },
    build: { type: 'string' },
    version: { type: 'string' },
    from: { type: 'string' },
    name: { type: 'string' },
    edgewatch: { type: 'string' },
    description: { type: 'string' },
    sign: { type: 'string' },
    keygen: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const pack = await tsImport('../src/checks/pack/index.ts', import.meta.url);

function die(msg) {
  process.stderr.write(`pack: ${msg}\n`);
  process.exit(2);
}

try {
  if (values.manifest) {
    const { changed, manifest } = await pack.writeBundledManifest({ version: values.version });
    process.stdout.write(
      `${changed ? 'wrote' : 'unchanged:'} checks/MANIFEST.json — ${manifest.name} ${manifest.version}, ${manifest.files.length} files\n`,
    );
  } else if (values.check) {
    const current = await pack.readBundledManifest();
    const want = await pack.expectedBundledManifest(current);
    const same = current && JSON.stringify(current.files) === JSON.stringify(want.files);
    if (!same) {
      process.stderr.write('checks/MANIFEST.json does not match checks/ + data/: run `node scripts/pack.mjs --manifest`\n');
      process.exit(1);
    }
    process.stdout.write(`checks/MANIFEST.json is up to date (${current.version}, ${current.files.length} files)\n`);
  } else if (values.build) {
    if (!values.version) die('--build needs --version (e.g. 2026.12.01 or 1.2.0)');
    const manifest = await pack.buildPack(values.build, {
      from: values.from,
      name: values.name,
      version: values.version,
      edgewatch: values.edgewatch,
      description: values.description,
      signingKeyPem: values.sign ? readFileSync(values.sign, 'utf8') : undefined,
    });
    process.stdout.write(
      `wrote ${values.build}: ${manifest.name} ${manifest.version} (${manifest.files.length} files${values.sign ? ', signed' : ''})\n`,
    );
  } else if (values.keygen) {
    const { publicPem, privatePem } = pack.generateSigningKeys();
    writeFileSync(`${values.keygen}.key`, privatePem, { mode: 0o600, flag: 'wx' });
    writeFileSync(`${values.keygen}.pub`, publicPem, { flag: 'wx' });
    process.stdout.write(`wrote ${values.keygen}.key (private, keep it secret) and ${values.keygen}.pub (give to users: --key)\n`);
  } else {
    process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('\n').slice(1, 8).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
    if (!values.help) process.exit(2);
  }
} catch (e) {
  die(e?.message ?? String(e));
}
