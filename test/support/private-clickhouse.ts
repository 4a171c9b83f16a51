// A ClickHouse server of the test's own (deploy/local/up.sh with other ports and run directory), for
// fault tests that stop it: the shared one other suites use is never touched. Stopped by its pid
// file through deploy/local/down.sh, never by name.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { freePort } from './processes.js';

export interface PrivateClickHouse {
  url: string;
  /** Stops the server (SIGTERM by pid; data kept). */
  stop(): void;
  /** Starts it again on the same ports and data. */
  start(): void;
  /** Stops it and removes its data. */
  destroy(): void;
}

export async function startPrivateClickHouse(): Promise<PrivateClickHouse> {
  const runDir = mkdtempSync(join(tmpdir(), 'lw-private-ch-'));
  const env = {
    ...process.env,
    LW_RUN_DIR: runDir,
    LW_CLICKHOUSE_HTTP_PORT: String(await freePort()),
    LW_CLICKHOUSE_TCP_PORT: String(await freePort()),
  };
  const run = (script: string) => {
    const r = spawnSync('bash', [join(PACKAGE_ROOT, 'deploy/local', script), 'clickhouse'], {
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0)
      throw new Error(`${script} clickhouse failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  };
  run('up.sh');
  return {
    url: `http://127.0.0.1:${env.LW_CLICKHOUSE_HTTP_PORT}`,
    stop: () => run('down.sh'),
    start: () => run('up.sh'),
    destroy: () => {
      try {
        run('down.sh');
      } finally {
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
}
