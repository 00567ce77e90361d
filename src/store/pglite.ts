/**
 * Opens embedded PGlite, lean and fast from the first start (issue 21, measured on the 2-core machine):
 *
 * - A fresh folder is a copy of a template folder, not the product of `initdb`. PGlite runs initdb in a
 *   second WebAssembly instance (2.2-5.8 s and a peak of 730-950 MB resident, most of a first
 *   `council run`); copying 40 MB of files takes a tenth of a second, and the first start then takes the
 *   same path as every reopen, so their memory is the same. The template is made once per install and
 *   PGlite version, by the first start that finds none, in the install's `.cache/` (not in git: it is
 *   40 MB, and belongs to one PGlite version). Where that folder cannot be written (a read-only image),
 *   PGlite runs initdb in the fresh folder as before.
 * - `shared_buffers` is 16 MB instead of initdb's 128 MB: in PGlite the buffer pool lives in WebAssembly
 *   memory (resident 300 -> 175 MB for an open database), and the whole database is ~8 MB after ten weeks.
 *   Smaller still (8 MB), `max_connections`, `wal_buffers` and `work_mem` moved it within the noise.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

/** Settings passed as `-c` at every start (not written to postgresql.conf, so they can change freely). */
export const PGLITE_SETTINGS: readonly string[] = ['shared_buffers=16MB'];

/** Where templates are kept by default: the install's own cache folder. */
export const TEMPLATE_CACHE_DIR = fileURLToPath(new URL('../../.cache/', import.meta.url));

export interface OpenPGliteOptions {
  /** The database folder; absent: in memory only (tests). */
  folder?: string;
  /** Where the template folder is kept and made. Default TEMPLATE_CACHE_DIR. */
  templateCacheDir?: string;
}

export async function openPGlite(options: OpenPGliteOptions): Promise<PGlite> {
  if (options.folder === undefined) return PGlite.create({ startParams: startParams() });
  if (!isDatabaseFolder(options.folder)) {
    const template = await templateFolder(options.templateCacheDir ?? TEMPLATE_CACHE_DIR);
    if (template) copyFolder(template, options.folder);
  }
  return PGlite.create({ dataDir: options.folder, startParams: startParams() });
}

const startParams = () => [...PGlite.defaultStartParams, ...PGLITE_SETTINGS.flatMap((setting) => ['-c', setting])];

/** Where this PGlite version's template is (or would be) kept; undefined when the version is unknown. */
export function templatePath(cacheDir: string = TEMPLATE_CACHE_DIR): string | undefined {
  const version = pgliteVersion();
  return version === undefined ? undefined : join(cacheDir, `pglite-${version}`);
}

/** Whether a folder holds a database (initdb writes PG_VERSION, and PGlite resumes any folder with one). */
export function isDatabaseFolder(folder: string): boolean {
  return existsSync(join(folder, 'PG_VERSION'));
}

/** The template for this PGlite version, made when missing; undefined when it cannot be made here. */
export async function templateFolder(cacheDir: string = TEMPLATE_CACHE_DIR): Promise<string | undefined> {
  const template = templatePath(cacheDir);
  if (template === undefined) return undefined;
  if (isDatabaseFolder(template)) return template;
  // Made aside and renamed into place, so no one ever copies half a template; racing makers both
  // succeed, and the loser's rename fails harmlessly.
  const making = `${template}.making-${randomUUID()}`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const lite = await PGlite.create({ dataDir: making, startParams: startParams() });
    await lite.close();
    renameSync(making, template);
  } catch {
    // Unwritable cache or a lost race: either way the template is used if it is there.
  } finally {
    removeQuietly(making);
  }
  return isDatabaseFolder(template) ? template : undefined;
}

/**
 * Copies the template beside the target and renames it into place: a crash mid-copy leaves no folder
 * that looks like a database. When the target exists and is not empty, it is left to PGlite as before.
 */
function copyFolder(template: string, target: string): void {
  const copy = `${target}.new-${randomUUID()}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(template, copy, { recursive: true });
    renameSync(copy, target);
  } catch {
    // Not fatal: PGlite creates the database itself.
  } finally {
    removeQuietly(copy);
  }
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Nothing there, or nowhere it could have been.
  }
}

/** The installed PGlite's version: a template is only good for the PGlite (and PostgreSQL) that made it. */
function pgliteVersion(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : undefined;
  } catch {
    return undefined;
  }
}
