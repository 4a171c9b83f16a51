// One pino logger per process: JSON to stdout, base {service, version}, secrets redacted.
// Log event_ids and offsets, never raw lines, URLs or SQL.
import pino, { type Logger } from 'pino';
import { PACKAGE_VERSION as VERSION } from './env.js';

export type { Logger };

export function createLogger(service: string, level: string = 'info'): Logger {
  return pino({
    level,
    base: { service, version: VERSION, pid: process.pid },
    errorKey: 'err',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'authorization',
        'token',
        'password',
        'redactionKey',
        '*.redactionKey',
        '*.password',
        '*.tokens',
      ],
      censor: '[redacted]',
    },
  });
}
