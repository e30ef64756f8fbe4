import type { Account, AccountType } from '../../src/contract/model.js';

/**
 * How a page of accounts crosses from a CSV worker to the main thread: UTF-8 JSON in a transferred buffer (moved,
 * not copied), parsed only when the consumer takes the page. Structured clone built every account as the message
 * arrived, and a page waiting behind thirteen other sources outlived V8's young generation, to be copied into the
 * old one and die there.
 *
 * Each account is a JSON array in Account's field order rather than an object: half the bytes to parse, and every
 * account built by one literal (one hidden class for the rules' property reads). Accounts are plain JSON values, so
 * the round trip is exact.
 */
export interface PageBytes {
  bytes: Uint8Array;
}

type AccountTuple = [
  source: string,
  id: string,
  login: string | null,
  email: string | null,
  emails: string[],
  employeeId: string | null,
  displayName: string | null,
  enabled: boolean,
  rawStatus: string | null,
  type: AccountType,
  createdAt: string | null,
  lastActivityAt: string | null,
  activityKnown: boolean,
  privileged: boolean,
  privilegeKnown: boolean,
  licenses: string[],
  builtIn: boolean,
  attributes: Record<string, unknown>,
];

function toTuple(account: Account): AccountTuple {
  return [
    account.source,
    account.id,
    account.login,
    account.email,
    account.emails,
    account.employeeId,
    account.displayName,
    account.enabled,
    account.rawStatus,
    account.type,
    account.createdAt,
    account.lastActivityAt,
    account.activityKnown,
    account.privileged,
    account.privilegeKnown,
    account.licenses,
    account.builtIn,
    account.attributes,
  ];
}

function fromTuple(tuple: AccountTuple, source: string): Account {
  return {
    source,
    id: tuple[1],
    login: tuple[2],
    email: tuple[3],
    emails: tuple[4],
    employeeId: tuple[5],
    displayName: tuple[6],
    enabled: tuple[7],
    rawStatus: tuple[8],
    type: tuple[9],
    createdAt: tuple[10],
    lastActivityAt: tuple[11],
    activityKnown: tuple[12],
    privileged: tuple[13],
    privilegeKnown: tuple[14],
    licenses: tuple[15],
    builtIn: tuple[16],
    attributes: tuple[17],
  };
}

/**
 * Accounts per JSON text of a page (one text a line): V8 parses a text of 100 KB or more straight into the old
 * generation (its JSON parser pretenures large inputs), where a page's accounts would be garbage a few ms later.
 */
const ACCOUNTS_PER_TEXT = 100;

/** Separates the texts of a page; never inside a UTF-8 sequence, nor inside JSON text (escaped there). */
const NEWLINE = 0x0a;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A page's bytes, built as its accounts are mapped: a text of ACCOUNTS_PER_TEXT accounts at a time goes into the
 * buffer, so a page being read (interleaved with other sources' reads, on a worker) holds at most that many accounts
 * as objects. Built as objects, the half-read pages of fourteen sources outlived the worker's young generation, and
 * the scavenges that copied them were most of its garbage collection time.
 */
export class PageEncoder {
  /** Accounts added. */
  size = 0;
  private bytes: Uint8Array;
  private length = 0;
  private tuples: AccountTuple[] = [];

  /** Fills `spare` (buffers go back and forth between the threads), growing into a new buffer past its end. */
  constructor(spare: ArrayBuffer | undefined) {
    this.bytes = new Uint8Array(spare ?? new ArrayBuffer(FIRST_BUFFER_BYTES));
  }

  add(account: Account): void {
    this.tuples.push(toTuple(account));
    this.size++;
    if (this.tuples.length === ACCOUNTS_PER_TEXT) this.writeText();
  }

  finish(): PageBytes {
    this.writeText();
    return { bytes: this.bytes.subarray(0, this.length) };
  }

  private writeText(): void {
    if (this.tuples.length === 0) return;
    const text = JSON.stringify(this.tuples);
    this.tuples = [];
    if (this.length > 0) {
      if (this.length === this.bytes.length) this.grow(1);
      this.bytes[this.length++] = NEWLINE;
    }
    // encodeInto stops at a whole character when the buffer is full: the rest goes into a bigger one.
    for (let from = 0; ;) {
      const rest = from === 0 ? text : text.slice(from);
      const { read, written } = encoder.encodeInto(rest, this.bytes.subarray(this.length));
      this.length += written;
      from += read;
      if (from === text.length) return;
      // UTF-8 takes at most 3 bytes per UTF-16 code unit.
      this.grow((text.length - from) * 3);
    }
  }

  private grow(atLeast: number): void {
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + atLeast));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}

/** About a page of 1,000 accounts as the benchmark's exports give them; the buffers then go back and forth. */
const FIRST_BUFFER_BYTES = 256 * 1024;

export function decodePage({ bytes }: PageBytes): Account[] {
  const accounts: Account[] = [];
  let source = '';
  // Each text decoded on its own: a slice of one big string would still be parsed as the big string.
  for (let start = 0; start < bytes.length;) {
    const end = bytes.indexOf(NEWLINE, start);
    const text = decoder.decode(bytes.subarray(start, end === -1 ? bytes.length : end));
    for (const tuple of JSON.parse(text) as AccountTuple[]) {
      // One string for the page's source name, not a parsed copy per account.
      if (tuple[0] !== source) source = tuple[0];
      accounts.push(fromTuple(tuple, source));
    }
    start = end === -1 ? bytes.length : end + 1;
  }
  return accounts;
}
