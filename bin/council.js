#!/usr/bin/env node
// The `council` command. Installed, it runs the compiled JavaScript in dist/ (`npm run build`, run by
// `npm install` through `prepare`). In a development checkout whose sources are newer than dist/, or
// that was never built, it runs the TypeScript sources through tsx (a dev dependency) instead, so an
// edit takes effect without a build and tests never run a stale dist/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'cli.js');
const source = join(root, 'src', 'cli.ts');

/** The newest modification time under a folder, in ms. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const stamp = join(root, 'dist', '.built');
const fresh = existsSync(stamp) && (!existsSync(source) || newest(join(root, 'src')) <= statSync(stamp).mtimeMs);

if (fresh) {
  await import(built);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      existsSync(built)
        ? 'council: dist/ is older than src/ and tsx is not installed: run `npm run build`\n'
        : 'council: not built: run `npm ci && npm run build` (then `npm prune --omit=dev` for production)\n',
    );
    process.exit(2);
  }
  register();
  await import(source);
}
