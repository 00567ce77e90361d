/** Partial approval from the `council` command: only the accounts named are placed, the rest declined. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

const fresh = () => ({ COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-partial-')) });

interface Line {
  account: string;
  symbol: string;
  status: string;
}

describe('council approve --accounts', () => {
  it('When an operator approves two accounts of a proposal, Then only their orders are placed and the others are shown declined', async () => {
    const env = fresh();
    const doc = JSON.parse((await council(['run', '--week', '2024-03-04', '--json'], env)).stdout);
    const all: string[] = [...new Set<string>(doc.proposal.targets.map((t: { account: string }) => t.account))];
    expect(all).toHaveLength(6);
    const traded = [...new Set<string>(doc.proposal.orders.map((o: { account: string }) => o.account))];
    const chosen = traded.slice(0, 2);
    expect(chosen).toHaveLength(2);

    const unknown = await council(['approve', doc.proposal.id, '--accounts', `${chosen[0]},NOBODY`, '--json'], env);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stdout).error).toMatchObject({ code: 'UNKNOWN_ACCOUNT', message: expect.stringContaining('no account NOBODY') });

    const approve = await council(['approve', doc.proposal.id, '--accounts', chosen.map((a) => a.toLowerCase()).join(','), '--by', 'alice', '--json'], env);
    expect(approve.code, approve.stderr).toBe(0);
    const approved = JSON.parse(approve.stdout);
    expect(approved.status).toBe('EXECUTED');
    expect(approved.accounts).toEqual(all.filter((a) => chosen.includes(a)));
    expect(approved.declined).toEqual(all.filter((a) => !chosen.includes(a)));
    expect(approved.orders.length).toBeGreaterThan(0);
    expect(approved.orders.every((o: Line) => chosen.includes(o.account) && o.status === 'filled')).toBe(true);
    expect(approved.orders).toHaveLength(doc.proposal.orders.filter((o: Line) => chosen.includes(o.account)).length);

    const again = await council(['approve', doc.proposal.id, '--accounts', traded[2] ?? all[0]!, '--json'], env);
    expect(JSON.parse(again.stdout).error.code).toBe('NOT_PENDING');

    const status = JSON.parse((await council(['status', '--json'], env)).stdout);
    for (const a of status.accounts as { account: string; positions: unknown[] }[]) expect(a.positions.length > 0).toBe(chosen.includes(a.account));
  });
});
