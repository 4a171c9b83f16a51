// Scenario classes on object-store logs (`simulate --family s3|cloudtrail`): like ScenarioClass,
// but the lines are StorageLines, rendered as S3 server access log lines or CloudTrail data events.
import type { StorageLine } from '../storage-format.js';
import type { LabelEntity, ScenarioContext } from './types.js';

export interface StorageScenarioBuild {
  entities: LabelEntity[];
  attack: StorageLine[];
  history?: StorageLine[];
  description: string;
}

export interface StorageScenarioVariant {
  intensity: string;
  /** Label platform: always an object store here (`s3`: both families render the same lines). */
  platform: 's3';
  durationMs: number;
  needsHistory?: boolean;
  alsoRules?: readonly string[];
  build(ctx: ScenarioContext): StorageScenarioBuild;
}

export interface StorageScenarioClass {
  /** = the rule id that should catch it. */
  id: string;
  variants: readonly StorageScenarioVariant[];
}
