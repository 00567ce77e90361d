/**
 * The CLI and the console: a week already run answers with its state now (never PENDING once executed),
 * future weeks and runs while halted are refused with the reason, and the desk's question is recorded
 * cleaned with who asked. The real `council` command as a child process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

const fresh = () => ({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-guards-')) });

describe('council run: a week already run, future weeks', () => {
  it('When a run week is approved and run again, Then --json reports the proposal EXECUTED with alreadyRun, the text says where it stands, and nothing reruns', async () => {
    const env = fresh();
    const first = await council(['run', '--week', '2024-03-04', '--query', 'what\nabout\u0007 rates?', '--json', '--by', 'alice'], env);
    expect(first.code, first.stderr).toBe(0);
    const doc = JSON.parse(first.stdout);
    expect(doc).toMatchObject({ alreadyRun: false, query: 'what about rates?', requestedBy: 'cli:alice', proposal: { status: 'PENDING' } });

    expect((await council(['approve', doc.proposal.id, '--json'], env)).code).toBe(0);

    const again = await council(['run', '--week', '2024-03-04', '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    const rerun = JSON.parse(again.stdout);
    expect(rerun).toMatchObject({
      alreadyRun: true,
      runId: doc.runId,
      requestedBy: 'cli:alice',
      proposal: { id: doc.proposal.id, status: 'EXECUTED' },
      threads: { slack: null, discord: null },
    });

    const text = await council(['run', '--week', '2024-03-04'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`The week of 2024-03-04 was already run (run ${doc.runId.slice(0, 8)}, by cli:alice via cli)`);
    expect(text.stdout).toContain('Question from the desk: what about rates?');
    expect(text.stdout).toMatch(new RegExp(`Proposal ${doc.proposal.id}: EXECUTED \\(approved by cli:`));
  });

  it('When a week after the market data is asked for, Then the run is refused in one line with exit 1 and nothing is stored', async () => {
    const env = fresh();
    const r = await council(['run', '--week', '2099-01-05', '--json'], env);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('week 2099-01-05 is in the future') });
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('week 2099-01-05 is in the future');
    const status = JSON.parse((await council(['status', '--json'], env)).stdout);
    expect(status.lastRun).toBeNull();
  });
});

describe('the console: runs while halted, a week already run', () => {
  it('When the operator halts and runs, Then the run is refused with who halted; after resume a week already run is shown, not run again', async () => {
    const env = fresh();
    const r = await council(
      ['serve'],
      env,
      '/council halt\n/council run --week 2024-03-04\n/council resume\n/council run --week 2024-03-04 why?\n/council run --week 2024-03-04\n',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/! trading is halted \(by cli:\S+ at [^)]+\): no council runs until an approver resumes/);
    expect(r.stdout.match(/Council, week of 2024-03-04/g)).toHaveLength(1); // convened once
    expect(r.stdout).toMatch(/run by cli:\S+\nQuestion from the desk: why\?/);
    expect(r.stdout).toMatch(/The week of 2024-03-04 was already run \(run \w+, by cli:\S+ via console\)/);
    expect(r.stdout).toMatch(/Proposal \S+: PENDING until/);
  });
});
