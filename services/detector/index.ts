// The detector's front door: what other folders (cli, eval, simulate) may use. Everything else in
// services/detector is its own business; the streaming service meets the rest at Kafka topics.
import type { Config } from '#shared/config.js';

export { MemoryBaselineStore } from './baselines/memory-store.js';
export { baselineRowsQuery, latestRunQuery } from './baselines/queries.js';
export { createEngine, type Engine } from './engine/engine.js';
export { policyQueries } from './response-policy-queries.js';
export { defaultRulesYaml, loadRulesSetup } from './rules-config.js';

/** The streaming detector (`leakwatch detector`); loaded on first use, so the tools stay light. */
export async function runDetector(config: Readonly<Config>): Promise<void> {
  const { runDetector: run } = await import('./main.js');
  await run(config);
}
