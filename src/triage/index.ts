/**
 * Public surface of triage (src/triage): open a collection taken from one appliance, run the IOC
 * rules (files here, logs in ./logs), assemble the report; and the collect-script that makes such
 * a collection on the appliance.
 */
export { COLLECT_SCRIPT_VERSION, collectScript } from './collect-script.js';
export { buildIndex, IndexedCollection, type RawEntry } from './collection.js';
export { DEFAULT_LIMITS, type TriageLimits } from './limits.js';
export { type OpenOptions, openCollection } from './open.js';
export { renderTriage } from './render.js';
export { assembleReport, verdictOf } from './report.js';
export { type LogAnalyzer, type TriageOptions, triage, triageCollection } from './run.js';
export * from './types.js';
