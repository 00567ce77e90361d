/**
 * `npm run discord:register`: uploads the /council command. With DISCORD_GUILD_ID it goes to that
 * guild (instant, for a private server); without, globally (every server the bot is in). Discord
 * replaces the whole list on each upload, so running it twice is harmless.
 */
import { pathToFileURL } from 'node:url';
import { REST, Routes } from 'discord.js';
import { ConfigError, loadConfig } from '../../config/config.ts';
import { redactorFor } from '../../redact.ts';
import { COUNCIL_COMMAND } from './definition.ts';
import { apiRoot, type DiscordConfig } from './index.ts';

export interface Registered {
  scope: 'guild' | 'global';
  commands: string[];
}

export async function registerCommands(config: DiscordConfig, rest?: REST): Promise<Registered> {
  if (!config.applicationId) throw new ConfigError(['env DISCORD_APPLICATION_ID: required to register commands (the application id on the Developer Portal)']);
  const api = apiRoot(config.apiUrl);
  const client = rest ?? new REST({ ...(api ? { api } : {}) }).setToken(config.token);
  const route = config.guildId ? Routes.applicationGuildCommands(config.applicationId, config.guildId) : Routes.applicationCommands(config.applicationId);
  const result = (await client.put(route, { body: [COUNCIL_COMMAND] })) as { name: string }[];
  return { scope: config.guildId ? 'guild' : 'global', commands: result.map((c) => c.name) };
}

async function main(): Promise<number> {
  const config = loadConfig(process.env, { dotenv: true });
  if (!config.discord) throw new ConfigError(['env DISCORD_TOKEN: required to register commands']);
  // Whatever Discord (or a proxy in front of it) echoes back, no configured secret reaches the terminal.
  const done = await registerCommands(config.discord).catch((error: unknown) => {
    if (error instanceof ConfigError) throw error;
    throw new RegisterError(redactorFor(config).text(error instanceof Error ? error.message : String(error)));
  });
  process.stdout.write(
    done.scope === 'guild'
      ? `registered /${done.commands.join(', /')} in guild ${config.discord.guildId} (available now)\n`
      : `registered /${done.commands.join(', /')} globally (Discord may take up to an hour to show it everywhere)\n`,
  );
  return 0;
}

/** A failed upload, its message already redacted. */
class RegisterError extends Error {}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // A configuration error names variables, never values; an upload's failure is redacted above.
      process.stderr.write(`discord:register: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = error instanceof ConfigError ? 2 : 1;
    },
  );
}
