// What the JSON-lines formats (cloudtrail, api-json) and s3-access share: cutting rejected texts,
// own-property reads that never reach the prototype, JSON.parse that never throws, and the
// `maxLineChars` option check.

import { ConfigInvalid } from '#shared/errors.js';
import type { InputLine, RecordParser, RecordResult } from '../types.js';

/** Rejected texts are cut to this many characters. */
export const MAX_REJECT_TEXT = 8192;

export function cut(text: string): string {
  return text.length > MAX_REJECT_TEXT ? text.slice(0, MAX_REJECT_TEXT) : text;
}

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own property only (never the prototype's `constructor`, `toString`...). */
export function own(o: JsonObject, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** A non-empty string property, else null. */
export function ownString(o: JsonObject, k: string): string | null {
  const v = own(o, k);
  return typeof v === 'string' && v.length > 0 ? v : null;
}

/** JSON.parse that never throws: undefined on failure. */
export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Validates the shared `maxLineChars` option; returns the problems found. */
function checkMaxLineChars(v: unknown, problems: string[], format: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 256 || v > 1024 * 1024 * 1024) {
    problems.push(`${format}: maxLineChars must be an integer between 256 and 2^30`);
  }
}

/**
 * create()'s option check shared by the formats whose one option is `maxLineChars` (cloudtrail,
 * s3, api-json): throws ConfigInvalid listing every problem; returns the limit (or defaultMax).
 */
export function maxLineCharsOption(
  options: { maxLineChars?: number } | undefined,
  format: string,
  defaultMax: number,
): number {
  const problems: string[] = [];
  const o = (options ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'maxLineChars') problems.push(`${format}: unknown option ${k}`);
  checkMaxLineChars(o['maxLineChars'], problems, format);
  if (problems.length > 0) throw ConfigInvalid(problems.join('; '), { details: { problems } });
  return options?.maxLineChars ?? defaultMax;
}

/** A parser of single-line records: each line gives exactly one result, nothing is pending at the end. */
export function perLineParser(parseLine: (line: InputLine) => RecordResult): RecordParser {
  return {
    push(line: InputLine): RecordResult[] {
      return [parseLine(line)];
    },
    end(): RecordResult[] {
      return [];
    },
  };
}
