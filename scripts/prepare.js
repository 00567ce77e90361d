// `prepare` (run by `npm install` and `npm ci`): compile src/ to dist/ when TypeScript is installed.
// A production install (`--omit=dev`) has no compiler: it uses the dist/ built before the prune
// (`npm ci && npm run build && npm prune --omit=dev`, or the Dockerfile's build stage), and must not fail.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let hasCompiler = true;
try {
  require.resolve('typescript/package.json');
} catch {
  hasCompiler = false;
}
if (hasCompiler) {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
} else if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
  process.stderr.write('trading-council: no TypeScript compiler here (a production install) and no dist/: build first with `npm ci && npm run build`, then `npm prune --omit=dev`.\n');
}
