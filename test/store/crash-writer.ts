/**
 * Child process for crash.test.ts: writes batches of synthetic records into an existing scan until
 * killed (bounded: at most MAX_BATCHES batches or MAX_MS). Prints `committed <n>` after each batch.
 * Usage: tsx test/store/crash-writer.ts <file or postgres:// URL> <scanId> <batchSize>
 */
import { openStore } from '../../src/store/index.js';
import { storeConfigFor } from '../../src/store/location.js';
import { syntheticBatch } from './synthetic.js';

const MAX_BATCHES = 2_000;
const MAX_MS = 20_000;

async function main(): Promise<void> {
  const [file, scanId, size] = process.argv.slice(2);
  const batch = Number(size);
  const store = await openStore(storeConfigFor(file));
  const started = Date.now();
  const done = (await store.getScan(scanId))?.done ?? 0;
  for (let i = 0; i < MAX_BATCHES && Date.now() - started < MAX_MS; i++) {
    await store.insertRecords(scanId, syntheticBatch(done + i * batch, batch));
    process.stdout.write(`committed ${done + (i + 1) * batch}\n`);
  }
  await store.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
