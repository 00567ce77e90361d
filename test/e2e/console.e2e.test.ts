import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

describe('The console channel driven through stdin', () => {
  const env = { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-console-')) };

  it('When a user types /council run, status and approve, Then they read the whole week as text and the orders fill', async () => {
    const first = await council(['serve'], env, '/council run --week 2024-03-04 what about rates?\n/council status\n');
    expect(first.code, first.stderr).toBe(0);
    const out = first.stdout;
    for (const text of [
      'Council, week of 2024-03-04',
      'Question from the desk: what about rates?',
      'Research',
      'Pitch A:',
      'Pitch E:',
      'Blind peer review',
      'Kill shots:',
      'Council decision',
      'Dissent:',
      'Monitoring at 09:00, 12:00, 14:00, 15:50 ET',
      'Orders it will place:',
      'Council status',
      'Pending proposals:',
    ])
      expect(out).toContain(text);
    // Identities stay hidden until the decision.
    const beforeDecision = out.slice(0, out.indexOf('Council decision'));
    expect(beforeDecision).not.toMatch(/CHATGPT|GEMINI|CLAUDE|GROQ|DEEPSEEK/);
    const id = /Approve: \/council approve (\S+)/.exec(out)?.[1];
    expect(id).toBeDefined();

    const second = await council(['serve'], env, `/council approve ${id}\n/council approve ${id}\n/council frob\n`);
    expect(second.stdout).toContain(`Proposal ${id} approved by cli:`);
    expect(second.stdout).toMatch(/filled at \d+\.\d\d/);
    expect(second.stdout).toMatch(/! proposal .* was already approved/);
    expect(second.stdout).toContain('! unknown command "frob"');
  });

  it('When the user types /council postmortem for that week, Then the console shows the postmortem and where its PNG charts were written; `council postmortem` prints the same', async () => {
    const typed = await council(['serve'], env, '/council postmortem 2024-03-04\n');
    expect(typed.code, typed.stderr).toBe(0);
    const dir = join(env.COUNCIL_DATA_DIR, 'postmortems', '2024-03-04');
    const shown = postmortemOf(typed.stdout);
    for (const text of [
      '── Postmortem, week of 2024-03-04',
      'COUNCIL (council)',
      'SPY buy-and-hold',
      'Equal-weight universe',
      'Did deliberation add value?',
      'Reviewer calibration',
      'Cost:',
    ])
      expect(shown, text).toContain(text);
    expect(shown).toContain(`Charts: ${join(dir, 'equity.png')}, ${join(dir, 'drawdown.png')}`);
    for (const name of ['equity.png', 'drawdown.png']) expect(readFileSync(join(dir, name)).subarray(1, 4).toString('ascii')).toBe('PNG');

    const out = mkdtempSync(join(tmpdir(), 'council-console-pm-'));
    const command = await council(['postmortem', '--week', '2024-03-04', '--out', out], env);
    expect(command.code, command.stderr).toBe(0);
    expect(postmortemOf(command.stdout).replaceAll(out, dir)).toBe(shown);
    expect(existsSync(join(out, 'equity.png')) && existsSync(join(out, 'drawdown.png'))).toBe(true);
  });
});

/** The postmortem's block of console text: from its rule to its charts line. */
function postmortemOf(stdout: string): string {
  const start = stdout.indexOf('── Postmortem, week of');
  const end = stdout.indexOf('\n', stdout.indexOf('Charts: ', start));
  return start < 0 ? '' : stdout.slice(start, end < 0 ? undefined : end);
}
