// Which principal an event belongs to: user, else API key, else session, else client IP.
// One definition for the collector's Kafka key, the detector's entity and ClickHouse's `principal`
// column, so detector state follows the partition that owns the key.

import type { AccessEvent } from './avro/generated/access-event.js';
import type { Entity } from './avro/generated/alert.js';

export type PrincipalType = 'user' | 'api_key' | 'session' | 'client_ip';

/** Prefix of each entity type in principal keys and alert titles (`ip:1.2.3.4`). */
const KEY_PREFIX: Readonly<Record<string, string>> = {
  user: 'user',
  api_key: 'api_key',
  session: 'session',
  client_ip: 'ip',
};

export type PrincipalFields = Pick<AccessEvent, 'user_id' | 'api_key_id' | 'session_hash' | 'client_ip'>;

/** Type and value of the event's principal; client_ip `-` when the event has none. */
export function principalType(e: PrincipalFields): PrincipalType {
  if (e.user_id !== null && e.user_id !== '') return 'user';
  if (e.api_key_id !== null && e.api_key_id !== '') return 'api_key';
  if (e.session_hash !== null && e.session_hash !== '') return 'session';
  return 'client_ip';
}

export function principalValue(e: PrincipalFields, type: PrincipalType): string {
  switch (type) {
    case 'user':
      return e.user_id as string;
    case 'api_key':
      return e.api_key_id as string;
    case 'session':
      return e.session_hash as string;
    default:
      return e.client_ip ?? '-';
  }
}

export function entityOf(e: PrincipalFields): Entity {
  const type = principalType(e);
  return { type, value: principalValue(e, type) };
}

/** `user:<id>`, `api_key:<id>`, `session:<hash>`, `ip:<client_ip>`: the collector's principalKey. */
export function entityKey(entity: Entity): string {
  return (KEY_PREFIX[entity.type] ?? entity.type) + ':' + entity.value;
}

/** The event's principal key, `user:<id>` … `ip:<client_ip>`: the Kafka key of access.v1. */
export function principalKey(e: PrincipalFields): string {
  return entityKey(entityOf(e));
}

/** Keys remembered per principal type; a type's memo starts over beyond (principals repeat). */
const KEY_MEMO_SIZE = 65_536;

/**
 * principalKey, remembering the keys of recent principals (for a process keying every event: the
 * collector's Kafka keys). The same principal gives back the same string, so every Map keyed by it
 * (the producer's partition cache) hashes it once, and an event costs no Entity and no
 * concatenation. Keys are built flat (join), so they hold no view of the log line a value came from.
 */
export function principalKeyMemo(): (e: PrincipalFields) => string {
  const byType = new Map<PrincipalType, Map<string, string>>();
  return (e) => {
    const type = principalType(e);
    const value = principalValue(e, type);
    let keys = byType.get(type);
    if (keys === undefined || keys.size >= KEY_MEMO_SIZE) {
      keys = new Map<string, string>();
      byType.set(type, keys);
    }
    let key = keys.get(value);
    if (key === undefined) {
      key = [KEY_PREFIX[type] ?? type, value].join(':');
      keys.set(key.slice(key.length - value.length), key); // the value as a flat copy, not the line's view
    }
    return key;
  };
}
