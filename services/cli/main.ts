// `leakwatch <command>`: every service and tool behind one bin. Wiring only: config -> run.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '#shared/config.js';
import { configFileFromEnv, sensitiveKindsFromEnv } from '#shared/env.js';
import { isLeakwatchError } from '#shared/errors.js';
import { FORMAT_IDS } from '#shared/log-formats.js';
import { registerEvalCommand } from './eval-command.js';
import { isFileError } from './file-errors.js';
import type { ParseCommandOptions } from './parse.js';
import type { ScanCommandOptions } from './scan.js';
import { registerSimulateCommand } from './simulate-command.js';

/** Runs a file command; a configuration or input problem is a message and exit code 2, not a stack. */
async function cliErrors(name: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (isLeakwatchError(err) || isFileError(err)) {
      console.error(`leakwatch ${name}: ${(err as Error).message}`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

/** The whole configuration, loaded on first use: TypeBox and YAML cost file commands ~0.15 s of start. */
async function config(overrides?: Record<string, unknown>): Promise<Readonly<Config>> {
  const { loadConfig } = await import('#shared/config.js');
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
    .addOption(
      new Option('--format <format>', 'log format (default: COLLECTOR_FORMAT, nginx)').choices([
        'auto',
        ...FORMAT_IDS,
      ]),
    )
    .option('--log-format <string>', 'nginx log_format / Apache LogFormat string (formats nginx, apache)')
    .option('--no-follow', 'read the files once and exit instead of following them')
    .option('--dev', 'allow a built-in redaction key (never in production)')
    .action(
      async (
        files: string[],
        opts: { format?: string; logFormat?: string; follow: boolean; dev?: boolean },
      ) => {
        const { runCollector } = await import('../collector/index.js');
        const collector: Record<string, unknown> = { follow: opts.follow };
        if (files.length) collector['files'] = files;
        if (opts.format) collector['format'] = opts.format;
        if (opts.logFormat) collector['logFormat'] = opts.logFormat;
        if (opts.dev) collector['dev'] = true;
        await runCollector(await config({ collector }));
      },
    );

  program
    .command('detector')
    .description('consume AccessEvents, run the detections, publish Alerts')
    .action(async () => {
      const { runDetector } = await import('../detector/index.js');
      await runDetector(await config());
    });

  program
    .command('archiver')
    .description('write AccessEvents and Alerts from Kafka to ClickHouse')
    .action(async () => {
      const { runArchiver } = await import('../archiver/main.js');
      await runArchiver(await config());
    });

  // ---- incidents ----
  program
    .command('incidents')
    .description('group alerts into incidents (one per actor within INCIDENTS_GROUPING_GAP_MS) in ClickHouse')
    .action(async () => {
      const { runIncidents } = await import('../incidents/main.js');
      await runIncidents(await config());
    });
  // ---- end incidents ----
  // ---- notifier (issue 14) ----
  program
    .command('notifier')
    .description(
      'page on-call: alerts and status changes from Kafka to Alertmanager, PagerDuty, webhooks, Slack',
    )
    .action(async () => {
      const { runNotifier } = await import('../notifier/main.js');
      await runNotifier(await config());
    });
  // ---- end notifier ----

  program
    .command('api')
    .description('serve alerts and access history over HTTP (Fastify)')
    .action(async () => {
      const { runApi } = await import('../api/main.js');
      await runApi(await config());
    });

  // ---- API security (issue 13) ----
  program
    .command('openapi')
    .description("print the API's OpenAPI document (JSON) without any store running")
    .action(async () => {
      const { openapiDocument } = await import('./openapi.js');
      process.stdout.write(`${JSON.stringify(await openapiDocument(await config()), null, 2)}\n`);
    });

  program
    .command('migrate')
    .description('apply the ClickHouse migrations in schemas/clickhouse (idempotent)')
    .action(async () => {
      const { runMigrate } = await import('./migrate.js');
      process.exitCode = await runMigrate(await config());
    });

  program
    .command('baselines')
    .description(
      'compute baselines from the rollups once, or with --schedule every BASELINES_INTERVAL_MS as a service',
    )
    .option(
      '--schedule',
      'keep running: one run soon after start, then every BASELINES_INTERVAL_MS (ops port BASELINES_HTTP_PORT)',
    )
    .action(async (opts: { schedule?: boolean }) => {
      const { runBaselinesOnce, runBaselinesService } = await import('../baselines/main.js');
      if (opts.schedule) await runBaselinesService(await config());
      else process.exitCode = await runBaselinesOnce(await config());
    });

  // The same bounds as LEAKWATCH_TENANT (config.ts): an empty tenant would file alerts under ''.
  const tenantOption = (what: string) =>
    new Option('--tenant <name>', what).default('default').argParser((v: string) => {
      if (v.length === 0 || v.length > 200)
        throw new InvalidArgumentError('a tenant is 1 to 200 characters.');
      return v;
    });

  const formatOption = () =>
    new Option('--format <format>', 'log format, or auto (detected from the first lines)')
      .choices(['auto', ...FORMAT_IDS])
      .default('auto');

  program
    .command('parse')
    .description('print the normalised, redacted AccessEvents of log files as NDJSON; summary on stderr')
    .argument('<files...>', 'log files (plain or .gz), or - for stdin')
    .addOption(formatOption())
    .option('--log-format <string>', 'nginx log_format / Apache LogFormat string (formats nginx, apache)')
    .addOption(tenantOption('tenant written into the events'))
    .option('--redaction-key <key>', 'PHI tokenising key (default: COLLECTOR_REDACTION_KEY, else random)')
    .option('--dev', 'use the built-in (not secret) redaction key')
    .option('--rejects', 'print each rejected line reason on stderr')
    .action(async (files: string[], opts: ParseCommandOptions) => {
      const { runParse } = await import('./parse.js');
      const { EXIT_DAMAGED_INPUT } = await import('./input-limits.js');
      await cliErrors('parse', async () => {
        if ((await runParse(files, opts)).damaged.length) process.exitCode = EXIT_DAMAGED_INPUT;
      });
    });

  program
    .command('scan')
    .description('run the detections over log files; alerts as NDJSON on stdout, summary on stderr')
    .argument('<files...>', 'log files (plain or .gz), or - for stdin, in time order')
    .addOption(formatOption())
    .option('--log-format <string>', 'nginx log_format / Apache LogFormat string (formats nginx, apache)')
    .option('--config <rules.yaml>', 'rules file (thresholds, allow-lists, severities)')
    .addOption(tenantOption('tenant written into the alerts'))
    .option('--redaction-key <key>', 'PHI tokenising key (default: COLLECTOR_REDACTION_KEY, else random)')
    .option('--dev', 'use the built-in (not secret) redaction key')
    .option('--no-progress', 'no progress bar even on a terminal')
    .option(
      '--max-line-bytes <n>',
      'longest line read; longer ones are rejected (line_too_long) and counted (default 64 MiB)',
    )
    .action(async (files: string[], opts: ScanCommandOptions) => {
      const { runScan, EXIT_DAMAGED_INPUT } = await import('./scan.js');
      await cliErrors('scan', async () => {
        // LEAKWATCH_SENSITIVE_KINDS alone, unless a config file is named (it may set them too)
        const sensitiveKinds = configFileFromEnv()
          ? (await config()).detection.sensitiveKinds
          : sensitiveKindsFromEnv();
        if ((await runScan(files, { ...opts, sensitiveKinds })).damaged.length)
          process.exitCode = EXIT_DAMAGED_INPUT;
      });
    });

  registerSimulateCommand(program);
  registerEvalCommand(program);

  program
    .command('rules')
    .description('print every rule with its default settings, as a rules.yaml to edit')
    .action(async () => {
      const { defaultRulesYaml } = await import('../detector/index.js');
      process.stdout.write(defaultRulesYaml());
    });

  program
    .command('tokenize')
    .description(
      'print the token the collector stores for a PHI value (an e-mail, MRN, phone...), to look up who saw it',
    )
    .argument('[values...]', 'values; none: one per line on stdin (kept out of shell history)')
    .option(
      '--kind <kind>',
      'what the values are (mrn, email, phone, dob, ssn, card, name, icd10, session, api_key)',
    )
    .option('--redaction-key <key>', "the collector's key (default: COLLECTOR_REDACTION_KEY)")
    .option('--dev', 'use the built-in (not secret) demo key')
    .action(async (values: string[], opts: import('./tokenize.js').TokenizeOptions) => {
      const { runTokenize } = await import('./tokenize.js');
      await cliErrors('tokenize', async () => {
        if ((await runTokenize(values, opts)) > 0) process.exitCode = 1;
      });
    });

  const token = program.command('token').description('API tokens (API_TOKENS holds only their SHA-256)');
  token
    .command('create')
    .description('make a new API token: prints the token once, and the API_TOKENS entry to add')
    .requiredOption('--name <name>', 'who or what uses it (recorded as the actor of its changes)')
    .requiredOption('--role <role>', 'viewer, responder or admin')
    .action(async (opts: { name: string; role: string }) => {
      const { createToken } = await import('./token.js');
      try {
        const t = createToken(opts.name, opts.role);
        process.stdout.write(
          `token (shown once; give it to ${opts.name}, it is not stored anywhere):\n  ${t.token}\n` +
            `add this entry to API_TOKENS (comma-separated):\n  ${t.entry}\n`,
        );
      } catch (err) {
        console.error(`leakwatch token create: ${(err as Error).message}`);
        process.exitCode = 2;
      }
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
