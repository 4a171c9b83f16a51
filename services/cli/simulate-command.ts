// `leakwatch simulate`: writes a mixed log with labelled leak scenarios (services/simulate).
import type { Command } from 'commander';
import type { SimulateOptions } from '../simulate/simulate.js';
import { isFileError } from './file-errors.js';

interface SimulateCliOptions {
  out: string;
  background?: string;
  start?: string;
  hours?: string;
  seed: string;
  classes?: string;
  tenant?: string;
  family: string;
}

function fail(msg: string): never {
  console.error(`leakwatch simulate: ${msg}`);
  process.exit(2);
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description(
      'write a log with controlled leak simulations (every detection, several intensities) and its labels',
    )
    .requiredOption('--out <dir>', 'directory for sim.log and sim.labels.ndjson')
    .option(
      '--background <file>',
      'real nginx/Apache combined log (.gz ok) to use as background (default: generated)',
    )
    .option(
      '--start <iso>',
      'start time (default 2025-11-03T00:00:00Z; with --background: shift the log to start here)',
    )
    .option('--hours <n>', 'hours to simulate (default 24; with --background: keep the first N hours)')
    .option('--seed <n>', 'random seed: the same seed gives the same files', '1')
    .option('--classes <list>', 'comma-separated scenario classes (rule ids) to include (default: all)')
    .option('--tenant <name>', 'tenant name recorded in the labels')
    .option(
      '--family <family>',
      'log family: web (nginx, sim.log), s3 (S3 server access log, s3.log), cloudtrail (CloudTrail S3 data events, cloudtrail.log), mysql (MySQL general query log, mysql.log), mysql-slow (MySQL slow query log with row counts, mysql-slow.log)',
      'web',
    )
    .action(async (opts: SimulateCliOptions) => {
      if (opts.family === 's3' || opts.family === 'cloudtrail')
        return simulateStorageFamily(opts, opts.family);
      if (opts.family === 'mysql') return simulateDbFamily(opts);
      if (opts.family === 'mysql-slow') return simulateDbFamily(opts, 'slow');
      if (opts.family !== 'web')
        fail(`--family must be web, s3, cloudtrail, mysql or mysql-slow, got ${JSON.stringify(opts.family)}`);
      const { writeSimulation } = await import('../simulate/simulate.js');
      const { CLASS_IDS } = await import('../simulate/scenarios/index.js');
      const o = simulateOptions(opts);
      const unknown = (o.classes ?? []).filter((c) => !CLASS_IDS.includes(c));
      if (unknown.length > 0) fail(`unknown class ${unknown.join(', ')}; known: ${CLASS_IDS.join(', ')}`);
      await reportWritten(opts, 'alerts.ndjson', () => {
        const w = writeSimulation(opts.out, o);
        const skipped = w.simulation.backgroundSkipped;
        return {
          ...w,
          scenarios: w.simulation.scenarios.length,
          attackLines: w.simulation.header.total_lines - w.simulation.header.background_lines,
          note: skipped > 0 ? `; ${skipped} unparsable background lines skipped` : '',
        };
      });
    });
}

/** The options every family shares, checked: one line and exit 2 on a bad value. */
function simulateOptions(opts: SimulateCliOptions): SimulateOptions {
  const seed = Number(opts.seed);
  if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, got ${JSON.stringify(opts.seed)}`);
  const start = opts.start === undefined ? undefined : Date.parse(opts.start);
  if (start !== undefined && !Number.isFinite(start))
    fail(`--start must be an ISO date-time, got ${JSON.stringify(opts.start)}`);
  const hours = opts.hours === undefined ? undefined : Number(opts.hours);
  if (hours !== undefined && !(hours > 0 && hours <= 24 * 60))
    fail(`--hours must be a number of hours > 0, got ${JSON.stringify(opts.hours)}`);
  const classes = opts.classes
    ?.split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  return {
    seed,
    ...(start !== undefined ? { start } : {}),
    ...(hours !== undefined ? { hours } : {}),
    ...(opts.background !== undefined ? { background: opts.background } : {}),
    ...(classes !== undefined && classes.length > 0 ? { classes } : {}),
    ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
  };
}

interface Written {
  logPath: string;
  labelsPath: string;
  simulation: { header: { total_lines: number; background_lines: number; scan_hint: string } };
  scenarios: number;
  attackLines: number;
  note?: string;
}

/**
 * Writes a family's simulation and says what was written and what to run next; a bad option or an
 * output directory that cannot be written is one line and exit 2.
 */
async function reportWritten(
  opts: SimulateCliOptions,
  alertsFile: string,
  write: () => Written,
): Promise<void> {
  const { SimulateInvalid } = await import('../simulate/simulate.js');
  try {
    const w = write();
    const h = w.simulation.header;
    const alerts = `${opts.out}/${alertsFile}`;
    console.error(
      `wrote ${w.logPath}: ${h.total_lines} lines (${h.background_lines} background, ${w.attackLines} attack in ${w.scenarios} scenarios)${w.note ?? ''}`,
    );
    console.error(`wrote ${w.labelsPath}`);
    console.error('next:');
    console.error(`  ${h.scan_hint} > ${alerts}`);
    console.error(`  leakwatch eval --labels ${w.labelsPath} --alerts ${alerts}`);
  } catch (err) {
    if (err instanceof SimulateInvalid) fail(err.message);
    if (isFileError(err)) fail(err.message);
    throw err;
  }
}

// ---- object-store and database families (issue 15) ----

async function simulateStorageFamily(opts: SimulateCliOptions, family: 's3' | 'cloudtrail'): Promise<void> {
  const { writeStorageSimulation } = await import('../simulate/storage.js');
  const o = simulateOptions(opts);
  await reportWritten(opts, `${family}.alerts.ndjson`, () => {
    const w = writeStorageSimulation(opts.out, o, family);
    const h = w.simulation.header;
    return {
      ...w,
      scenarios: w.simulation.scenarios.length,
      attackLines: h.total_lines - h.background_lines,
    };
  });
}

async function simulateDbFamily(
  opts: SimulateCliOptions,
  kind: 'general' | 'slow' = 'general',
): Promise<void> {
  const { writeDbSimulation } = await import('../simulate/db-log.js');
  const o = simulateOptions(opts);
  await reportWritten(opts, kind === 'slow' ? 'mysql-slow.alerts.ndjson' : 'mysql.alerts.ndjson', () => {
    const w = writeDbSimulation(opts.out, o, kind);
    return { ...w, scenarios: w.simulation.scenarios.length, attackLines: w.simulation.attackLines };
  });
}
