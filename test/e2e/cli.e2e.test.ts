import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council, ROOT } from '../support/cli.ts';

const fresh = () => ({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-e2e-')) });

describe('The council command, end to end', () => {
  it('When a user runs a week and approves it, Then orders execute once and a second approve fails clearly', async () => {
    const env = fresh();
    const run = await council(['run', '--week', '2024-03-04', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.pitches.filter((p: { status: string }) => p.status === 'ok')).toHaveLength(5);
    expect(doc.reviews.every((r: { scores: unknown[] }) => r.scores.length === 4)).toBe(true);
    expect(doc.proposal.status).toBe('PENDING');
    expect(doc).toHaveProperty('usage');

    const approve = await council(['approve', doc.proposal.id, '--json', '--by', 'alice'], env);
    expect(approve.code, approve.stderr).toBe(0);
    const approved = JSON.parse(approve.stdout);
    expect(approved.status).toBe('EXECUTED');
    expect(approved.orders).toHaveLength(doc.proposal.orders.length);
    expect(approved.orders.every((o: { status: string }) => o.status === 'filled')).toBe(true);

    const again = await council(['approve', doc.proposal.id, '--json'], env);
    expect(again.code).not.toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ error: { code: 'NOT_PENDING', message: expect.stringMatching(/already approved/), errorId: expect.any(String) } });
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already approved by cli:alice at .*; nothing was placed/);

    const status = JSON.parse((await council(['status', '--json'], env)).stdout);
    expect(status.pending).toEqual([]);
    const councilAccount = status.accounts.find((a: { account: string }) => a.account === 'COUNCIL');
    expect(councilAccount.positions.length).toBe(approved.orders.filter((o: { account: string }) => o.account === 'COUNCIL').length);
  });

  it('When a user rejects, Then a later approve is refused and nothing is placed', async () => {
    const env = fresh();
    const doc = JSON.parse((await council(['run', '--week', '2024-03-11', '--json'], env)).stdout);
    const reject = await council(['reject', doc.proposal.id, '--reason', 'not this week', '--json'], env);
    expect(reject.code, reject.stderr).toBe(0);
    const approve = await council(['approve', doc.proposal.id], env);
    expect(approve.code).toBe(1);
    expect(approve.stderr).toMatch(/was rejected by/);
    const status = JSON.parse((await council(['status', '--json'], env)).stdout);
    expect(status.accounts.every((a: { positions: unknown[] }) => a.positions.length === 0)).toBe(true);
  });

  it('When the config file has wrong keys, Then the command names every one and exits non-zero without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'council-badcfg-'));
    const file = join(dir, 'council.yaml');
    writeFileSync(
      file,
      [
        'council: main',
        'universe: [SPY, qqq]',
        'seats: []',
        'chairman: { id: CHAIRMAN, model: x, account: COUNCIL }',
        'research: { models: [x] }',
        'risk: { startingCash: -5, maxPositionPct: 0.2, maxGrossPct: 1, allowShorts: true, minConviction: 0.25, leverage: 3 }',
        'broker: { slippageBps: 2, feePerShare: 0, minFee: 0 }',
        'schedule: { timezone: America/New_York, weekly: "0 8 * * 1", checkpoints: ["9am"], postmortem: "30 16 * * 5" }',
      ].join('\n'),
    );
    const r = await council(['status'], { ...fresh(), COUNCIL_CONFIG: file, LLM_BASE_URL: 'not a url', COUNCIL_APPROVERS: 'bob' });
    expect(r.code).toBe(2);
    for (const key of ['universe.1', 'seats', 'risk.startingCash', 'risk', 'leverage', 'schedule.checkpoints.0', 'LLM_BASE_URL', 'COUNCIL_APPROVERS'])
      expect(r.stderr).toContain(key);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("When asked for the version or one command's help, Then it answers at once with exit 0", async () => {
    const v = await council(['--version'], fresh());
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^council \d+\.\d+\.\d+\n$/);
    const help = await council(['backtest', '--help'], fresh());
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: council backtest --from YYYY-MM-DD --to YYYY-MM-DD/);
  });

  it('When asked for help, Then every command answers its own --help, and the usage lists every exit code the README lists', async () => {
    const commands = ['run', 'approve', 'reject', 'status', 'checkpoint', 'postmortem', 'backtest', 'serve', 'doctor', 'migrate'];
    const desk = ['positions', 'profit', 'history', 'leaderboard', 'cost', 'exit', 'pause', 'unpause', 'web-login'];
    for (const command of [...commands, ...desk]) {
      const r = await council([command, '--help'], fresh());
      expect(r.code, command).toBe(0);
      expect(r.stdout, command).toMatch(new RegExp(`^usage: council ${command}\\b`));
    }
    const usage = await council(['--help'], fresh());
    expect(usage.code).toBe(0);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('### Exit codes');
    const table = readme.slice(start, readme.indexOf('\n## ', start));
    const codes = [...table.matchAll(/^\| (\d+) \|/gm)].map((m) => m[1]!);
    expect(codes).toEqual(['0', '1', '2', '3', '4', '5', '70', '130']);
    const listed = usage.stdout.slice(usage.stdout.indexOf('exit codes:'));
    for (const code of codes) expect(listed).toMatch(new RegExp(`[:,]\\s+${code} `));
  });

  it('When a --json command fails on usage, Then stdout holds the error document and the exit code is 2', async () => {
    const r = await council(['backtest', '--json'], fresh());
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'USAGE', message: 'backtest needs --from YYYY-MM-DD and --to YYYY-MM-DD', errorId: expect.stringMatching(/^[0-9a-f]{8}$/) },
    });
  });

  it('When the command is unknown, Then the usage is shown and the exit code is 2', async () => {
    const r = await council(['frobnicate'], fresh());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
