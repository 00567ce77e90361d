/** Parsing what a user types after /council: the words every channel shares (src/bot/commands.ts). */
import { describe, expect, it } from 'vitest';
import { CommandError, parseCouncilCommand } from '../../src/bot/commands.ts';

describe('/council run', () => {
  it('When a bare date follows run, Then it is the week, not a question', () => {
    expect(parseCouncilCommand('/council run 2024-03-04')).toEqual({ kind: 'run', week: '2024-03-04', query: undefined });
    expect(parseCouncilCommand('/council run 2024-03-04 is the Fed priced?')).toEqual({ kind: 'run', week: '2024-03-04', query: 'is the Fed priced?' });
  });

  it('When --week is given, Then it is the week and the rest is the question, a date in it included', () => {
    expect(parseCouncilCommand('/council run --week 2024-03-04 what after 2024-03-20?')).toEqual({ kind: 'run', week: '2024-03-04', query: 'what after 2024-03-20?' });
  });

  it('When only words follow run, Then they are the question for the current week', () => {
    expect(parseCouncilCommand('/council run rates or oil?')).toEqual({ kind: 'run', week: undefined, query: 'rates or oil?' });
  });

  it('When --week has no date, Then the user is told what it needs', () => {
    expect(() => parseCouncilCommand('/council run --week soon')).toThrow(CommandError);
  });
});
