// `leakwatch <command>`: every service and tool behind one bin. Wiring only: config -> run.
import { Command, Option } from 'commander';
import { type Config, loadConfig } from '#shared/config.js';
import { isLeakwatchError } from '#shared/errors.js';

function config(overrides?: Record<string, unknown>): Readonly<Config> {
  try {
    return loadConfig(overrides ? { overrides } : {});
  } catch (err) {
    if (isLeakwatchError(err) && err.code === 'LW_ERR_CONFIG_INVALID') {
      const problems = (err.details?.['problems'] as string[] | undefined) ?? [err.message];
      console.error(`leakwatch: invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
      process.exit(2);
    }
    throw err;
  }
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('leakwatch')
    .description(
      'Detects patient-data leaks (bulk egress, ID enumeration) in the access logs a shop already writes.',
    )
    .showHelpAfterError()
    .addHelpText(
      'after',
      '\nConfiguration comes from environment variables (KAFKA_BROKERS, CLICKHOUSE_URL, LOG_LEVEL, ...)\nand an optional YAML file named by LEAKWATCH_CONFIG. See README.md.',
    );

  program
    .command('collector')
    .description('tail access logs, parse and redact them, publish AccessEvents to Kafka')
    .argument('[files...]', 'log files to read (default: COLLECTOR_FILES)')
    .addOption(new Option('--format <format>', 'log format').choices(['nginx', 'apache']))
    .option('--no-follow', 'read the files once and exit instead of following them')
    .option('--dev', 'allow a built-in redaction key (never in production)')
    .action(async (files: string[], opts: { format?: string; follow: boolean; dev?: boolean }) => {
      const { runCollector } = await import('../collector/main.js');
      const collector: Record<string, unknown> = { follow: opts.follow };
      if (files.length) collector['files'] = files;
      if (opts.format) collector['format'] = opts.format;
      if (opts.dev) collector['dev'] = true;
      await runCollector(config({ collector }));
    });

  program
    .command('detector')
    .description('consume AccessEvents, run the detections, publish Alerts')
    .action(async () => {
      const { runDetector } = await import('../detector/main.js');
      await runDetector(config());
    });

  program
    .command('archiver')
    .description('write AccessEvents and Alerts from Kafka to ClickHouse')
    .action(async () => {
      const { runArchiver } = await import('../archiver/main.js');
      await runArchiver(config());
    });

  program
    .command('api')
    .description('serve alerts and access history over HTTP (Fastify)')
    .action(async () => {
      const { runApi } = await import('../api/main.js');
      await runApi(config());
    });

  program
    .command('migrate')
    .description('apply the ClickHouse migrations in schemas/clickhouse (idempotent)')
    .action(async () => {
      const { runMigrate } = await import('./migrate.js');
      process.exitCode = await runMigrate(config());
    });

  program
    .command('sql-catalog', { hidden: true })
    .description('print every migration statement and service query as JSON (for the compatibility test)')
    .option('--database <name>', 'database name to render', 'leakwatch')
    .action(async (opts: { database: string }) => {
      const { sqlCatalog } = await import('./sql-catalog.js');
      process.stdout.write(`${JSON.stringify(sqlCatalog(opts.database), null, 1)}\n`);
    });

  await program.parseAsync(argv);
}
