/** The names of the event streams the pipeline writes: one per council week, one per proposal. */

export const weekStream = (council: string, week: string) => `week:${council}:${week}`;

export const proposalStream = (proposalId: string) => `proposal:${proposalId}`;
