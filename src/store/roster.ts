import type { Person } from '../contract/model.js';
import type { Db } from './database.js';
import { rowToPerson, type PersonRow } from './rows.js';

/** The HR roster as of the last scan (`people`). */

export function personById(db: Db, employeeId: string): Person | null {
  const row = db.prepare<[string], PersonRow>('SELECT * FROM people WHERE employee_id = ?').get(employeeId);
  return row ? rowToPerson(row) : null;
}

/** Everyone on the roster, by employee id. */
export function listPeople(db: Db): Person[] {
  return db.prepare<[], PersonRow>('SELECT * FROM people ORDER BY employee_id').all().map(rowToPerson);
}
