import { describe, expect, it } from 'vitest';
import { translatePlaceholders } from '../../src/store/postgres.js';
import { freshPostgresUrl, useEngines, secondConnection } from './engines.js';

useEngines();

describe('the PostgreSQL handle', () => {
  it('translates placeholders, leaving literals, identifiers and casts alone', () => {
    expect(
      translatePlaceholders(`SELECT '?' AS "a?", x::text FROM t WHERE a = ? AND b = @b AND c = :c AND d = @b`),
    ).toEqual({
      text: `SELECT '?' AS "a?", x::text FROM t WHERE a = $1 AND b = $2 AND c = $3 AND d = $2`,
      slots: [0, 'b', 'c'],
    });
  });

  it('answers synchronously, with integers as numbers and savepoints for nested transactions', () => {
    const db = secondConnection(freshPostgresUrl({ migrated: false }));
    db.exec('CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT)');
    const insert = db.prepare('INSERT INTO t (id, name) VALUES (?, ?)');
    expect(insert.run(1, 'a').changes).toBe(1);
    expect(() =>
      db.transaction(() => {
        insert.run(2, 'b');
        db.transaction(() => insert.run(3, 'c'))();
        throw new Error('undo');
      })(),
    ).toThrow('undo');
    db.transaction(() => {
      insert.run(4, 'd');
      expect(() => db.transaction(() => insert.run(1, 'dup'))()).toThrow(/duplicate key/);
    })();
    expect(db.prepare('SELECT count(*) AS n, sum(id) AS s FROM t').get()).toEqual({ n: 2, s: 5 });
    expect(db.prepare('SELECT name FROM t ORDER BY id').pluck().all()).toEqual(['a', 'd']);
    expect(db.prepare('SELECT id, name FROM t WHERE id = @id').raw().get({ id: 4 })).toEqual([4, 'd']);
    db.close();
  });
});
