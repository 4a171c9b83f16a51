// `leakwatch eval`: recall, false alerts and time to detect of `leakwatch scan` alerts against the
// labels `leakwatch simulate` wrote (services/eval).
import type { Command } from 'commander';

interface EvalCliOptions {
  labels: string;
  alerts: string;
  redactionKey?: string;
  json?: boolean;
  perScenario?: boolean;
  incidents?: string;
  events?: string;
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
    .option(
      '--incidents <file>',
      'also score incidents: JSON array of {incident_id, entities, actor?, disclosed} (what make demo assembles from the API)',
    )
    .option(
      '--events <file>',
      'with --incidents: the simulated log parsed by `leakwatch parse` (NDJSON), for the truth',
    )
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
        let incidents: import('../eval/incidents.js').IncidentReport | undefined;
        if (opts.incidents !== undefined) {
          if (opts.events === undefined) fail('--incidents needs --events (the parsed simulated log)');
          const { evaluateIncidents } = await import('../eval/incidents.js');
          const events = read(opts.events, 'events')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l));
          incidents = evaluateIncidents(
            labels,
            JSON.parse(read(opts.incidents, 'incidents')),
            events,
            redactorFor(opts.redactionKey),
          );
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(incidents ? { ...report, incidents } : report, null, 2)}\n`);
        } else {
          process.stdout.write(renderMarkdown(report, { perScenario: opts.perScenario === true }));
          if (incidents) {
            const { renderIncidentReport } = await import('../eval/incidents.js');
            process.stdout.write(`\n${renderIncidentReport(incidents)}`);
          }
        }
      } catch (err) {
        if (err instanceof LabelsInvalid) fail(`${opts.labels}: ${err.message}`);
        if (err instanceof AlertsInvalid) fail(`${opts.alerts}: ${err.message}`);
        throw err;
      }
    });
}
