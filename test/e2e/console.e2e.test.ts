import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { council } from '../support/cli.ts';

describe('The console channel driven through stdin', () => {
  it('When a user types /council run, status and approve, Then they read the whole week as text and the orders fill', async () => {
    const env = { COUNCIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'council-console-')) };
    const first = await council(['serve'], env, '/council run --week 2024-03-04 what about rates?\n/council status\n');
    expect(first.code, first.stderr).toBe(0);
    const out = first.stdout;
    for (const text of ['Council, week of 2024-03-04', 'Question: what about rates?', 'Research', 'Pitch A:', 'Pitch E:', 'Blind peer review', 'Kill shots:', 'Council decision', 'Dissent:', 'Monitoring at 09:00, 12:00, 14:00, 15:50 ET', 'Orders it will place:', 'Council status', 'Pending proposals:'])
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
});
