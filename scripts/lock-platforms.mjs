// The registry reachable from our machines lacks some of Biome's platform packages, so `npm install`
// writes a lock without them and `npm ci` then calls the lock "out of sync". This adds the missing
// optional platform entries (never installed on Linux x64) so `npm ci` accepts the lock.
// Run after any `npm install` that rewrites package-lock.json: node scripts/lock-platforms.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const biome = lock.packages['node_modules/@biomejs/biome'];
let added = 0;
for (const [name, version] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const [os, cpu, libc] = name.replace('@biomejs/cli-', '').split('-');
  lock.packages[key] = { version, dev: true, optional: true, os: [os], cpu: [cpu], ...(libc ? { libc: [libc] } : {}), license: 'MIT OR Apache-2.0', engines: { node: '>=14.21.3' } };
  added++;
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lock-platforms: added ${added} entries`);
