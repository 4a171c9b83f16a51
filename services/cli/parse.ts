// `leakwatch parse FILE [--format F]`: normalised, redacted AccessEvents as NDJSON on stdout, and
// on stderr the summary line `parsed N, rejected M (reasons…)`. For checking a format and the
// redaction on a real log before pointing the collector at it.

import type { FormatChoice } from '../collector/index.js';
import {
  addTally,
  compileNormalizeOptions,
  emptyTally,
  formatTally,
  type Pipeline,
  redactorForKey,
  type Tally,
} from '../collector/index.js';
import { checkInputs, isDamagedInput } from './input-limits.js';
import { readLogOutcomes } from './log-input.js';
import { chooseRedactionKey } from './redaction-options.js';
import { stdoutClosed, writeLine } from './stdout.js';

export interface ParseCommandOptions {
  format: FormatChoice;
  logFormat?: string;
  tenant: string;
  redactionKey?: string;
  dev?: boolean;
  rejects?: boolean;
}

export async function runParse(
  files: string[],
  o: ParseCommandOptions,
): Promise<Tally & { damaged: string[] }> {
  await checkInputs(files);
  const { key, note } = chooseRedactionKey(o);
  if (note) process.stderr.write(`leakwatch parse: ${note}\n`);
  const normalize = compileNormalizeOptions();
  const redactor = redactorForKey(key, normalize.redactor);
  const total = emptyTally();
  const damaged: string[] = [];
  for (const path of files) {
    let pipeline: Pipeline | undefined;
    try {
      for await (const outcomes of readLogOutcomes(
        path,
        {
          format: o.format,
          formatOptions: o.logFormat ? { logFormat: o.logFormat } : undefined,
          tenant: o.tenant,
          redactor,
          normalize,
          onDetected: (p, id, score) =>
            process.stderr.write(`leakwatch parse: ${p}: format ${id} (auto, sniff ${score.toFixed(2)})\n`),
        },
        (p) => {
          pipeline = p;
        },
      )) {
        for (const x of outcomes) {
          if (x.kind === 'event') await writeLine(JSON.stringify(x.event));
          else if (x.kind === 'rejected' && o.rejects)
            process.stderr.write(`rejected ${path}@${x.position}: ${x.error.message}\n`);
        }
        if (stdoutClosed()) break; // the reader went away (`| head`): nothing more would be read
      }
    } catch (err) {
      if (!isDamagedInput(err)) throw err;
      damaged.push(err.message);
    }
    if (stdoutClosed()) {
      process.stderr.write(
        `leakwatch parse: stopped reading ${path}: stdout was closed by its reader, after ${(pipeline?.tally.lines ?? 0) + total.lines} lines\n`,
      );
      return { ...total, damaged };
    }
    if (pipeline) {
      if (files.length > 1) process.stderr.write(`${path}: ${formatTally(pipeline.tally)}\n`);
      addTally(total, pipeline.tally);
    }
  }
  process.stderr.write(
    `${formatTally(total)}${damaged.length ? `; ${damaged.length} input(s) damaged or binary` : ''}\n`,
  );
  for (const d of damaged) process.stderr.write(`leakwatch parse: ${d}\n`);
  return { ...total, damaged };
}
