/** The `/council` slash command as Discord stores it; the register script uploads exactly this. */
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { HISTORY_DEFAULT, HISTORY_MAX } from '../commands.ts';

function windowChoices(windows: readonly string[]): { name: string; value: string }[] {
  return windows.map((w) => ({ name: w, value: w }));
}

export const COUNCIL_COMMAND = new SlashCommandBuilder()
  .setName('council')
  .setDescription("The trading council: convene it, see its state and the desk's books, pause or halt trading")
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) =>
    s
      .setName('run')
      .setDescription('Convene the council for a week; the decision comes with Approve / Reject buttons')
      .addStringOption((o) => o.setName('query').setDescription('A question for the council').setMaxLength(500))
      .addStringOption((o) => o.setName('week').setDescription('A past week, by its Monday: YYYY-MM-DD').setMinLength(10).setMaxLength(10)),
  )
  .addSubcommand((s) => s.setName('status').setDescription('Seats, accounts, positions, pending proposals'))
  .addSubcommand((s) => s.setName('halt').setDescription('Kill switch: cancel open orders and block executions (approvers only)'))
  .addSubcommand((s) => s.setName('resume').setDescription('Lift the kill switch (approvers only)'))
  .addSubcommand((s) => s.setName('pause').setDescription('Stop new entries; exits, stops and checkpoints go on (approvers only)'))
  .addSubcommand((s) => s.setName('unpause').setDescription('Let new entries again (approvers only)'))
  .addSubcommand((s) => s.setName('positions').setDescription("Every account's positions: qty, avg price, mark, unrealised P/L, stop, take-profit, age"))
  .addSubcommand((s) =>
    s
      .setName('profit')
      .setDescription('Realised and unrealised P/L and return per account, council vs members vs SPY')
      .addStringOption((o) =>
        o
          .setName('window')
          .setDescription('default 1w')
          .addChoices(...windowChoices(['1w', '4w', '8w', 'all'])),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('history')
      .setDescription('The last weeks: decision, proposal outcome, week P/L')
      .addIntegerOption((o) => o.setName('weeks').setDescription(`how many (default ${HISTORY_DEFAULT})`).setMinValue(1).setMaxValue(HISTORY_MAX)),
  )
  .addSubcommand((s) =>
    s
      .setName('leaderboard')
      .setDescription('Accounts ranked by return with Sharpe, drawdown, hit rate; reviewer calibration')
      .addStringOption((o) =>
        o
          .setName('window')
          .setDescription('default 4w')
          .addChoices(...windowChoices(['4w', '8w', 'all'])),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('cost')
      .setDescription('LLM spend by seat and stage, tokens, P/L per dollar')
      .addStringOption((o) =>
        o
          .setName('window')
          .setDescription('default 4w')
          .addChoices(...windowChoices(['4w', 'all'])),
      ),
  )
  .addSubcommand((s) =>
    s
      .setName('exit')
      .setDescription('Close positions now, after a confirmation (approvers only)')
      .addStringOption((o) => o.setName('account').setDescription('an account, or all').setRequired(true).setMaxLength(40))
      .addStringOption((o) => o.setName('symbol').setDescription('one symbol (default: every position)').setMaxLength(10))
      .addStringOption((o) => o.setName('reason').setDescription('why, recorded with the exit').setMaxLength(60)),
  )
  .addSubcommand((s) =>
    s
      .setName('web')
      .setDescription('A private one-time sign-in link to the dashboard')
      .addBooleanOption((o) => o.setName('revoke').setDescription('End your dashboard sessions instead')),
  )
  .toJSON();

export const COUNCIL_SUBCOMMANDS = ['run', 'status', 'halt', 'resume', 'pause', 'unpause', 'positions', 'profit', 'history', 'leaderboard', 'cost', 'exit', 'web'] as const;
export type CouncilSubcommand = (typeof COUNCIL_SUBCOMMANDS)[number];
