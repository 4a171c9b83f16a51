// `leakwatch eval`: recall, false alerts and time to detect of `leakwatch scan` alerts against the
// labels `leakwatch simulate` wrote (services/eval).
import type { Command } from 'commander';

interface EvalCliOptions {
  labels: string;
  alerts: string;
  redactionKey?: string;
  json?: boolean;
  perScenario?: boolean;
}

function fail(msg: string): never {
  console.error(`leakwatch eval: ${msg}`);
  process.exit(2);
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('score scan alerts against simulation labels: recall, false alerts, median time to detect')
    .requiredOption('--labels <file>', 'labels NDJSON written by leakwatch simulate')
    .requiredOption('--alerts <file>', 'alerts NDJSON printed by leakwatch scan')
    .option(
      '--redaction-key <key>',
      'the redaction key scan used (default: COLLECTOR_REDACTION_KEY, else the --dev key)',
    )
    .option('--json', 'machine-readable output')
    .option('--per-scenario', 'also list every scenario (Markdown output)')
    .action(async (opts: EvalCliOptions) => {
      const { readFileSync } = await import('node:fs');
      const { parseLabels, LabelsInvalid } = await import('../simulate/labels.js');
      const { AlertsInvalid, evaluate, parseAlerts, redactorFor, renderMarkdown } = await import(
        '../eval/eval.js'
      );
      const read = (path: string, what: string): string => {
        try {
          return readFileSync(path, 'utf8');
        } catch (err) {
          return fail(`cannot read ${what} ${path}: ${(err as Error).message}`);
        }
      };
      const labelsText = read(opts.labels, 'labels');
      const alertsText = read(opts.alerts, 'alerts');
      if (opts.redactionKey !== undefined && opts.redactionKey.length < 16) {
        fail('--redaction-key must be at least 16 characters (as the collector requires)');
      }
      try {
        const labels = parseLabels(labelsText);
        const alerts = parseAlerts(alertsText);
        const report = evaluate(labels, alerts, redactorFor(opts.redactionKey));
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(report, null, 2)}\n`
            : renderMarkdown(report, { perScenario: opts.perScenario === true }),
        );
      } catch (err) {
        if (err instanceof LabelsInvalid) fail(`${opts.labels}: ${err.message}`);
        if (err instanceof AlertsInvalid) fail(`${opts.alerts}: ${err.message}`);
        throw err;
      }
    });
}
