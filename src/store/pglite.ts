/**
 * Opens embedded PGlite, lean and fast from the first start (issue 21, measured on the 2-core machine):
 *
 * - A fresh folder is a copy of a template folder, not the product of `initdb`. PGlite runs initdb in a
 *   second WebAssembly instance (2.2-5.8 s and a peak of 730-950 MB resident, most of a first
 *   `council run`); copying 40 MB of files takes a tenth of a second, and the first start then takes the
 *   same path as every reopen, so their memory is the same. The template is made once per install and
 *   PGlite version, by the first start that finds none, in the install's `.cache/` (not in git: it is
 *   40 MB, and belongs to one PGlite version). Where that folder cannot be written (a read-only image),
 *   PGlite runs initdb in the fresh folder as before. A database in memory (tests) is unpacked by PGlite
 *   from the template's tarball (`loadDataDir`) instead.
 * - `shared_buffers` is 16 MB instead of initdb's 128 MB: in PGlite the buffer pool lives in WebAssembly
 *   memory (resident 300 -> 175 MB for an open database), and the whole database is ~8 MB after ten weeks.
 *   Smaller still (8 MB), `max_connections`, `wal_buffers` and `work_mem` moved it within the noise.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /** false: run initdb as PGlite does by itself, without the template. Default true. */
  template?: boolean;
}

export async function openPGlite(options: OpenPGliteOptions): Promise<PGlite> {
  const cacheDir = options.templateCacheDir ?? TEMPLATE_CACHE_DIR;
  if (options.template === false) return PGlite.create({ ...(options.folder === undefined ? {} : { dataDir: options.folder }), startParams: startParams() });
  if (options.folder === undefined) {
    // In memory, PGlite unpacks the template's tarball into its memory file system (open 8.5 -> 1.0 s
    // at load 13, peak 635 -> 315 MB): what every test database opened in memory used to pay.
    const tarball = await templateTarball(cacheDir);
    return PGlite.create({ startParams: startParams(), ...(tarball ? { loadDataDir: tarball } : {}) });
  }
  if (!isDatabaseFolder(options.folder)) {
    const template = await templateFolder(cacheDir);
    if (template && copyFolder(template, options.folder)) {
      try {
        return await PGlite.create({ dataDir: options.folder, startParams: startParams() });
      } catch {
        // A damaged template (the copy holds nothing else, being new): both go, and PGlite creates
        // the folder itself; a real cause fails again below and is what the caller sees.
        removeQuietly(options.folder);
        removeQuietly(template);
        removeQuietly(tarballOf(template));
      }
    }
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

const tarballOf = (template: string) => `${template}.tar.gz`;
const isTemplate = (template: string) => isDatabaseFolder(template) && existsSync(tarballOf(template));

/**
 * The template for this PGlite version, made when missing: a folder, and the same as a tarball (4.5 MB)
 * for databases in memory. Undefined when it cannot be made here.
 */
export async function templateFolder(cacheDir: string = TEMPLATE_CACHE_DIR): Promise<string | undefined> {
  const template = templatePath(cacheDir);
  if (template === undefined) return undefined;
  if (isTemplate(template)) return template;
  // Made aside and renamed into place, the tarball first, so no one ever reads half a template; racing
  // makers both succeed, and the loser's rename of the folder fails harmlessly.
  const making = `${template}.making-${randomUUID()}`;
  try {
    mkdirSync(cacheDir, { recursive: true });
    const lite = await PGlite.create({ dataDir: making, startParams: startParams() });
    try {
      await lite.exec('checkpoint');
      const tarball = await lite.dumpDataDir('gzip');
      writeFileSync(tarballOf(making), new Uint8Array(await tarball.arrayBuffer()));
    } finally {
      await lite.close();
    }
    renameSync(tarballOf(making), tarballOf(template));
    renameSync(making, template);
  } catch {
    // Unwritable cache or a lost race: either way the template is used if it is there.
  } finally {
    removeQuietly(making);
    removeQuietly(tarballOf(making));
  }
  return isTemplate(template) ? template : undefined;
}

/** The template's tarball, for PGlite's `loadDataDir`; undefined when there is no template. */
export async function templateTarball(cacheDir: string = TEMPLATE_CACHE_DIR): Promise<Blob | undefined> {
  const template = await templateFolder(cacheDir);
  if (template === undefined) return undefined;
  try {
    return new Blob([readFileSync(tarballOf(template))]);
  } catch {
    return undefined;
  }
}

/**
 * Copies the template beside the target and renames it into place: a crash mid-copy leaves no folder
 * that looks like a database. When the target exists and is not empty, it is left to PGlite as before.
 * True when the copy is in place.
 */
function copyFolder(template: string, target: string): boolean {
  const copy = `${target}.new-${randomUUID()}`;
  try {
    mkdirSync(dirname(target), { recursive: true });
    cpSync(template, copy, { recursive: true });
    renameSync(copy, target);
    return true;
  } catch {
    return false; // not fatal: PGlite creates the database itself
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
