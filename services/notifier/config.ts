// The notifier's routing file (NOTIFIER_CONFIG_FILE) plus the shorthands (NOTIFIER_ALERTMANAGER_URL,
// NOTIFIER_WEBHOOK_URL), validated once at start into frozen receivers and routes. Secrets are named
// by environment variable in the file and resolved here; an error names the variable, never a value.
//
//   defaults: {group_wait: 10s, repeat_interval: 4h, rate_per_minute: 30, rate_burst: 10}
//   receivers:
//     - {name: oncall, type: pagerduty, secrets: {routing_key: PD_ROUTING_KEY}}
//     - {name: sec-hook, type: webhook, url: https://hooks.example/leakwatch, secrets: {secret: HOOK_SECRET}}
//   routes:                      # first match wins unless the route says continue: true
//     - {receiver: oncall, match: {min_severity: high}, continue: true}
//     - {receiver: sec-hook, match: {tenant: [shop-a], rule: [egress], labels: {resource_kind: patient}}}
import { readFileSync } from 'node:fs';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import type { Severity } from '#shared/avro/generated/alert.js';
import { type Config, readSecretEnv } from '#shared/config.js';
import { ConfigInvalid } from '#shared/errors.js';

export const RECEIVER_TYPES = ['alertmanager', 'pagerduty', 'webhook', 'slack'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];
export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

const Duration = Type.Union([Type.String({ pattern: '^\\d+(ms|s|m|h|d)$' }), Type.Integer({ minimum: 0 })]);
const Sev = Type.Union(SEVERITIES.map((s) => Type.Literal(s)));
const Strings = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1 });

