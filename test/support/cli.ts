/** Runs the real `council` command as a child process, as a user would. */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { track } from './children.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = resolve(ROOT, 'bin/council.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function council(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = track(
      spawn(process.execPath, [BIN, ...args], {
        cwd: ROOT,
        // A clean environment: nothing from the developer's shell (keys, DATABASE_URL) leaks into the test;
        // TMPDIR is the test file's own temporary folder (temp-root.ts).
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TMPDIR: tmpdir(), LOG_LEVEL: 'warn', COUNCIL_HTTP_PORT: '0', ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
