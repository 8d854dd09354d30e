/**
 * What `edgewatch scan` does once a scan has finished (local or distributed): enrich its hosts
 * (country, AS, organisation match; reverse DNS and RDAP only where the config turns them on) and
 * bring the cases up to date, so a finished scan is at once attributed and on the case board.
 * Both steps are the same code as `edgewatch enrich --scan` and `edgewatch cases update`; a failure
 * here never undoes the scan: it is reported with the command that retries the step.
 */
import { updateCases } from '../cases/update.js';
import type { Config } from '../config.js';
import { enrichScanAsConfigured } from '../enrich/pipeline.js';
import { parseNotifyConfig } from '../notify/config.js';
import type { Store } from '../store/types.js';

export interface AfterScanOptions {
  /** false: skip enrichment (`--no-enrich`). */
  enrich?: boolean;
  /** false: skip the case update (`--no-cases`). */
  cases?: boolean;
  /** Lab demo identities file (`--lab-identities`, or config enrich.lab_identities). */
  labIdentities?: string;
  configFile?: string;
  dbFlag?: string;
  silent?: boolean;
}

export interface AfterScanResult {
  enriched: number | null;
  attributed: number | null;
  casesOpened: number | null;
  failures: string[];
}

/** Runs the post-scan steps; writes one line per step to stderr unless silent. Never throws. */
export async function afterScan(store: Store, scanId: string, cfg: Config, opts: AfterScanOptions = {}): Promise<AfterScanResult> {
  const res: AfterScanResult = { enriched: null, attributed: null, casesOpened: null, failures: [] };
  const say = (s: string) => {
    if (!opts.silent) process.stderr.write(`[edgewatch] ${s}\n`);
  };
  const dbArg = opts.dbFlag ? ` --db ${opts.dbFlag}` : '';
  if (opts.enrich !== false) {
    try {
      const e = await enrichScanAsConfigured(store, scanId, cfg, { configFile: opts.configFile, labIdentities: opts.labIdentities });
      res.enriched = e.enriched;
      res.attributed = e.attributed;
      say(
        `enriched ${e.enriched} host(s), ${e.attributed} attributed to an organisation${e.lab ? `, ${e.lab} through lab demo identities` : ''} (${e.ms} ms)`,
      );
    } catch (err) {
      const msg = `enrichment failed: ${(err as Error).message}; the scan is kept — retry with: edgewatch enrich --scan ${scanId}${dbArg}`;
      res.failures.push(msg);
      say(msg);
    }
  }
  if (opts.cases !== false) {
    try {
      const n = parseNotifyConfig(cfg.notify);
      const s = await updateCases(store, scanId, { escalateAfterDays: n.escalate_after_days, actor: 'scan' });
      res.casesOpened = s.opened;
      say(
        `cases: ${s.opened} opened, ${s.reopened} reopened, ${s.resolved} resolved, ${s.escalated} escalated; ${s.hostsAdded} host(s) added, ${s.hostsFixed} fixed, ${s.hostsStillOpen} still open, ${s.notReobserved} not re-observed (not counted as fixed)`,
      );
    } catch (err) {
      const msg = `case update failed: ${(err as Error).message}; the scan is kept — retry with: edgewatch cases update ${scanId}${dbArg}`;
      res.failures.push(msg);
      say(msg);
    }
  }
  return res;
}
