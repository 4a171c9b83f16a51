// The collector's inputs as configured (collector.files, .syslog, .ingest), checked all at once: every
// problem is listed in one LW_ERR_CONFIG_INVALID at start, as config.ts does for its schema. Pure, so
// the rules are unit-tested; createInputs (index.ts) binds the listeners.
//
// Each input reads one format: collector.format / .logFormat, unless syslog or ingest name their own
// (a host may forward PostgreSQL logs over syslog while its nginx files are tailed).
import type { Config } from '#shared/config.js';
import { ConfigInvalid } from '#shared/errors.js';
import type { InputsOptions } from './index.js';

export type InputKind = 'files' | 'syslog' | 'ingest';

export interface InputFormat {
  /** A format id or `auto`. */
  format: string;
  logFormat?: string;
}

export interface ConfiguredInputs {
  /** For createInputs; batchSize, follow and checkpoints from the config too. */
  options: InputsOptions;
  /** Which format each kind of input reads. */
  formats: Record<InputKind, InputFormat>;
}

/** Which input a batch came from, by its source name (types.ts SourceBatch.source). */
export function inputKindOf(source: string): InputKind {
  if (source.startsWith('syslog:')) return 'syslog';
  if (source.startsWith('http:')) return 'ingest';
  return 'files'; // absolute paths and `stdin`
}

export function inputsFromConfig(c: Readonly<Config['collector']>): ConfiguredInputs {
  const problems: string[] = [];
  const { syslog, ingest } = c;
  const syslogOn = syslog.udpPort !== undefined || syslog.tcpPort !== undefined;
  const ingestOn = ingest.port !== undefined;
  if (c.files.length === 0 && !syslogOn && !ingestOn)
    problems.push(
      'no input: give files or set COLLECTOR_FILES, COLLECTOR_SYSLOG_UDP_PORT / _TCP_PORT or COLLECTOR_INGEST_PORT',
    );
  if (ingestOn && ingest.tokens.length === 0)
    problems.push(
      'COLLECTOR_INGEST_PORT is set but COLLECTOR_INGEST_TOKENS is empty: HTTP ingest needs a bearer token',
    );
  const names = ingest.tokens.map((t) => t.name).filter((n) => n !== undefined);
  if (new Set(names).size !== names.length)
    problems.push('COLLECTOR_INGEST_TOKENS: two tokens have the same name (a name identifies one forwarder)');
  if (new Set(ingest.tokens.map((t) => t.token)).size !== ingest.tokens.length)
    problems.push('COLLECTOR_INGEST_TOKENS: a token is listed twice');
  if (
    syslogOn &&
    ingestOn &&
    syslog.tcpPort !== undefined &&
    syslog.tcpPort !== 0 &&
    syslog.tcpPort === ingest.port &&
    syslog.host === ingest.host
  )
    problems.push(`syslog TCP and HTTP ingest both want ${ingest.host}:${ingest.port}`);
  for (const [name, o] of [
    ['syslog', syslog],
    ['ingest', ingest],
  ] as const)
    if (o.logFormat !== undefined && o.format === undefined)
      problems.push(
        `collector.${name}.logFormat needs collector.${name}.format (else collector.logFormat applies)`,
      );
  if (problems.length) throw ConfigInvalid(problems.join('; '), { details: { problems } });

  const base: InputFormat = {
    format: c.format,
    ...(c.logFormat !== undefined && { logFormat: c.logFormat }),
  };
  const own = (o: { format?: string; logFormat?: string }): InputFormat =>
    o.format === undefined
      ? base
      : { format: o.format, ...(o.logFormat !== undefined && { logFormat: o.logFormat }) };
  const options: InputsOptions = {
    files: [...c.files],
    follow: c.follow,
    fromStart: c.fromStart,
    batchSize: c.batchSize,
    maxLineBytes: c.maxLineBytes,
    ...(c.checkpointFile !== undefined && { checkpointFile: c.checkpointFile }),
  };
  if (syslogOn)
    options.syslog = {
      ...(syslog.udpPort !== undefined && { udp: { host: syslog.host, port: syslog.udpPort } }),
      ...(syslog.tcpPort !== undefined && { tcp: { host: syslog.host, port: syslog.tcpPort } }),
      maxMessageBytes: syslog.maxMessageBytes,
    };
  if (ingestOn)
    options.http = {
      host: ingest.host,
      port: ingest.port!,
      tokens: ingest.tokens.map((t) => (t.name === undefined ? t.token : { name: t.name, token: t.token })),
      maxBodyBytes: ingest.maxBodyBytes,
    };
  return { options, formats: { files: base, syslog: own(syslog), ingest: own(ingest) } };
}
