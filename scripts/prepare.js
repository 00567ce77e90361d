// `prepare` (run by `npm install` and `npm ci`): compile src/ to dist/ when TypeScript is installed, an
// optional speed-up that bin/council.js uses while it is as new as src/. A production install
// (`--omit=dev`) has no compiler and needs none: Node 22.18+ runs the sources by stripping their types.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let hasCompiler = true;
try {
  require.resolve('typescript/package.json');
} catch {
  hasCompiler = false;
}
if (hasCompiler) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
