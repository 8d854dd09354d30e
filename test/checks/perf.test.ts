/**
 * Hot-path CPU of the engine per host (prints the figure). The budget is 0.2 ms per Citrix host
 * on top of the network; the assertion allows 5x headroom because the test machine is shared.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, loadChecks } from '../../src/checks/index.js';
import { citrixHost } from './helpers/hosts.js';

describe('engine CPU per host', () => {
  it('full Citrix run (6 requests) stays well under 1 ms CPU per host', async () => {
    const engine = createEngine(await loadChecks());
    const mk = () => citrixHost({ stamp: 1574967982, vhash: 'fedb4ba86b5edcbc86081f2893dc9fdf', smb: 'vulnerable' });
    for (let i = 0; i < 200; i++) await engine.runHost(mk());
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const hosts = Array.from({ length: 500 }, mk);
      const t0 = process.cpuUsage();
      for (const h of hosts) await engine.runHost(h);
      const c = process.cpuUsage(t0);
      best = Math.min(best, (c.user + c.system) / hosts.length);
    }
    console.log(`engine + in-memory session: ${best.toFixed(1)} µs CPU per host (6 requests)`);
    expect(best).toBeLessThan(1000);
  });
});
