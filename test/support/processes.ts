// Spawns leakwatch services as real child processes (`node bin/leakwatch.js <service>`), keeps their
// logs in a file for the failure message, and stops them with SIGTERM as an operator would.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '#shared/paths.js';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  stop(timeoutMs?: number): Promise<number | null>;
  logs(): string;
}

export function startService(name: string, args: string[], env: Record<string, string>): ServiceProcess {
  const dir = join(PACKAGE_ROOT, '.local', 'test-logs');
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, `${name}-${process.pid}-${Date.now()}.log`);
  const out = createWriteStream(logFile);
  // LW_SERVICE_NODE_ARGS: extra node flags for the spawned services (e.g. --cpu-prof to profile a bench)
  const nodeArgs = (process.env['LW_SERVICE_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(PACKAGE_ROOT, 'bin/leakwatch.js'), ...args], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    name,
    child,
    logFile,
    exited,
    logs: () => readFileSync(logFile, 'utf8'),
    async stop(timeoutMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}
