// An AccessEvent with every optional field empty: for tests, benches and samples, so each names
// only the fields it cares about (and a new schema field with a default is added in one place).
import type { AccessEvent } from './generated/access-event.js';

export function accessEventWith(
  fields: Pick<AccessEvent, 'event_id' | 'ts'> & Partial<AccessEvent>,
): AccessEvent {
  return {
    source_kind: 'web',
    source: 'test',
    tenant: 'default',
    user_id: null,
    session_hash: null,
    api_key_id: null,
    client_ip: null,
    user_agent: null,
    db_user: null,
    authenticated: false,
    emergency_access: false,
    http_method: 'GET',
    db_operation: null,
    route: '/',
    resource_id: null,
    resource_kind: null,
    status: 200,
    bytes_out: 0,
    rows_out: null,
    duration_ms: null,
    findings: [],
    attrs: {},
    ...fields,
  };
}
