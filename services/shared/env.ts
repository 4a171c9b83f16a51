// Settings read alone, without a whole config: for the tools that need one or two of them
// (`leakwatch scan`, `parse`, eval, the logger's version) and must neither fail on the rest of the
// environment nor pay for loading config.ts (TypeBox and YAML: ~0.15 s of a scan's start).
// config.ts and this file are the only readers of process.env.
import { ConfigInvalid } from './errors.js';

/** The version the logs carry: npm's, when started through npm. */
export const PACKAGE_VERSION: string = process.env['npm_package_version'] ?? '0.1.0';

/** The built-in redaction key of `--dev` runs: tokens are NOT secret with it. */
export const DEV_REDACTION_KEY = 'leakwatch-dev-key-not-secret';

/**
 * COLLECTOR_REDACTION_KEY as set (undefined or '' when not), for the tools that need only the key
 * (`leakwatch parse` / `scan`, eval).
 */
export function redactionKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['COLLECTOR_REDACTION_KEY'];
}

/** LEAKWATCH_CONFIG: the YAML file a whole config starts from, when one is named. */
export function configFileFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env['LEAKWATCH_CONFIG'] || undefined;
}

/** A resource kind's name as LEAKWATCH_SENSITIVE_KINDS and the config file give it. */
export const SENSITIVE_KIND_PATTERN = '^[a-z][a-z0-9_]{0,63}$';
const SENSITIVE_KIND = new RegExp(SENSITIVE_KIND_PATTERN);

/** A comma-separated environment list: trimmed, empty items dropped. */
export function envList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/**
 * LEAKWATCH_SENSITIVE_KINDS alone (config.detection.sensitiveKinds without a config file); a name
 * that is not one throws ConfigInvalid with the message config.ts's validation gives.
 */
export function sensitiveKindsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const kinds = envList(env['LEAKWATCH_SENSITIVE_KINDS'] ?? '');
  const bad = kinds.findIndex((k) => !SENSITIVE_KIND.test(k));
  if (bad >= 0) {
    const problem = `detection.sensitiveKinds.${bad} (LEAKWATCH_SENSITIVE_KINDS): Expected string to match '${SENSITIVE_KIND_PATTERN}'`;
    throw ConfigInvalid(problem, { details: { problems: [problem] } });
  }
  return kinds;
}
