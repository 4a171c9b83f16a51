// Requests derived from the API's own OpenAPI document, so tests that walk "every route" (roles,
// SQL injection) cover routes added later without being edited. Values come from a small map of
// samples by parameter name, else from the schema (enum / const / pattern-matching candidates /
// numeric bounds / required object properties).

export type JsonSchema = Record<string, unknown> & {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  default?: unknown;
  items?: JsonSchema;
  minItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  format?: string;
  $ref?: string;
};

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  /** OpenAPI path, `/api/v1/alerts/{id}` */
  path: string;
  role: string | undefined;
  parameters: Parameter[];
  body: JsonSchema | undefined;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

export function operations(doc: OpenApiDoc): Operation[] {
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!METHODS.has(method)) continue;
      const content = (op['requestBody'] as { content?: Record<string, { schema: JsonSchema }> } | undefined)
        ?.content;
      out.push({
        method: method.toUpperCase(),
        path,
        role: op['x-leakwatch-role'] as string | undefined,
        parameters: ((op['parameters'] as Parameter[] | undefined) ?? []).filter(
          (p) => p.in === 'path' || p.in === 'query',
        ),
        body: content?.['application/json']?.schema,
      });
    }
  }
  return out;
}

/**
 * Plausible values by parameter / property name; the first that fits the schema is used. Tests
 * may add their own (e.g. the id of an alert they inserted) with `withSamples`.
 */
export const SAMPLES: Record<string, unknown[]> = {
  id: ['0123456789abcdef0123456789abcdef'],
  alert_id: ['0123456789abcdef0123456789abcdef'],
  incident_id: ['0123456789abcdef0123456789abcdef'],
  tenant: ['tenant-a'],
  principal: ['user:alice', 'user_id:alice'],
  entity: ['user:alice'],
  type: ['user'],
  value: ['alice'],
  resource_kind: ['orders', 'order'],
  resource_id: ['1234'],
  token: ['0123456789abcdef0123456789abcdef', 'phi_0123456789abcdef'],
  rule: ['sequential-enumeration'],
  from: [Date.UTC(2024, 4, 1)],
  to: [Date.UTC(2024, 4, 2)],
  interval: ['1h', 3_600_000, 60],
  reason: ['investigating'],
  note: ['looked at it'],
  actor: ['test-responder'],
  format: ['json'],
  cursor: [],
  for: ['1h'],
};

/**
 * Optional properties and query parameters always sent, where a route needs one of several: suppress
 * takes `for` or `until`, access history `principal` or `resource_id`.
 */
const ALWAYS_SENT = new Set(['for', 'principal']);

/** Strings tried, in order, when neither the sample map nor an enum gives a value. */
const STRING_CANDIDATES = [
  '0123456789abcdef0123456789abcdef',
  'user:alice',
  'alice',
  'tenant-a',
  'orders',
  '1234',
  'a',
  '2024-05-01T00:00:00Z',
  'https://soc.example',
];

function fits(schema: JsonSchema, v: unknown): boolean {
  if (schema.enum && !schema.enum.includes(v)) return false;
  if (schema.const !== undefined && schema.const !== v) return false;
  const types = schema.type === undefined ? [] : [schema.type].flat();
  if (typeof v === 'string') {
    if (types.length && !types.includes('string')) return false;
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(v)) return false;
    if (schema.minLength !== undefined && v.length < schema.minLength) return false;
    if (schema.maxLength !== undefined && v.length > schema.maxLength) return false;
    return true;
  }
  if (typeof v === 'number') {
    if (types.length && !types.includes('number') && !types.includes('integer')) return false;
    if (types.includes('integer') && !Number.isInteger(v)) return false;
    if (schema.minimum !== undefined && v < schema.minimum) return false;
    if (schema.maximum !== undefined && v > schema.maximum) return false;
    return true;
  }
  return true;
}

export function sample(
  schema: JsonSchema,
  name: string,
  samples: Record<string, unknown[]> = SAMPLES,
): unknown {
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches?.length) {
    for (const c of samples[name] ?? []) if (branches.some((b) => fits(b, c))) return c;
    return sample(branches[0]!, name, samples);
  }
  if (schema.allOf?.length) return sample(Object.assign({}, ...schema.allOf), name, samples);
  for (const c of samples[name] ?? []) if (fits(schema, c)) return c;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const type = [schema.type ?? 'string'].flat()[0];
  switch (type) {
    case 'integer':
    case 'number':
      return schema.minimum ?? (schema.maximum !== undefined ? Math.min(1, schema.maximum) : 1);
    case 'boolean':
      return false;
    case 'array': {
      const n = Math.max(1, schema.minItems ?? 1);
      return Array.from({ length: n }, () => sample(schema.items ?? {}, name, samples));
    }
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of schema.required ?? []) o[k] = sample(schema.properties?.[k] ?? {}, k, samples);
      for (const k of Object.keys(schema.properties ?? {}))
        if (ALWAYS_SENT.has(k) && !(k in o)) o[k] = sample(schema.properties![k]!, k, samples);
      return o;
    }
    default: {
      for (const c of STRING_CANDIDATES) if (fits(schema, c)) return c;
      if (schema.format === 'date-time') return '2024-05-01T00:00:00Z';
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    }
  }
}

export function withSamples(extra: Record<string, unknown[]>): Record<string, unknown[]> {
  const out = { ...SAMPLES };
  for (const [k, v] of Object.entries(extra)) out[k] = [...v, ...(out[k] ?? [])];
  return out;
}

export interface BuiltRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  payload?: Record<string, unknown>;
}

/**
 * A valid request for the operation: path parameters filled, required query parameters set,
 * `query` overriding or adding values (a value of undefined removes one), a body with its
 * required properties.
 */
export function buildRequest(
  op: Operation,
  opts: {
    samples?: Record<string, unknown[]>;
    path?: Record<string, string>;
    query?: Record<string, unknown>;
  } = {},
): BuiltRequest {
  const samples = opts.samples ?? SAMPLES;
  let url = op.path;
  const q = new URLSearchParams();
  const set: Record<string, unknown> = {};
  for (const p of op.parameters) {
    if (p.in === 'path') {
      const v = opts.path?.[p.name] ?? String(sample(p.schema, p.name, samples));
      url = url.replace(`{${p.name}}`, encodeURIComponent(v));
    } else if (p.required || ALWAYS_SENT.has(p.name)) set[p.name] = sample(p.schema, p.name, samples);
  }
  Object.assign(set, opts.query ?? {});
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) continue;
    for (const x of [v].flat()) q.append(k, String(x));
  }
  const qs = q.toString();
  const req: BuiltRequest = { method: op.method as BuiltRequest['method'], url: qs ? `${url}?${qs}` : url };
  if (op.body) req.payload = sample(op.body, 'body', samples) as Record<string, unknown>;
  return req;
}
