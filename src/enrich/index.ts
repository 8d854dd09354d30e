/**
 * Attribution (src/enrich): the public surface. Offline geo/AS/prefix data (geo/), names and
 * abuse contacts (names/, contacts/), organisations (org/), the pipeline that puts them together
 * (pipeline.ts) and the IntelMQ field mapping (intelmq.ts). See docs/enrichment.md.
 */
export { type GeoOptions, openGeo } from './geo/index.js';
export { importGeoData, type ImportOptions, type ImportResult, removeGeoData } from './geo/import.js';
export { type LabIdentityEntry, type LabIdentityMap, loadLabIdentities, parseLabIdentities } from './geo/lab-identities.js';
export { updateGeoData, type UpdateOptions } from './geo/update.js';
export { enrichmentToIntelMq, type IntelMqEvent, type IntelMqOptions, sourceLabel } from './intelmq.js';
export {
  canonicalIp,
  type EnrichDeps,
  type EnrichInput,
  enrichAddresses,
  enrichOne,
  type EnrichScanOptions,
  type EnrichScanResult,
  enrichScan,
  parseEnrichPipelineConfig,
} from './pipeline.js';
export type * from './types.js';
