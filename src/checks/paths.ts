/**
 * Default locations of the shipped check pack and data tables, resolved relative to this source
 * file (not the working directory), so the CLI works from any directory.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository (package) root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shipped check pack: `checks/` at the repository root. */
export const DEFAULT_CHECKS_DIR = join(REPO_ROOT, 'checks');
/** Version tables: `data/` at the repository root. */
export const DEFAULT_DATA_DIR = join(REPO_ROOT, 'data');
