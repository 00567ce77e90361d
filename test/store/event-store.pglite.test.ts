import { describe } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { eventStoreContract } from './contract.ts';

describe('Event store on embedded PGlite (in memory)', () => {
  eventStoreContract(async () => {
    const db = await openDatabase({ dataDir: 'unused-in-memory', memory: true });
    return { db, dispose: () => db.close() };
  });
});
