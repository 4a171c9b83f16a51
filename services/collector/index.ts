// The collector's front door: what other folders (cli, eval, simulate) may use: the formats and
// their pipeline, normalisation and redaction, the file and stream readers. Everything else in
// services/collector is its own business; the running service meets the rest at Kafka topics.
import type { Config } from '#shared/config.js';

export { DEV_REDACTION_KEY } from '#shared/env.js';
export { eventId } from '#shared/event-id.js';
export { flatCopy } from '#shared/flat-copy.js';
export { FORMAT_IDS, type FormatChoice } from '#shared/log-formats.js';
export { addTally, emptyTally, formatTally, type Tally } from '#shared/tally.js';
export { createPipeline, type Outcome, type Pipeline } from './formats/pipeline.js';
export { detectFormat, formatById } from './formats/registry.js';
export { compileNormalizeOptions, type NormalizeOptions } from './normalize/options.js';
export { createRedactor, findPhi, PHI_DETECTORS, type Redactor } from './normalize/redact.js';
export { compileRouteTable, DEFAULT_ROUTE_TABLE, normalizeRoute, safeDecode } from './normalize/route.js';
export { parseNginxCombined } from './parsers/lib/combined-line.js';
export type { InputLine } from './parsers/types.js';
export { redactorForKey } from './redaction-key.js';
export { readLines } from './sources/file.js';
export { createStreamInput } from './sources/stream-input.js';

/** The running collector (`leakwatch collector`); loaded on first use, so the tools stay light. */
export async function runCollector(config: Readonly<Config>): Promise<void> {
  const { runCollector: run } = await import('./main.js');
  await run(config);
}
