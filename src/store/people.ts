import type { Person } from '../contract/model.js';
import type { Db } from './database.js';
import { bulkInsert } from './bulk.js';
import { personToRow, rowToPerson, type PersonRow } from './rows.js';

/** personToRow's keys, in its order. */
const PEOPLE_COLUMNS = [
  'employee_id',
  'email',
  'name',
  'status',
  'worker_type',
  'hire_date',
  'termination_date',
  'termination_effective_at',
  'manager_id',
  'department',
  'aliases',
  'run_id',
] as const;

/** The HR roster as last accepted by a scan, and its size (the roster guard compares against it). */

/** People in the last accepted roster; 0 before the first scan. */
export function acceptedRosterSize(db: Db): number {
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'roster_people'`).get() as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

/** Replaces the roster; runs inside the scan's commit. */
export function replacePeople(db: Db, people: readonly Person[], runId: number): void {
  db.prepare('DELETE FROM people').run();
  const insert = db.prepare(`INSERT INTO people (employee_id, email, name, status, worker_type, hire_date,
    termination_date, termination_effective_at, manager_id, department, aliases, run_id)
    VALUES (@employee_id, @email, @name, @status, @worker_type, @hire_date, @termination_date,
    @termination_effective_at, @manager_id, @department, @aliases, @run_id)`);
  if (db.engine === 'postgres') {
    // One COPY, not a round trip per person over the connection's thread (100,000 people: ~15 s).
    const rows = people.map((person) => Object.values(personToRow(person, runId)));
    bulkInsert(db, { table: 'people', columns: PEOPLE_COLUMNS, key: ['employee_id'] }, rows);
  } else {
    for (const person of people) insert.run(personToRow(person, runId));
  }
  db.prepare(
    `INSERT INTO meta (key, value) VALUES ('roster_people', ?)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  ).run(String(people.length));
}

/** The HR roster as of the last scan (`people`). */

export function personById(db: Db, employeeId: string): Person | null {
  const row = db.prepare<[string], PersonRow>('SELECT * FROM people WHERE employee_id = ?').get(employeeId);
  return row ? rowToPerson(row) : null;
}

/** Everyone on the roster, by employee id. */
export function listPeople(db: Db): Person[] {
  return db.prepare<[], PersonRow>('SELECT * FROM people ORDER BY employee_id').all().map(rowToPerson);
}
