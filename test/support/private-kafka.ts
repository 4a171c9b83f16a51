// A Kafka broker of the test's own (deploy/local/up.sh kafka on free ports, in a temporary run
// directory), for tests that kill the broker: the shared one on 19092 is used by others and must never
// be stopped. Commands run asynchronously so the test's own collector and writer keep running while
// the broker starts. Whatever happens, stop() (or the exit hook, as a last resort) ends the broker by
// the pid up.sh recorded, never by name.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '#shared/paths.js';
import { freePort } from './processes.js';

export interface PrivateKafka {
  brokers: string[];
  /** (Re)starts the broker and waits until it answers Metadata (up.sh does both). */
  start(): Promise<void>;
  /** SIGKILL: no clean shutdown, as when the host dies under it. */
  kill(): Promise<void>;
  /** Stops the broker (down.sh: SIGTERM, SIGKILL after 30 s) and removes its directory. */
  stop(): Promise<void>;
}

export async function privateKafka(): Promise<PrivateKafka> {
  const runDir = mkdtempSync(join(tmpdir(), 'lw-private-kafka-'));
  const port = await freePort();
  let controller = await freePort();
  while (controller === port) controller = await freePort();
  const env = {
    ...process.env,
    LW_RUN_DIR: runDir,
    LW_KAFKA_PORT: String(port),
    LW_KAFKA_CONTROLLER_PORT: String(controller),
  };
  const pidFile = join(runDir, 'kafka', 'broker.pid');
  const pid = (): number | null => {
    try {
      const n = Number(readFileSync(pidFile, 'utf8').trim());
      return Number.isSafeInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  };
  const script = (name: string) =>
    new Promise<void>((resolve, reject) => {
      execFile(
        'bash',
        [join(PACKAGE_ROOT, 'deploy/local', name), 'kafka'],
        { env, timeout: 150_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${name} kafka failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
      );
    });
  // Last resort if the test process exits without stop() (an uncaught error): never leave a JVM behind.
  const onExit = () => {
    const p = pid();
    // only the broker of this run dir (its command line names our config): never a reused pid
    if (p !== null && cmdline(p).includes(runDir)) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onExit);
  let stopped = false;
  return {
    brokers: [`127.0.0.1:${port}`],
    start: () => script('up.sh'),
    async kill() {
      const p = pid();
      if (p === null || !cmdline(p).includes(runDir)) throw new Error(`no broker of ours in ${pidFile}`);
      process.kill(p, 'SIGKILL');
      // wait until it is gone, so a start() after this really starts a new process
      while (isAlive(p)) await new Promise((r) => setTimeout(r, 50));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await script('down.sh');
      } finally {
        onExit(); // down.sh only signals a pid whose command line it recognises; make sure
        process.off('exit', onExit);
        rmSync(runDir, { recursive: true, force: true });
      }
    },
  };
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // a zombie passes kill(0) until reaped; up.sh's broker is not our child, so read its state
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
