// Every error code leakwatch raises is defined once here (fastify's lib/errors.js shape).
// Callers match `err.code`, never the message. Dead letters carry `reason = code`; the API maps
// `statusCode`; shared/retry.ts retries only `retriable` errors.

export interface LeakwatchErrorOptions {
  cause?: unknown;
  /** Extra, non-PHI context for logs (offsets, field names, ...). */
  details?: Record<string, unknown>;
}

export class LeakwatchError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    code: string,
    message: string,
    statusCode: number,
    retriable: boolean,
    opts?: LeakwatchErrorOptions,
  ) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'LeakwatchError';
    this.code = code;
    this.statusCode = statusCode;
    this.retriable = retriable;
    this.details = opts?.details;
  }
}

export interface ErrorFactory {
  (...args: Array<string | number | LeakwatchErrorOptions>): LeakwatchError;
  readonly code: string;
  readonly statusCode: number;
  readonly retriable: boolean;
}

function format(template: string, args: (string | number)[]): string {
  let i = 0;
  return template.replace(/%s/g, () => (i < args.length ? String(args[i++]) : '%s'));
}

/** createError('LW_ERR_X', 'bad %s', {statusCode: 400}) -> factory(...args, opts?) */
export function createError(
  code: string,
  template: string,
  opts: {
    statusCode?: number;
    retriable?: boolean;
    /** Names for the message arguments, also kept in `details` so callers match data, not text. */
    argNames?: readonly string[];
  } = {},
): ErrorFactory {
  const statusCode = opts.statusCode ?? 500;
  const retriable = opts.retriable ?? false;
  const argNames = opts.argNames;
  const factory = (...args: unknown[]) => {
    const last = args[args.length - 1];
    const hasOpts = typeof last === 'object' && last !== null;
    const fmtArgs = (hasOpts ? args.slice(0, -1) : args) as (string | number)[];
    let o = hasOpts ? (last as LeakwatchErrorOptions) : undefined;
    if (argNames) {
      const named: Record<string, unknown> = {};
      argNames.forEach((name, i) => {
        if (i < fmtArgs.length) named[name] = fmtArgs[i];
      });
      o = { ...o, details: { ...named, ...o?.details } };
    }
    return new LeakwatchError(code, format(template, fmtArgs), statusCode, retriable, o);
  };
  return Object.assign(factory, { code, statusCode, retriable }) as unknown as ErrorFactory;
}

export function isLeakwatchError(err: unknown): err is LeakwatchError {
  return err instanceof LeakwatchError;
}

/** Network-ish errors from clients are worth retrying; programming errors never are. */
export function isRetriable(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return false;
  if (err && typeof err === 'object' && 'retriable' in err)
    return Boolean((err as { retriable: unknown }).retriable);
  const code = (err as { code?: unknown } | null)?.code;
  return (
    typeof code === 'string' && /^(ECONN|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|UND_ERR|ECONNRESET)/.test(code)
  );
}

// ---- codes, grouped by area. Each is documented in docs table of README ("Error codes"). ----

// config
export const ConfigInvalid = createError('LW_ERR_CONFIG_INVALID', 'invalid configuration: %s', {
  statusCode: 500,
});

// parsing (collector): the code is the dead-letter reason
/** details: { format, reason } (reason: the parser's stable reject reason, the tally's key). */
export const ParseMalformedLine = createError('LW_ERR_PARSE_MALFORMED_LINE', 'malformed %s line: %s', {
  statusCode: 422,
  argNames: ['format', 'reason'],
});
export const ParseBadTimestamp = createError('LW_ERR_PARSE_BAD_TIMESTAMP', 'unparseable timestamp: %s', {
  statusCode: 422,
});
export const ParseLineTooLong = createError('LW_ERR_PARSE_LINE_TOO_LONG', 'line longer than %s bytes', {
  statusCode: 422,
});

// avro
export const AvroUnknownSchema = createError(
  'LW_ERR_AVRO_UNKNOWN_SCHEMA',
  'no known writer schema with fingerprint %s',
  {
    statusCode: 422,
  },
);
export const AvroBadMessage = createError(
  'LW_ERR_AVRO_BAD_MESSAGE',
  'not an Avro single-object message: %s',
  {
    statusCode: 422,
  },
);

// kafka / clickhouse
export const KafkaUnavailable = createError('LW_ERR_KAFKA_UNAVAILABLE', 'Kafka unreachable at %s', {
  statusCode: 503,
  retriable: true,
});
export const ClickHouseUnavailable = createError(
  'LW_ERR_CLICKHOUSE_UNAVAILABLE',
  'ClickHouse unreachable at %s',
  {
    statusCode: 503,
    retriable: true,
  },
);
export const ClickHouseBadValue = createError('LW_ERR_CLICKHOUSE_BAD_VALUE', 'cannot bind %s as %s', {
  statusCode: 400,
});
export const MigrationFailed = createError('LW_ERR_MIGRATION_FAILED', 'migration %s failed: %s', {
  statusCode: 500,
});

