#!/usr/bin/env node
// The `council` command. Node 22.18 or newer runs the TypeScript sources as they are: it strips the
// types (the sources use erasable syntax only, `erasableSyntaxOnly` in tsconfig.json), so a production
// install (`npm ci --omit=dev`) needs no compiler, no tsx and no build step.
// dist/ is an optional speed-up (`npm run build`, run by `prepare` when TypeScript is installed): when it
// is at least as new as every file under src/, the compiled JavaScript runs instead (about 60 ms less
// CPU per start; no stripping). On a Node without type stripping (older than 22.18, or run with
// --no-experimental-strip-types) a development checkout falls back to tsx, a dev dependency.
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
} else if (process.features.typescript) {
  // 'strip' by default from Node 22.18 (no ExperimentalWarning there; the Node 23.6-24.2 releases that
  // still print one print it on stderr, never on the stdout that `--json` owns).
  await import(source);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      `council: Node ${process.versions.node} cannot run the TypeScript sources: use Node 22.18 or newer (type stripping), ` +
        'or build first with `npm ci && npm run build`\n',
    );
    process.exit(2);
  }
  register();
  await import(source);
}
