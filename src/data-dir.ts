/**
 * Where edgewatch keeps data the user installs at run time (imported geo/ASN files, check packs,
 * RDAP bootstrap copies): config `data_dir`, else EDGEWATCH_DATA_DIR, else
 * $XDG_DATA_HOME/edgewatch, else ~/.local/share/edgewatch. Tests point EDGEWATCH_DATA_DIR at a
 * temporary directory.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export function dataDir(config?: { data_dir?: string }): string {
  if (config?.data_dir) return resolve(config.data_dir);
  if (process.env.EDGEWATCH_DATA_DIR) return resolve(process.env.EDGEWATCH_DATA_DIR);
  if (process.env.XDG_DATA_HOME) return join(process.env.XDG_DATA_HOME, 'edgewatch');
  return join(homedir(), '.local', 'share', 'edgewatch');
}
