// The redaction key options `parse` and `scan` share: --redaction-key, COLLECTOR_REDACTION_KEY, or --dev.
import { randomBytes } from 'node:crypto';
import { DEV_REDACTION_KEY, redactionKeyFromEnv } from '#shared/env.js';
import { ConfigInvalid } from '#shared/errors.js';

export interface KeyChoice {
  key: string;
  /** What to tell the user on stderr about the key, or null. */
  note: string | null;
}

export function chooseRedactionKey(opts: { redactionKey?: string; dev?: boolean }): KeyChoice {
  const given = opts.redactionKey ?? redactionKeyFromEnv();
  if (given !== undefined && given !== '') {
    if (given.length < 16)
      throw ConfigInvalid(
        `the redaction key (${opts.redactionKey !== undefined ? '--redaction-key' : 'COLLECTOR_REDACTION_KEY'}) must be at least 16 characters; a random one: openssl rand -hex 32`,
      );
    return { key: given, note: null };
  }
  if (opts.dev)
    return { key: DEV_REDACTION_KEY, note: '--dev: built-in redaction key; tokens are NOT secret' };
  return {
    key: randomBytes(32).toString('hex'),
    note: 'no redaction key given: a random one for this run (tokens differ between runs; set COLLECTOR_REDACTION_KEY to compare)',
  };
}
