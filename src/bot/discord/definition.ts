/** The `/council` slash command as Discord stores it; the register script uploads exactly this. */
import { InteractionContextType, SlashCommandBuilder } from 'discord.js';

export const COUNCIL_COMMAND = new SlashCommandBuilder()
  .setName('council')
  .setDescription('The trading council: convene it, see its state, halt trading')
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
  .addSubcommand((s) =>
    s
      .setName('web')
      .setDescription('A private one-time sign-in link to the dashboard')
      .addBooleanOption((o) => o.setName('revoke').setDescription('End your dashboard sessions instead')),
  )
  .toJSON();

export const COUNCIL_SUBCOMMANDS = ['run', 'status', 'halt', 'resume', 'web'] as const;
export type CouncilSubcommand = (typeof COUNCIL_SUBCOMMANDS)[number];
