import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Checkpoints a SQLite database on a connection of its own (see enterSnapshotWriteMode): copying a scan's snapshot
 * from the WAL into the database file then runs beside the scan's rules and commit instead of after them. PASSIVE
 * never blocks, or waits for, the scanner's connection; whatever it cannot copy yet, the scanner's final checkpoint does.
 */

const db = new Database((workerData as { file: string }).file, { fileMustExist: true });
try {
  db.pragma('wal_checkpoint(PASSIVE)');
} finally {
  db.close();
}
parentPort!.postMessage('done');
