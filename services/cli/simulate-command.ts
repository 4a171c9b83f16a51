// `leakwatch simulate`: writes a mixed log with labelled leak scenarios (services/simulate).
import type { Command } from 'commander';

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
      'log family: web (nginx, sim.log), s3 (S3 server access log, s3.log), cloudtrail (CloudTrail S3 data events, cloudtrail.log), mysql (MySQL general query log, mysql.log)',
      'web',
    )
    .action(async (opts: SimulateCliOptions) => {
      if (opts.family === 's3' || opts.family === 'cloudtrail')
        return simulateStorageFamily(opts, opts.family);
      if (opts.family === 'mysql') return simulateDbFamily(opts);
      if (opts.family !== 'web')
        fail(`--family must be web, s3, cloudtrail or mysql, got ${JSON.stringify(opts.family)}`);
      const { writeSimulation, SimulateInvalid } = await import('../simulate/simulate.js');
      const { CLASS_IDS } = await import('../simulate/scenarios/index.js');
      const seed = Number(opts.seed);
      if (!Number.isSafeInteger(seed)) fail(`--seed must be an integer, got ${JSON.stringify(opts.seed)}`);
      let start: number | undefined;
      if (opts.start !== undefined) {
        start = Date.parse(opts.start);
        if (!Number.isFinite(start))
          fail(`--start must be an ISO date-time, got ${JSON.stringify(opts.start)}`);
      }
      let hours: number | undefined;
      if (opts.hours !== undefined) {
        hours = Number(opts.hours);
        if (!(hours > 0 && hours <= 24 * 60))
          fail(`--hours must be a number of hours > 0, got ${JSON.stringify(opts.hours)}`);
      }
      const classes = opts.classes
        ?.split(',')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      const unknown = (classes ?? []).filter((c) => !CLASS_IDS.includes(c));
      if (unknown.length > 0) fail(`unknown class ${unknown.join(', ')}; known: ${CLASS_IDS.join(', ')}`);
      try {
        const w = writeSimulation(opts.out, {
          seed,
          ...(start !== undefined ? { start } : {}),
          ...(hours !== undefined ? { hours } : {}),
          ...(opts.background !== undefined ? { background: opts.background } : {}),
          ...(classes !== undefined && classes.length > 0 ? { classes } : {}),
          ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
        });
        const h = w.simulation.header;
        const attack = h.total_lines - h.background_lines;
        console.error(
          `wrote ${w.logPath}: ${h.total_lines} lines (${h.background_lines} background, ${attack} attack in ${w.simulation.scenarios.length} scenarios)` +
            (w.simulation.backgroundSkipped > 0
              ? `; ${w.simulation.backgroundSkipped} unparsable background lines skipped`
              : ''),
        );
        console.error(`wrote ${w.labelsPath}`);
        console.error('next:');
        console.error(`  ${h.scan_hint} > ${opts.out}/alerts.ndjson`);
        console.error(`  leakwatch eval --labels ${w.labelsPath} --alerts ${opts.out}/alerts.ndjson`);
      } catch (err) {
        if (err instanceof SimulateInvalid) fail(err.message);
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'ENOTDIR')
          fail(e.message);
        throw err;
      }
    });
}

// ---- object-store families (issue 15) ----

async function simulateStorageFamily(opts: SimulateCliOptions, family: 's3' | 'cloudtrail'): Promise<void> {
  const { SimulateInvalid } = await import('../simulate/simulate.js');
  const { writeStorageSimulation } = await import('../simulate/storage.js');
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
  try {
    const w = writeStorageSimulation(
      opts.out,
      {
        seed,
        ...(start !== undefined ? { start } : {}),
        ...(hours !== undefined ? { hours } : {}),
        ...(opts.background !== undefined ? { background: opts.background } : {}),
        ...(classes !== undefined && classes.length > 0 ? { classes } : {}),
        ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
      },
      family,
    );
    const h = w.simulation.header;
    console.error(
      `wrote ${w.logPath}: ${h.total_lines} lines (${h.background_lines} background, ${h.total_lines - h.background_lines} attack in ${w.simulation.scenarios.length} scenarios)`,
    );
    console.error(`wrote ${w.labelsPath}`);
    console.error('next:');
    console.error(`  ${h.scan_hint} > ${opts.out}/${family}.alerts.ndjson`);
    console.error(`  leakwatch eval --labels ${w.labelsPath} --alerts ${opts.out}/${family}.alerts.ndjson`);
  } catch (err) {
    if (err instanceof SimulateInvalid) fail(err.message);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR' || e.code === 'ENOTDIR')
      fail(e.message);
    throw err;
  }
}

async function simulateDbFamily(opts: SimulateCliOptions): Promise<void> {
  const { SimulateInvalid } = await import('../simulate/simulate.js');
  const { writeDbSimulation } = await import('../simulate/db-log.js');
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
  try {
    const w = writeDbSimulation(opts.out, {
      seed,
      ...(start !== undefined ? { start } : {}),
      ...(hours !== undefined ? { hours } : {}),
      ...(opts.background !== undefined ? { background: opts.background } : {}),
      ...(classes !== undefined && classes.length > 0 ? { classes } : {}),
      ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
    });
    const h = w.simulation.header;
    console.error(
      `wrote ${w.logPath}: ${h.total_lines} lines (${h.background_lines} background, ${w.simulation.attackLines} attack in ${w.simulation.scenarios.length} scenarios)`,
    );
    console.error(`wrote ${w.labelsPath}`);
    console.error('next:');
    console.error(`  ${h.scan_hint} > ${opts.out}/mysql.alerts.ndjson`);
    console.error(`  leakwatch eval --labels ${w.labelsPath} --alerts ${opts.out}/mysql.alerts.ndjson`);
  } catch (err) {
    if (err instanceof SimulateInvalid) fail(err.message);
    throw err;
  }
}