const FileSchema = Type.Object(
  {
    defaults: Type.Optional(
      Type.Object(
        {
          group_wait: Type.Optional(Duration),
          repeat_interval: Type.Optional(Duration),
          rate_per_minute: Type.Optional(Type.Integer({ minimum: 1 })),
          rate_burst: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    receivers: Type.Array(
      Type.Object(
        {
          name: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }),
          type: Type.Union(RECEIVER_TYPES.map((t) => Type.Literal(t))),
          url: Type.Optional(Type.String({ pattern: '^https?://' })),
          /** Non-secret settings (receiver specific: e.g. slack channel, pagerduty source). */
          settings: Type.Optional(Type.Record(Type.String(), Type.String())),
          /** setting name -> NAME of the environment variable holding it. */
          secrets: Type.Optional(
            Type.Record(Type.String(), Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
          ),
          rate_per_minute: Type.Optional(Type.Integer({ minimum: 1 })),
          rate_burst: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    routes: Type.Array(
      Type.Object(
        {
          receiver: Type.String({ minLength: 1 }),
          match: Type.Optional(
            Type.Object(
              {
                severity: Type.Optional(Type.Array(Sev, { minItems: 1 })),
                min_severity: Type.Optional(Sev),
                rule: Type.Optional(Strings),
                tenant: Type.Optional(Strings),
                labels: Type.Optional(Type.Record(Type.String(), Type.String())),
              },
              { additionalProperties: false },
            ),
          ),
          continue: Type.Optional(Type.Boolean()),
          group_wait: Type.Optional(Duration),
          repeat_interval: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RoutingFile = Static<typeof FileSchema>;

export interface ReceiverConfig {
  name: string;
  type: ReceiverType;
  url?: string;
  settings: Readonly<Record<string, string>>;
  /** Resolved secret values: never log this object. */
  secrets: Readonly<Record<string, string>>;
  ratePerMinute: number;
  rateBurst: number;
}

export interface RouteMatch {
  severity?: readonly Severity[];
  minSeverity?: Severity;
  rule?: readonly string[];
  tenant?: readonly string[];
  labels?: Readonly<Record<string, string>>;
}

export interface Route {
  receiver: string;
  match: RouteMatch;
  continue: boolean;
  groupWaitMs: number;
  repeatIntervalMs: number;
}

export interface Routing {
  receivers: readonly ReceiverConfig[];
  routes: readonly Route[];
}

export function parseDuration(d: string | number): number {
  if (typeof d === 'number') return d;
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}

/** Which secrets each receiver type needs (setting name), and which need a url. */
const NEEDS: Record<ReceiverType, { secrets: string[]; url: boolean }> = {
  alertmanager: { secrets: [], url: true },
  pagerduty: { secrets: ['routing_key'], url: false },
  webhook: { secrets: ['secret'], url: true },
  // The incoming-webhook URL is itself the credential: give it as a secret, or as url.
  slack: { secrets: [], url: false },
};

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

/**
 * Routing from the file named by cfg.notifier.configFile (if any) plus the shorthands. Throws
 * LW_ERR_CONFIG_INVALID listing every problem.
 */
export function loadRouting(
  cfg: Pick<Config, 'notifier'>,
  env: NodeJS.ProcessEnv = process.env,
  text?: string,
): Routing {
  const n = cfg.notifier;
  const problems: string[] = [];
  let file: RoutingFile = { receivers: [], routes: [] };
  const source = n.configFile ?? '(inline)';
  if (n.configFile || text !== undefined) {
    try {
      const raw = parseYaml(text ?? readFileSync(n.configFile as string, 'utf8')) ?? {};
      const errs = [...Value.Errors(FileSchema, raw)];
      for (const e of errs.slice(0, 20)) problems.push(`${source}: ${e.path || '(root)'}: ${e.message}`);
      if (errs.length === 0) file = raw as RoutingFile;
    } catch (err) {
      problems.push(`${source}: ${(err as Error).message}`);
    }
  }
  const d = file.defaults ?? {};
  const groupWaitMs = d.group_wait !== undefined ? parseDuration(d.group_wait) : n.groupWaitMs;
  const repeatIntervalMs =
    d.repeat_interval !== undefined ? parseDuration(d.repeat_interval) : n.repeatIntervalMs;
  const ratePerMinute = d.rate_per_minute ?? n.ratePerMinute;
  const rateBurst = d.rate_burst ?? n.rateBurst;

  const receivers: ReceiverConfig[] = [];
  const routes: Route[] = [];
  // Shorthands first, each a catch-all that continues, so a file's first-match routes still apply.
  if (n.alertmanagerUrl) {
    receivers.push({
      name: 'alertmanager',
      type: 'alertmanager',
      url: n.alertmanagerUrl,
      settings: {},
      secrets: {},
      ratePerMinute,
      rateBurst,
    });
  }
  if (n.webhookUrl) {
    if (!n.webhookSecret)
      problems.push('NOTIFIER_WEBHOOK_URL is set: NOTIFIER_WEBHOOK_SECRET (16+ characters) is required');
    receivers.push({
      name: 'webhook',
      type: 'webhook',
      url: n.webhookUrl,
      settings: {},
      secrets: { secret: n.webhookSecret ?? '' },
      ratePerMinute,
      rateBurst,
    });
  }
  for (const r of receivers)
    routes.push({ receiver: r.name, match: {}, continue: true, groupWaitMs, repeatIntervalMs });

  for (const r of file.receivers) {
    if (receivers.some((x) => x.name === r.name)) {
      problems.push(`${source}: receiver ${r.name} is defined twice (or clashes with a shorthand)`);
      continue;
    }
    const secrets: Record<string, string> = {};
    for (const [key, envName] of Object.entries(r.secrets ?? {})) {
      const v = readSecretEnv(envName, env);
      if (v === undefined)
        problems.push(
          `${source}: receiver ${r.name}: secret ${key}: environment variable ${envName} is not set`,
        );
      else secrets[key] = v;
    }
    const need = NEEDS[r.type];
    for (const s of need.secrets)
      if (!(r.secrets && s in r.secrets))
        problems.push(
          `${source}: receiver ${r.name} (${r.type}) needs secrets.${s} (an environment variable name)`,
        );
    if (need.url && !r.url) problems.push(`${source}: receiver ${r.name} (${r.type}) needs url`);
    if (r.type === 'slack' && !r.url && !r.secrets?.['url'])
      problems.push(`${source}: receiver ${r.name} (slack) needs url or secrets.url`);
    receivers.push({
      name: r.name,
      type: r.type,
      ...(r.url ? { url: r.url } : {}),
      settings: { ...(r.settings ?? {}) },
      secrets,
      ratePerMinute: r.rate_per_minute ?? ratePerMinute,
      rateBurst: r.rate_burst ?? rateBurst,
    });
  }
  for (const [i, r] of file.routes.entries()) {
    if (!receivers.some((x) => x.name === r.receiver)) {
      problems.push(`${source}: routes[${i}]: no receiver named ${r.receiver}`);
      continue;
    }
    const m = r.match ?? {};
    routes.push({
      receiver: r.receiver,
      match: {
        ...(m.severity ? { severity: m.severity as Severity[] } : {}),
        ...(m.min_severity ? { minSeverity: m.min_severity as Severity } : {}),
        ...(m.rule ? { rule: m.rule } : {}),
        ...(m.tenant ? { tenant: m.tenant } : {}),
        ...(m.labels ? { labels: m.labels } : {}),
      },
      continue: r.continue ?? false,
      groupWaitMs: r.group_wait !== undefined ? parseDuration(r.group_wait) : groupWaitMs,
      repeatIntervalMs: r.repeat_interval !== undefined ? parseDuration(r.repeat_interval) : repeatIntervalMs,
    });
  }
  if (problems.length > 0) throw ConfigInvalid(problems.join('; '), { details: { problems } });
  return Object.freeze({ receivers: Object.freeze(receivers), routes: Object.freeze(routes) });
}

/** What a route matches on: the alert's own fields. */
export interface Routable {
  severity: Severity;
  rule: string;
  tenant: string;
  labels: Readonly<Record<string, string>>;
}

export function matches(m: RouteMatch, a: Routable): boolean {
  if (m.severity && !m.severity.includes(a.severity)) return false;
  if (m.minSeverity && SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(m.minSeverity)) return false;
  if (m.rule && !m.rule.includes(a.rule)) return false;
  if (m.tenant && !m.tenant.includes(a.tenant)) return false;
  if (m.labels) for (const [k, v] of Object.entries(m.labels)) if (a.labels[k] !== v) return false;
  return true;
}

/** The routes an alert takes: in order, stopping at the first match that does not continue. */
export function route(routes: readonly Route[], a: Routable): Route[] {
  const out: Route[] = [];
  for (const r of routes) {
    if (!matches(r.match, a)) continue;
    if (!out.some((x) => x.receiver === r.receiver)) out.push(r);
    if (!r.continue) break;
  }
  return out;
}
