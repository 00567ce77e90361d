/**
 * The Dockerfile's steps where no Docker engine runs: from a clean clone of the committed tree, the build
 * stage (the full install, whose `prepare` compiles src/ to dist/) and the runtime stage (package files,
 * `npm ci --omit=dev`, then bin/, src/, the build stage's dist/ and the data files), started as a non-root
 * user. Slow and needs the npm registry, so it runs only with COUNCIL_DEPLOY_TEST=1 (.ci/run sets it), on a
 * Node that strips types (the fallback when dist/ is stale).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { track } from '../support/children.ts';
import { ROOT } from '../support/cli.ts';

const enabled = process.env.COUNCIL_DEPLOY_TEST === '1' && (process.features as { typescript?: string | false }).typescript === 'strip';
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;

let work: string;
let app: string;
let data: string;
/** The node the image's user runs: this one, or a copy it can reach when this one lives under root's home. */
let node = process.execPath;

const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 900_000 });

/** The runtime image's command line: `node bin/council.js ...` as the image's unprivileged user. */
function council(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(node, ['bin/council.js', ...args], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', HOME: data, NODE_ENV: 'production', COUNCIL_DATA_DIR: data, LOG_LEVEL: 'warn', ...env },
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A process that cannot start (EACCES, ENOENT) answers at once with the reason, not with a timeout.
    child.on('error', (e) => done({ code: null, stdout, stderr: `${stderr}${e.message}` }));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.skipIf(!enabled)("The Dockerfile's steps in a clean clone", () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'council-image-'));
    chmodSync(work, 0o755); // as /app in the image: readable by the unprivileged user
    const clone = join(work, 'clone');
    run('git', ['clone', '--quiet', '--no-local', ROOT, clone], work);
    // The build stage: what it copies, then the full install, whose `prepare` compiles src/ to dist/.
    const build = join(work, 'build');
    mkdirSync(join(build, 'scripts'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/prepare.js']) cpSync(join(clone, f), join(build, f));
    cpSync(join(clone, 'src'), join(build, 'src'), { recursive: true, preserveTimestamps: true });
    run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], build);
    // The runtime stage: only what the Dockerfile copies, in its order (`prepare` runs and finds no compiler).
    app = join(work, 'app');
    mkdirSync(join(app, 'scripts'), { recursive: true });
    for (const f of ['package.json', 'package-lock.json', 'scripts/prepare.js']) cpSync(join(clone, f), join(app, f));
    run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], app);
    for (const d of ['bin', 'src']) cpSync(join(clone, d), join(app, d), { recursive: true, preserveTimestamps: true });
    cpSync(join(build, 'dist'), join(app, 'dist'), { recursive: true, preserveTimestamps: true });
    for (const d of ['config', 'migrations', 'prompts', 'market-data']) cpSync(join(clone, d), join(app, d), { recursive: true });
    data = join(work, 'data');
    mkdirSync(data);
    if (asRoot) {
      chownSync(data, NOBODY, NOBODY);
      // The image's node is in /usr/local/bin; CI's may be under /root (mode 0700), out of the user's reach.
      const bin = join(work, 'bin');
      mkdirSync(bin);
      node = join(bin, 'node');
      copyFileSync(process.execPath, node);
      chmodSync(node, 0o755);
    }
  }, 1_200_000);
  afterAll(() => undefined);

  it('Given the production install, Then no compiler or transpiler is in it, and the compiled dist/ is as new as every source', () => {
    for (const dev of ['typescript', 'tsx', 'esbuild', 'vitest', '@biomejs/biome']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
    expect(readdirSync(join(app, 'src')).some((f) => f.endsWith('.ts'))).toBe(true);
    expect(existsSync(join(app, 'dist', 'cli.js'))).toBe(true);
    // bin/council.js runs dist/ only while its stamp is at least as new as every file under src/.
    const newest = (dir: string): number =>
      Math.max(...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
    expect(statSync(join(app, 'dist', '.built')).mtimeMs).toBeGreaterThanOrEqual(newest(join(app, 'src')));
  });

  it('Given the runtime image, When the unprivileged user asks for the version and the status, Then both answer from the compiled dist/ on PGlite, JSON alone on stdout', async () => {
    const version = await council(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(`council ${JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).version}`);
    // Type stripping off: only the compiled dist/ can answer (a stale one would need tsx, which is not installed).
    const compiled = await council(['--version'], { NODE_OPTIONS: '--no-experimental-strip-types' });
    expect(compiled.code, compiled.stderr).toBe(0);
    const status = await council(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).mode.database).toMatch(/^pglite/);
    expect(status.stderr).not.toMatch(/ExperimentalWarning|type stripping/i);
  }, 120_000);

  it("Given `serve` started as in the image, Then the Dockerfile's HEALTHCHECK command passes, and SIGTERM ends it with exit 0", async () => {
    const dockerfile = readFileSync(join(app, '..', 'clone', 'Dockerfile'), 'utf8');
    const check = /CMD node -e "(.+)"\s*$/m.exec(dockerfile)?.[1];
    expect(check, 'the HEALTHCHECK command').toBeDefined();
    const port = await new Promise<number>((done) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => done(p));
      });
    });
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: data,
      NODE_ENV: 'production',
      COUNCIL_DATA_DIR: data,
      LOG_LEVEL: 'warn',
      COUNCIL_HTTP_HOST: '127.0.0.1',
      COUNCIL_HTTP_PORT: String(port),
    };
    const serve = track(spawn(node, ['bin/council.js', 'serve'], { cwd: app, env, ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}), stdio: ['ignore', 'pipe', 'pipe'] }));
    let stderr = '';
    serve.stderr.on('data', (d) => (stderr += d));
    serve.on('error', (e) => (stderr += e.message));
    const exited = new Promise<number | null>((done) => serve.on('close', (code) => done(code)));
    const healthy = () => spawnSync(process.execPath, ['-e', check!], { env, timeout: 5_000 }).status === 0;
    let ok = false;
    for (const until = Date.now() + 90_000; !ok && Date.now() < until && serve.exitCode === null; ) {
      ok = healthy();
      if (!ok) await new Promise((r) => setTimeout(r, 500));
    }
    expect(ok, stderr).toBe(true);
    serve.kill('SIGTERM');
    expect(await exited, stderr).toBe(0);
  }, 150_000);
});
