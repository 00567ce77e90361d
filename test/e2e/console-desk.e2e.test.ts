/**
 * The desk in the console, typed on stdin as a trader would (issue 18): the reads, pause and unpause,
 * and an exit asked back with y/N before anything is closed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

describe('The desk in the console', () => {
  const env = { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-console-desk-')) };

  it('When a trader reads the desk, pauses, and exits after a confirmation, Then every answer reads in dollars, signed percentages and New York times, and "n" closes nothing', async () => {
    const first = await council(['serve'], env, '/council run --week 2024-03-04\n');
    const id = /Approve: \/council approve (\S+)/.exec(first.stdout)?.[1];
    expect(id, first.stderr).toBeDefined();
    const typed = [
      `approve ${id}`,
      'checkpoint 2024-03-05T12:00',
      'positions',
      'profit all',
      'history',
      'leaderboard all',
      'cost',
      'pause',
      'status',
      'unpause',
      'unpause',
      'exit all',
      'n',
      'exit all all end of the test',
      'y',
      'exit all',
    ];
    const { stdout, stderr, code } = await council(['serve'], env, `${typed.join('\n')}\n`);
    expect(code, stderr).toBe(0);
    expect(stdout).toMatch(/Positions at \w{3} 2024-03-05 \d\d:\d\d ET|Positions at \w{3} \d{4}-\d{2}-\d{2} \d\d:\d\d ET/);
    expect(stdout).toMatch(/account\s+symbol\s+qty\s+avg\s+mark\s+unrealised\s+stop\s+take-profit\s+age\s+state/);
    expect(stdout).toMatch(/Profit over the whole record \(closes \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}, from the postmortem's ledger\)/);
    expect(stdout).toMatch(/SPY buy-and-hold\s+benchmark\s+[+-]?\$[\d,]+\.\d\d\s+[+-]?\d+\.\d\d%/);
    expect(stdout).toContain('Week of 2024-03-04:');
    expect(stdout).toContain('Leaderboard over the whole record');
    expect(stdout).toContain('LLM cost over the last 4 weeks');
    expect(stdout).toMatch(/Trading PAUSED by cli:\S+ at \w{3} \d{4}-\d{2}-\d{2} \d\d:\d\d ET: no new entries/);
    expect(stdout).toMatch(/⏸ Trading PAUSED by cli:/);
    expect(stdout).toContain('Already so. Trading: running; new entries allowed.');
    expect(stdout).toMatch(/▶ Trading unpaused by cli:\S+ at \w{3} \d{4}-\d{2}-\d{2} \d\d:\d\d ET: new entries allowed\./);
    // Asked back, "n": nothing closed; asked again, "y": every position closed by the approver.
    expect(stdout).toMatch(/Close \d+ positions now: .* \[y\/N\]/);
    expect(stdout).toContain('Nothing was closed.');
    expect(stdout).toMatch(/Exits at \w{3} \d{4}-\d{2}-\d{2} \d\d:\d\d ET \(closed by an approver\)/);
    expect(stdout).toMatch(/SELL \d+ \w+ \(closed by an approver: end of the test \(cli:\S+ via console\)\)/);
    // No ISO instant reaches the trader.
    expect(stdout).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  });
});
