// `leakwatch tokenize`: the token the collector writes for a PHI value, so that whoever holds the
// redaction key can ask "who saw this record" (GET /api/v1/access?resource_id=TOKEN) or for the
// accounting of a patient's disclosures (GET /api/v1/subjects/TOKEN/accounting) starting from the
// e-mail address, MRN or phone number a complaint names. The value goes through the collector's own
// detector for its kind (an e-mail is lowercased, a card keeps its digits, an MRN its prefix rules),
// so the token is the one stored, not a hash of the text as typed.
import { redactionKeyFromEnv } from '#shared/env.js';
import { ConfigInvalid } from '#shared/errors.js';
import { PHI_DETECTORS, type Redactor, redactorForKey } from '../collector/index.js';
import { chooseRedactionKey } from './redaction-options.js';

/** Kinds whose token is of the value exactly as logged (no detector reads them). */
export const RAW_KINDS = ['session', 'api_key'] as const;

export function phiKinds(): string[] {
  return [...new Set(PHI_DETECTORS.map((d) => d.kind))];
}

export interface TokenizeOptions {
  kind?: string;
  redactionKey?: string;
  dev?: boolean;
}

export type Tokenized = { ok: true; token: string } | { ok: false; why: string };

const TOKEN = /^tok_([a-z0-9]+(?:_[a-z0-9]+)*)_[0-9a-f]{16}$/;

/** The token of one value, or why there is none. Pure: the redactor holds the key. */
export function tokenize(redactor: Redactor, value: string, kind?: string): Tokenized {
  const v = value.trim();
  if (v === '') return { ok: false, why: 'empty value' };
  if (kind !== undefined && (RAW_KINDS as readonly string[]).includes(kind))
    return { ok: true, token: redactor.token(kind, v) };
  // With a kind, the value is read as that parameter's whole value (the named detectors: mrn, dob,
  // phone, name...); without, as free text (the kinds found anywhere: ssn, email, card).
  const out = redactor.redactText(v, kind ?? null).text;
  const m = TOKEN.exec(out);
  if (m === null)
    return {
      ok: false,
      why:
        kind === undefined
          ? 'not recognised as one PHI item: give --kind'
          : `not read as one ${kind} by the collector's detector`,
    };
  if (kind !== undefined && m[1] !== kind) return { ok: false, why: `read as ${m[1]}, not ${kind}` };
  return { ok: true, token: out };
}

/** The redactor for the collector's key: the key must be given, a random one would match nothing. */
export function tokenizeRedactor(opts: TokenizeOptions): Redactor {
  const given = opts.redactionKey ?? redactionKeyFromEnv();
  if ((given === undefined || given === '') && !opts.dev)
    throw ConfigInvalid(
      "tokens are keyed: set COLLECTOR_REDACTION_KEY to the collector's key (or --redaction-key; --dev for the built-in demo key)",
    );
  // the same choice and checks as parse and scan (a key of at least 16 characters)
  return redactorForKey(chooseRedactionKey(opts).key);
}

export function checkKind(kind: string | undefined): void {
  if (kind === undefined) return;
  const known = [...phiKinds(), ...RAW_KINDS];
  if (!known.includes(kind)) throw ConfigInvalid(`unknown --kind ${kind}; one of ${known.join(', ')}`);
}

/**
 * Tokens of `values` (or of stdin's lines when there are none), one line each on stdout, an empty
 * line for a value without one (the output stays aligned with the input). Returns how many failed.
 */
export async function runTokenize(values: string[], opts: TokenizeOptions): Promise<number> {
  checkKind(opts.kind);
  const redactor = tokenizeRedactor(opts);
  let input = values;
  if (input.length === 0) {
    if (process.stdin.isTTY)
      throw ConfigInvalid(
        'give the values as arguments, or one per line on stdin (kept out of shell history)',
      );
    let text = '';
    for await (const chunk of process.stdin) text += chunk;
    input = text.split('\n');
    if (input.at(-1) === '') input.pop();
  }
  let failed = 0;
  const out: string[] = [];
  input.forEach((value, i) => {
    const r = tokenize(redactor, value, opts.kind);
    if (r.ok) out.push(r.token);
    else {
      failed++;
      out.push('');
      // the value itself is not repeated: it is PHI, and stderr may be logged
      process.stderr.write(`leakwatch tokenize: value ${i + 1}: ${r.why}\n`);
    }
  });
  process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
  return failed;
}