// api
export const ApiBadRequest = createError('LW_ERR_API_BAD_REQUEST', '%s', { statusCode: 400 });
export const ApiNotFound = createError('LW_ERR_API_NOT_FOUND', '%s not found', { statusCode: 404 });
export const ApiUnauthorized = createError('LW_ERR_API_UNAUTHORIZED', 'missing or invalid bearer token', {
  statusCode: 401,
});
export const ApiForbidden = createError('LW_ERR_API_FORBIDDEN', 'role %s may not %s', { statusCode: 403 });
export const ApiConflict = createError('LW_ERR_API_CONFLICT', '%s', { statusCode: 409 });

// collector inputs
export const InputNotFound = createError('LW_ERR_INPUT_NOT_FOUND', 'no such input file: %s', {
  statusCode: 500,
});
/** `scan`/`parse` inputs that cannot be read (checked before any is read). */
export const InputUnreadable = createError('LW_ERR_INPUT_UNREADABLE', 'cannot read %s; nothing was read', {
  statusCode: 400,
});
export const CheckpointInvalid = createError(
  'LW_ERR_CHECKPOINT_INVALID',
  'checkpoint file %s is unusable (%s); fix or remove it (inputs then start as configured by fromStart)',
  { statusCode: 500 },
);
export const InputDamaged = createError(
  'LW_ERR_INPUT_DAMAGED',
  '%s: compressed data is damaged or ends early (%s) after byte %s of its text; the lines before it were read',
  { statusCode: 422 },
);
export const InputBinary = createError(
  'LW_ERR_INPUT_BINARY',
  '%s: a binary file, not a text log (%s); skipped',
  { statusCode: 422 },
);
export const IngestBadBody = createError('LW_ERR_INGEST_BAD_BODY', 'bad ingest body: %s', {
  statusCode: 400,
});
export const IngestTooLarge = createError('LW_ERR_INGEST_TOO_LARGE', 'request body larger than %s bytes', {
  statusCode: 413,
});
export const IngestUnsupportedType = createError(
  'LW_ERR_INGEST_UNSUPPORTED_TYPE',
  'unsupported content type %s; send application/x-ndjson, application/json or text/plain',
  { statusCode: 415 },
);
export const IngestBusy = createError('LW_ERR_INGEST_BUSY', 'ingest is behind (%s); retry later', {
  statusCode: 503,
  retriable: true,
});

// ---- incidents ----
export const IncidentBadTransition = createError(
  'LW_ERR_INCIDENT_BAD_TRANSITION',
  'incident %s cannot go from %s to %s (allowed: %s)',
  { statusCode: 409 },
);
export const NoticeTemplateInvalid = createError(
  'LW_ERR_INCIDENT_NOTICE_TEMPLATE',
  'notice template %s is unusable: %s',
  { statusCode: 500 },
);
// ---- end incidents ----

// lifecycle
export const ShutdownTimeout = createError(
  'LW_ERR_SHUTDOWN_TIMEOUT',
  'shutdown did not finish within %s ms',
  {
    statusCode: 500,
  },
);

// ---- API security (issue 13): limits, store failures, the catch-all ----
export const ApiRateLimited = createError(
  'LW_ERR_API_RATE_LIMITED',
  'more than %s requests per minute for this token; retry in %s',
  { statusCode: 429, retriable: true },
);
export const ApiQueryTooLong = createError('LW_ERR_API_QUERY_TOO_LONG', 'query string longer than %s bytes', {
  statusCode: 414,
});
export const ApiBodyTooLarge = createError('LW_ERR_API_BODY_TOO_LARGE', 'request body larger than %s bytes', {
  statusCode: 413,
});
/** ClickHouse answered with an error other than a timeout (details only in the log). */
export const ClickHouseQueryFailed = createError(
  'LW_ERR_CLICKHOUSE_QUERY_FAILED',
  'the store could not answer this request (ClickHouse error %s)',
  { statusCode: 502 },
);
/** Anything unforeseen: 500 with this message; the cause only in the log. */
export const Internal = createError('LW_ERR_INTERNAL', 'internal error', { statusCode: 500 });
// ---- notifier (issue 14) ----
export const NotifyFailed = createError('LW_ERR_NOTIFY_FAILED', 'receiver %s: %s', { retriable: true });
export const NotifyRejected = createError('LW_ERR_NOTIFY_REJECTED', 'receiver %s refused the page: %s', {
  retriable: false,
});
// ---- end notifier ----
