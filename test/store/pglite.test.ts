/**
 * Opening embedded PGlite: a fresh folder is copied from the install's template (made by the first
 * open that finds none), a database in memory is unpacked from its tarball, the buffer pool is small,
 * and an unwritable cache only costs the old way.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { createEventStore } from '../../src/store/event-store.ts';
import { openPGlite, templateFolder } from '../../src/store/pglite.ts';

const dirs: string[] = [];
const freshDir = (label: string) => {
  const dir = mkdtempSync(join(tmpdir(), `council-${label}-`));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('A fresh embedded database folder', () => {
  it('When no template is cached, Then the first open makes one, and the next fresh folder is a copy of it, migrated and small', async () => {
    const cache = freshDir('template-cache');

    const first = await openDatabase({ dataDir: freshDir('first'), templateCacheDir: cache });
    await first.close();
    const templates = readdirSync(cache).sort();
    expect(templates).toEqual([expect.stringMatching(/^pglite-\d+\.\d+\.\d+$/), expect.stringMatching(/^pglite-\d+\.\d+\.\d+\.tar\.gz$/)]);
    const template = join(cache, templates[0] ?? '');
    expect(existsSync(join(template, 'PG_VERSION'))).toBe(true);

    // A mark only a copy of the template can carry.
    writeFileSync(join(template, 'copied-from-template'), '');
    const dir = freshDir('second');
    const second = await openDatabase({ dataDir: dir, templateCacheDir: cache });
    try {
      expect(existsSync(join(dir, 'pglite', 'copied-from-template'))).toBe(true);
      expect(readdirSync(dir).filter((name) => name.startsWith('pglite'))).toEqual(['pglite']);
      const store = createEventStore(second);
      expect(await store.append('test:from-template', 0, [{ type: 'Opened', data: {} }])).toBe(1);
      expect(await second.query('show shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
    } finally {
      await second.close();
    }

    // In memory, the tarball beside the folder is what PGlite unpacks: one carrying a mark shows it.
    expect(existsSync(`${template}.tar.gz`)).toBe(true);
    const lite = await openPGlite({ templateCacheDir: cache });
    await lite.exec('create table copied_from_tarball (n int)');
    writeFileSync(`${template}.tar.gz`, new Uint8Array(await (await lite.dumpDataDir('gzip')).arrayBuffer()));
    await lite.close();
    const inMemory = await openDatabase({ dataDir: 'unused-in-memory', memory: true, templateCacheDir: cache });
    try {
      expect(await inMemory.query('select count(*)::int as n from copied_from_tarball')).toEqual([{ n: 0 }]);
      expect(await createEventStore(inMemory).append('test:in-memory', 0, [{ type: 'Opened', data: {} }])).toBe(1);
    } finally {
      await inMemory.close();
    }
  });

  it('When the cached template is damaged, Then the fresh folder is created by PGlite instead, and the template is dropped', async () => {
    const cache = freshDir('damaged-cache');
    const template = await templateFolder(cache);
    if (template === undefined) throw new Error('no template made');
    rmSync(join(template, 'global'), { recursive: true });
    const dir = freshDir('damaged');

    const db = await openDatabase({ dataDir: dir, templateCacheDir: cache });
    try {
      expect(await createEventStore(db).append('test:damaged', 0, [{ type: 'Opened', data: {} }])).toBe(1);
      expect(existsSync(template)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('When the template cache cannot be written, Then the database is created in the folder as before', async () => {
    const notAFolder = join(freshDir('file'), 'a-file');
    writeFileSync(notAFolder, '');
    const dir = freshDir('uncached');

    const db = await openDatabase({ dataDir: dir, templateCacheDir: join(notAFolder, 'cache') });
    try {
      expect(await createEventStore(db).append('test:uncached', 0, [{ type: 'Opened', data: {} }])).toBe(1);
      expect(existsSync(join(dir, 'pglite', 'PG_VERSION'))).toBe(true);
    } finally {
      await db.close();
    }
  });
});
