// The collector's front door: what other folders (cli, eval, simulate) may use: the formats and
// their pipeline, normalisation and redaction, the file and stream readers. Everything else in
// services/collector is its own business; the running service meets the rest at Kafka topics.
import type { Config } from '#shared/config.js';

export {
  addTally,
  createPipeline,
  emptyTally,
  formatTally,
  type Outcome,
  type Pipeline,
  type Tally,
} from './formats/pipeline.js';
export { detectFormat, FORMAT_IDS, type FormatChoice, formatById } from './formats/registry.js';
export { flatCopy } from './normalize/memo.js';
export { compileNormalizeOptions, type NormalizeOptions } from './normalize/options.js';
export { createRedactor, findPhi, type Redactor } from './normalize/redact.js';
export { compileRouteTable, DEFAULT_ROUTE_TABLE, normalizeRoute, safeDecode } from './normalize/route.js';
export { eventId } from './normalize/to-access-event.js';
export { parseNginxCombined } from './parsers/lib/combined-line.js';
export type { InputLine } from './parsers/types.js';
export { DEV_REDACTION_KEY, redactorForKey } from './redaction-key.js';
export { readLines } from './sources/file.js';
export { createStreamInput } from './sources/stream-input.js';

/** The running collector (`leakwatch collector`); loaded on first use, so the tools stay light. */
export async function runCollector(config: Readonly<Config>): Promise<void> {
  const { runCollector: run } = await import('./main.js');
  await run(config);
}
