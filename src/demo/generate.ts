import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AccountType, HrStatus, Severity } from '../contract/model.js';
import { bumpSeverity } from '../contract/model.js';
import {
  DEMO_ANCHOR_FILE,
  DEMO_DATA_FILES,
  DEMO_EXPECTED_FILE,
  demoDataDir,
  formatCsv,
  type DemoExpected,
  type DemoExpectedAccount,
} from './prepare.js';
import {
  DEMO_AWS_FILE,
  DEMO_ENTRA_FILE,
  DEMO_GITHUB_FILE,
  DEMO_GOOGLE_FILE,
  DEMO_GOOGLE_KEY_FILE,
  DEMO_TENANT_ENV,
  type DemoAwsAccount,
  type DemoEntraApplication,
  type DemoEntraTenant,
  type DemoEntraUser,
  type DemoGitHubOrg,
  type DemoGitHubUser,
  type DemoGoogleTenant,
  type DemoGoogleUser,
} from './tenant-data.js';

/**
 * Writes the demo organisation, Northwind Labs: an HR roster, three account exports (Okta as the IdP, Slack, Box),
 * two tenants the demo serves on loopback to the real collectors (a Google Workspace directory and a GitHub
 * organization, as plain data for the fakes in test/fakes), the config, and the planted truth. A seeded PRNG makes the
 * filler (names, ids, times) repeatable; the stories that make every rule fire are written out by hand below, and
 * `expected.json` is derived from that plan, never from running the scanner. Every date is an offset from the anchor,
 * so generating for another anchor equals shifting.
 *
 * Regenerate after a build: `node dist/src/demo/generate.js [--anchor YYYY-MM-DD] [--out DIR]`.
 */

export const DEMO_SEED = 0x4e57_2026;
export const DEFAULT_DEMO_ANCHOR = '2026-11-26';

const DOMAIN = 'northwind-labs.com';
const UK_DOMAIN = 'northwind-labs.co.uk';
const DAY_MS = 86_400_000;

const DEPARTMENTS = [
  'Engineering',
  'Sales',
  'Marketing',
  'Finance',
  'People',
  'Support',
  'Legal',
  'Security',
  'Design',
  'Operations',
] as const;
type Department = (typeof DEPARTMENTS)[number];

/** Head count per department (the CEO comes on top), how many team leads, and who uses GitHub and Box. */
const DEPARTMENT_PLAN: Record<Department, { size: number; leads: number; github: number; box: number; uk: number }> = {
  Engineering: { size: 84, leads: 6, github: 1, box: 0.3, uk: 0.1 },
  Sales: { size: 42, leads: 4, github: 0, box: 0.9, uk: 0.45 },
  Marketing: { size: 20, leads: 2, github: 0.1, box: 0.9, uk: 0.3 },
  Finance: { size: 14, leads: 1, github: 0, box: 1, uk: 0.3 },
  People: { size: 10, leads: 1, github: 0, box: 1, uk: 0.2 },
  Support: { size: 32, leads: 3, github: 0.2, box: 0.6, uk: 0.5 },
  Legal: { size: 6, leads: 0, github: 0, box: 1, uk: 0.3 },
  Security: { size: 10, leads: 1, github: 1, box: 0.5, uk: 0.1 },
  Design: { size: 14, leads: 1, github: 0.5, box: 0.9, uk: 0.2 },
  Operations: { size: 16, leads: 1, github: 0.3, box: 0.8, uk: 0.3 },
};

const FILLER_TERMINATED = 19;
const FILLER_ON_LEAVE = 3;
const FILLER_CONTRACTORS = 16;

/** When each system was rolled out: accounts of earlier hires were created then. */
const ADOPTED_DAY: Record<SourceName, number> = {
  okta: -2700,
  slack: -3000,
  github: -3500,
  box: -2200,
  google: -3850,
  aws: -3400,
};

export const DEMO_GITHUB_ORG = 'northwind-labs';
export const DEMO_GOOGLE_CUSTOMER_ID = 'C03nw7k2q';
/** Where Google Workspace keeps machine users; the config declares it in serviceOrgUnits. */
const GOOGLE_SERVICE_OU = '/Service Accounts';
export const DEMO_AWS_ACCOUNT_ID = '481516234200';
const AWS_ADMIN_GROUP = 'Admins';
const AWS_ADMINISTRATOR_ACCESS = 'arn:aws:iam::aws:policy/AdministratorAccess';
/** The credential report's name for the account's root user. */
const AWS_ROOT_LOGIN = '<root_account>';

const FIRST_NAMES = `
  James Oliver Harry George Jack Charlie Thomas William Henry Edward Daniel Matthew Joseph Luke Ryan Adam Nathan
  Jacob Owen Rhys Dylan Aaron Connor Lewis Jamie Kieran Declan Sean Niall Euan Finlay Angus Rory Hamish Amelia
  Olivia Emily Sophie Jessica Lucy Ella Grace Megan Holly Ellie Katie Rebecca Laura Rachel Charlotte Eleanor
  Abigail Freya Imogen Poppy Niamh Caitlin Siobhan Eilidh Carys Ffion Siân Aisha Fatima Zainab Maryam Amir Omar
  Yusuf Hassan Bilal Tariq Arjun Rohan Vikram Anil Sanjay Ananya Kavya Neha Deepa Meera Wei Jun Mei Xin Hui Yuki
  Haruto Kenji Min-jun Ji-woo Thanh Linh Chidi Emeka Tunde Kofi Adaeze Ngozi Folake Yetunde Abena Efua José Diego
  Carlos Lucía Sofía Mateo Javier Ana Inés Pablo Łukasz Piotr Katarzyna Agnieszka Tomasz Ewa Lars Ingrid Sven
  Astrid Anders Freja Marco Giulia Luca Francesca Matteo Pierre Camille Léa Hugo Manon Zoë Noah Liam Mia Ava Leah
  Naomi Esther Ruth Miriam Gabriel Rafael Dmitri Olga Irina Nikolai Ayesha Sana Farah Kemal Elif Deniz Mehmet
  Bethan Gwen Iwan
`
  .trim()
  .split(/\s+/);

const LAST_NAMES = `
  Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts
  Green Hall Wood Jackson Clarke Patel Khan Lewis Phillips Mason Mitchell Rose Davis Rodriguez Cox Hughes Edwards
  Hill Moore Clark Harrison Scott Young Morris Lee Harris Cooper Ward Watson Baker Carter Shaw Ellis Fraser
  Campbell Stewart MacDonald Kerr Sutherland Ferguson O'Brien O'Connor Byrne Doyle Kelly Quinn Llewellyn Pritchard
  Vaughan Bevan Ahmed Hussain Ali Shah Chaudhry Iqbal Sharma Gupta Mehta Reddy Nair Menon Desai Kapoor Singh Wang
  Zhang Liu Huang Zhao Wu Tanaka Sato Nakamura Kim Park Nguyen Tran Okonkwo Balogun Boateng Asante Nwachukwu Eze
  Garcia Martinez Fernández López Santos Silva Pereira Costa Nowak Kowalski Zieliński Lewandowski Johansson
  Andersson Nilsson Larsen Hansen Rossi Russo Bianchi Ferrari Dubois Moreau Laurent Müller Schmidt Becker Hoffmann
  Novak Petrov Ivanova Yilmaz Demir Kaya Cohen Levi Friedman Abbott Barker Fletcher Holt Keane Lambert Marsh Nash
  Osborne Palmer Reeves Sharp Tate Yates Ashby Greenwood Whitfield Sinclair Pemberton Rowe
`
  .trim()
  .split(/\s+/);

type SourceName = 'okta' | 'slack' | 'github' | 'box' | 'google' | 'aws';
/** Sources the demo ships as CSV exports; Google, GitHub and AWS are served as tenants. */
type CsvSourceName = 'okta' | 'slack' | 'box';
/** `deleted` in Google or GitHub means gone from the tenant: the account is not written at all. */
type AccountStatus = 'active' | 'disabled' | 'suspended' | 'archived' | 'deleted';
/**
 * How a GitHub account is tied to a corporate identity (SPEC "GitHub"): the org's SAML SSO identity, an email of the
 * org's verified domains, or nothing (an unlinked member matches no one).
 */
type GitHubLink = 'saml' | 'verified-domain-email' | 'none';
type Role = 'ceo' | 'head' | 'lead' | 'member';

interface PlannedPerson {
  key: string;
  first: string;
  last: string;
  email: string;
  department: Department;
  role: Role;
  workerType: 'employee' | 'contractor';
  status: HrStatus;
  hireDay: number;
  /** Termination date (or contract end) as a day offset from the anchor. */
  endDay: number | null;
  /** Works for the UK subsidiary: may use @northwind-labs.co.uk addresses. */
  uk: boolean;
  aliases: string[];
  /** The last day the person used anything: recent when working, the leave start, or the last day worked. */
  lastSeenDay: number;
  employeeId: string;
  managerId: string | null;
}

type Expectation =
  | { kind: 'open'; rule: RuleId; why: string; personId: string | null; severity?: Severity }
  | { kind: 'excepted'; rule: RuleId; why: string; personId: string | null }
  | { kind: 'clean'; why: string; personId: string | null };

interface PlannedAccount {
  source: SourceName;
  id: string;
  login: string;
  email: string;
  employeeId: string;
  displayName: string;
  status: AccountStatus;
  type: AccountType;
  createdAt: string;
  /** Null: never signed in. Box has no such column at all. */
  lastLoginAt: string | null;
  privileged: boolean;
  licenses: string[];
  expectation: Expectation | null;
  /** Row order in the export. */
  order: number;
  /** GitHub only. */
  githubLink?: GitHubLink;
  /** GitHub only: a pending invitation rather than a member (outside collaborators are the `guest` type). */
  invitation?: boolean;
  /** Google only (default "/"). */
  orgUnitPath?: string;
  /**
   * AWS only: what the IAM user can authenticate with (an active status needs one of them; disabled keeps the user
   * with no password and its key deactivated). The root user is planned as an account too, written apart.
   */
  aws?: { password: boolean; accessKey: boolean; root?: boolean };
  /** AWS only: what a rule must say about the access key `aws.accessKey` gives the user (healthy when left out). */
  keyExpectation?: Expectation;
  /** Credentials planted on the account beyond that key: more AWS access keys, GitHub SSO credential authorizations. */
  credentials?: PlannedCredential[];
}

/**
 * A credential that can outlive its account (SPEC "Credentials that outlive accounts"): an AWS access key, or a PAT
 * or SSH key a GitHub member authorized for the org's SAML SSO. Its expectation is keyed by the vendor's id.
 */
interface PlannedCredential {
  /** AccessKeyId, or GitHub's credential_id. */
  id: string;
  type: 'access key' | 'personal access token' | 'SSH key';
  /** A PAT's note or an SSH key's title. */
  label: string;
  createdAt: string;
  /** Null: never used. */
  lastUsedAt: string | null;
  /** GitHub tokens: the scopes; SSH keys have none. */
  scopes?: string[];
  /** GitHub: the token's last eight characters or the key's fingerprint, as GitHub shows them. */
  hint?: string;
  expectation: Expectation;
}

const RULE_SEVERITY = {
  'ambiguous-owner': 'low',
  'credential-outlived-owner': 'critical',
  'dormant-account': 'medium',
  'idp-disabled-app-active': 'high',
  'never-logged-in': 'low',
  'orphan-account': 'high',
  'ownerless-app-secret': 'high',
  'past-end-date': 'high',
  'root-credentials-in-use': 'high',
  'stale-guest': 'medium',
  'terminated-still-active': 'critical',
  'unowned-service-account': 'medium',
  'unused-credential': 'medium',
} as const satisfies Record<string, Severity>;
type RuleId = keyof typeof RULE_SEVERITY;

const ACCOUNT_HEADER = [
  'id',
  'login',
  'email',
  'employee_id',
  'display_name',
  'status',
  'type',
  'created_at',
  'last_login_at',
  'privileged',
  'licenses',
];
/** Per source: the columns its export carries. Slack and Box know emails only; Box has no last login. */
const SOURCE_COLUMNS: Record<CsvSourceName, string[]> = {
  okta: ACCOUNT_HEADER,
  slack: ACCOUNT_HEADER.filter((column) => column !== 'employee_id'),
  box: ACCOUNT_HEADER.filter((column) => column !== 'employee_id' && column !== 'last_login_at'),
};

const ROSTER_HEADER = [
  'employee_id',
  'email',
  'name',
  'status',
  'worker_type',
  'hire_date',
  'termination_date',
  'manager_id',
  'department',
  'aliases',
];

/** mulberry32: a tiny, well-known 32-bit PRNG; enough for repeatable filler. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** ASCII mailbox part of a name: Łukasz -> lukasz, O'Brien -> obrien, Siân -> sian. */
function slug(name: string): string {
  return name
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z-]/g, '');
}

function withPlusTag(email: string, tag: string): string {
  const [local, domain] = email.split('@') as [string, string];
  return `${local}+${tag}@${domain}`;
}

function ukForm(email: string): string {
  return email.replace(`@${DOMAIN}`, `@${UK_DOMAIN}`);
}

interface CastMember {
  key: string;
  first: string;
  last: string;
  department: Department;
  role?: Role;
  workerType?: 'employee' | 'contractor';
  status?: HrStatus;
  hireDay: number;
  endDay?: number;
  uk?: boolean;
  aliases?: string[];
  lastSeenDay?: number;
}

function member(
  key: string,
  name: string,
  department: Department,
  hireDay: number,
  extra: Partial<CastMember> = {},
): CastMember {
  const [first, last] = name.split(' ') as [string, string];
  return { key, first, last, department, hireDay, ...extra };
}

/** The people the planted stories are about (day offsets from the anchor). Everyone else is filler. */
const CAST: CastMember[] = [
  member('ceo', 'Helen Ashworth', 'Operations', -3900, { role: 'ceo' }),
  member('ciso', 'Imran Siddiqui', 'Security', -2900, { role: 'head' }),
  member('vpEngineering', 'Kate Lindgren', 'Engineering', -3700, { role: 'head' }),
  member('platformLead', 'Joel Mensah', 'Engineering', -2300, { role: 'lead' }),
  member('itAdmin', 'Rosa Delgado', 'Operations', -2500, { role: 'lead' }),
  // terminated-still-active
  member('gareth', 'Gareth Pryce', 'Sales', -900, { status: 'terminated', endDay: -40 }),
  member('nadia', 'Nadia Rahman', 'Engineering', -2100, { status: 'terminated', endDay: -12 }),
  member('callum', 'Callum Reid', 'Finance', -1400, { status: 'terminated', endDay: -25, uk: true }),
  member('marta', 'Marta Kowalczyk', 'Engineering', -1200, { status: 'terminated', endDay: -70 }),
  // the declared owner of a service account, who has left
  member('leo', 'Leo Fischer', 'Engineering', -1600, { status: 'terminated', endDay: -60 }),
  // past-end-date: contractors whose contract ended, still active in HR
  member('dev', 'Dev Malhotra', 'Engineering', -300, { workerType: 'contractor', endDay: -21 }),
  member('chloe', 'Chloe Bennett', 'Marketing', -200, { workerType: 'contractor', endDay: -45 }),
  // idp-disabled-app-active
  member('samuel', 'Samuel Okafor', 'Engineering', -700),
  // dormant-account
  member('tom', 'Tom Hargreaves', 'Operations', -1000, { lastSeenDay: -118, uk: true }),
  member('fiona', 'Fiona Gallagher', 'Finance', -1300),
  // never-logged-in
  member('amara', 'Amara Nwosu', 'Legal', -500),
  member('ben', 'Ben Lucas', 'Finance', -600),
  // ambiguous-owner: both list the old shared UK mailbox as theirs
  member('alexMorgan', 'Alex Morgan', 'Sales', -1800, { uk: true, aliases: [`alex@${UK_DOMAIN}`] }),
  member('alexChen', 'Alex Chen', 'Support', -1100, { uk: true, aliases: [`alex@${UK_DOMAIN}`] }),
  // tempting non-findings: on leave, a future last day, working notice, a rehire, a future starter, a typo victim
  member('hannah', 'Hannah Schofield', 'Marketing', -1500, { status: 'leave', lastSeenDay: -150 }),
  member('oscar', 'Oscar Lindqvist', 'Sales', -800, { status: 'terminated', endDay: 10 }),
  member('isla', 'Isla Murray', 'Support', -650, { endDay: 30, uk: true }),
  member('priyaFirstStint', 'Priya Natarajan', 'Engineering', -1500, { status: 'terminated', endDay: -500 }),
  member('priya', 'Priya Natarajan', 'Engineering', -200),
  member('ruby', 'Ruby Adeyemi', 'Support', 5, { lastSeenDay: 5 }),
  member('jonathan', 'Jonathan Price', 'Finance', -1700),
];

/** Mailboxes that must belong to no one in HR (the orphans) and so must not be drawn for filler. */
const ORPHAN_EMAILS = [`ethan.walsh@${DOMAIN}`, `oliver.grant@${DOMAIN}`, `jonathon.price@${DOMAIN}`];

export interface GenerateDemoOptions {
  /** The day the data represents, YYYY-MM-DD. */
  anchor: string;
  seed?: number;
}

class DemoPlanner {
  readonly random: () => number;
  private readonly anchorMs: number;
  private readonly usedIds = new Set<string>();
  private readonly usedHandles = new Set<string>();
  private accountOrder = 0;
  readonly people: PlannedPerson[] = [];
  readonly accounts: PlannedAccount[] = [];

  constructor(
    readonly anchor: string,
    seed: number,
  ) {
    this.random = mulberry32(seed);
    this.anchorMs = Date.parse(`${anchor}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(anchor) || Number.isNaN(this.anchorMs)) {
      throw new Error(`anchor must be a date as YYYY-MM-DD, got "${anchor}"`);
    }
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.random() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const result = [...items];
    for (let index = result.length - 1; index > 0; index--) {
      const other = Math.floor(this.random() * (index + 1));
      [result[index], result[other]] = [result[other]!, result[index]!];
    }
    return result;
  }

  date(day: number): string {
    return new Date(this.anchorMs + day * DAY_MS).toISOString().slice(0, 10);
  }

  /** A working-hours instant (UTC) on the given day. */
  time(day: number): string {
    const minute = this.int(7 * 60, 19 * 60 - 1);
    return new Date(this.anchorMs + day * DAY_MS + minute * 60_000).toISOString().slice(0, 19) + 'Z';
  }

  uniqueId(make: () => string): string {
    for (;;) {
      const id = make();
      if (!this.usedIds.has(id)) {
        this.usedIds.add(id);
        return id;
      }
    }
  }

  idFor(source: SourceName, invitation = false): string {
    const chars = (alphabet: string, length: number) =>
      Array.from({ length }, () => alphabet[this.int(0, alphabet.length - 1)]).join('');
    switch (source) {
      case 'okta':
        return this.uniqueId(() => '00u' + chars('abcdefghijklmnopqrstuvwxyz0123456789', 17));
      case 'slack':
        return this.uniqueId(() => 'U0' + chars('ABCDEFGHJKLMNPQRSTUVWXYZ0123456789', 9));
      case 'github':
        // Pending invitations have ids of their own; collectors/github prefixes them so they never clash with users.
        return invitation
          ? this.uniqueId(() => `invitation:${this.int(100_000_000, 199_999_999)}`)
          : this.uniqueId(() => String(this.int(1_000_000, 189_999_999)));
      case 'google':
        return this.uniqueId(() => '1' + chars('0123456789', 20));
      case 'aws':
        return this.uniqueId(() => 'AIDA' + chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 17));
      case 'box':
        return this.uniqueId(() => String(this.int(10_000_000_000, 39_999_999_999)));
    }
  }

  claimHandle(handle: string): string {
    if (this.usedHandles.has(handle)) throw new Error(`demo plan reuses the GitHub handle ${handle}`);
    this.usedHandles.add(handle);
    return handle;
  }

  githubHandle(person: PlannedPerson): string {
    const first = slug(person.first);
    const last = slug(person.last);
    for (;;) {
      const candidate = this.pick([
        `${first[0]}${last}`,
        `${first}-${last}`,
        `${first}${last}`,
        `${first}${this.int(2, 99)}`,
        `${last}${first[0]}`,
        `${first}-dev`,
        `${first}${last[0]}-nw`,
      ]);
      if (!this.usedHandles.has(candidate)) return this.claimHandle(candidate);
    }
  }

  addAccount(account: Omit<PlannedAccount, 'order' | 'id'> & { id?: string }): PlannedAccount {
    const planned: PlannedAccount = {
      ...account,
      id: account.id ?? this.idFor(account.source, account.invitation === true),
      order: this.accountOrder++,
    };
    this.accounts.push(planned);
    return planned;
  }
}

interface PersonAccountOptions {
  status?: AccountStatus;
  /** Null: never signed in. */
  lastLoginDay?: number | null;
  createdDay?: number;
  email?: string;
  login?: string;
  privileged?: boolean;
  licenses?: string[];
  withEmployeeId?: boolean;
  expectation?: Expectation;
  githubLink?: GitHubLink;
  /** AWS: console password (default) and/or an access key. */
  aws?: { password: boolean; accessKey: boolean };
}

/** The status a clean offboarding leaves behind in each system. */
function offboardedStatus(planner: DemoPlanner, source: SourceName): AccountStatus {
  switch (source) {
    case 'okta':
      return planner.chance(0.7) ? 'deleted' : 'suspended';
    case 'slack':
      return 'deleted';
    // Removed from the org: a GitHub account outlives its membership, but no longer shows in the org.
    case 'github':
      return 'deleted';
    // Offboarding deletes the IAM user.
    case 'aws':
      return 'deleted';
    // Leavers are suspended, then deleted once their mail is handed over.
    case 'google':
      return planner.chance(0.75) ? 'suspended' : 'deleted';
    default:
      return 'disabled';
  }
}

function personAccount(
  planner: DemoPlanner,
  source: SourceName,
  person: PlannedPerson,
  options: PersonAccountOptions = {},
): PlannedAccount {
  const offboarded = person.status === 'terminated' && person.endDay !== null && person.endDay < 0;
  const status = options.status ?? (offboarded ? offboardedStatus(planner, source) : 'active');
  const createdDay =
    options.createdDay ?? Math.max(person.hireDay - planner.int(1, 6), ADOPTED_DAY[source] + planner.int(0, 30));
  const quietDays = source === 'github' ? (person.department === 'Engineering' ? 20 : 40) : 3;
  const defaultLastLogin = Math.max(Math.min(person.lastSeenDay - planner.int(0, quietDays), -1), createdDay);
  const lastLoginDay = options.lastLoginDay === undefined ? defaultLastLogin : options.lastLoginDay;
  const email = options.email ?? person.email;
  const handle = source === 'github' ? (options.login ?? planner.githubHandle(person)) : undefined;
  const login =
    options.login ??
    handle ??
    (source === 'aws' ? `${slug(person.first)}.${slug(person.last)}` : undefined) ??
    (source === 'slack' ? person.email.split('@')[0]! : source === 'box' || source === 'google' ? email : person.email);
  return planner.addAccount({
    source,
    login,
    email,
    employeeId: options.withEmployeeId === false ? '' : person.employeeId,
    displayName: `${person.first} ${person.last}`,
    status,
    type: 'human',
    createdAt: planner.time(createdDay),
    lastLoginAt: lastLoginDay === null ? null : planner.time(lastLoginDay),
    privileged: options.privileged ?? false,
    licenses: options.licenses ?? [],
    expectation: options.expectation ?? null,
    ...(source === 'github' ? { githubLink: options.githubLink ?? 'saml' } : {}),
    ...(source === 'aws' ? { aws: options.aws ?? { password: true, accessKey: false } } : {}),
  });
}

interface OtherAccount {
  source: SourceName;
  login: string;
  email?: string;
  displayName: string;
  type: AccountType;
  createdDay: number;
  lastLoginDay: number | null;
  privileged?: boolean;
  expectation: Expectation;
  githubLink?: GitHubLink;
  invitation?: boolean;
  orgUnitPath?: string;
  aws?: PlannedAccount['aws'];
  id?: string;
}

/** An account that belongs to no one in HR: an orphan, a guest, a service account or a bot. */
function otherAccount(planner: DemoPlanner, account: OtherAccount): PlannedAccount {
  return planner.addAccount({
    source: account.source,
    login: account.login,
    email: account.email ?? '',
    employeeId: '',
    displayName: account.displayName,
    status: 'active',
    type: account.type,
    createdAt: planner.time(account.createdDay),
    lastLoginAt: account.lastLoginDay === null ? null : planner.time(account.lastLoginDay),
    privileged: account.privileged ?? false,
    licenses: [],
    expectation: account.expectation,
    ...(account.source === 'github' ? { githubLink: account.githubLink ?? 'none' } : {}),
    ...(account.invitation ? { invitation: true } : {}),
    ...(account.orgUnitPath ? { orgUnitPath: account.orgUnitPath } : {}),
    ...(account.aws ? { aws: account.aws } : {}),
    ...(account.id ? { id: account.id } : {}),
  });
}

function planPeople(planner: DemoPlanner): Map<string, PlannedPerson> {
  const cast = new Map<string, PlannedPerson>();
  const takenEmails = new Set<string>(ORPHAN_EMAILS);
  const makePerson = (fields: Omit<PlannedPerson, 'email' | 'employeeId' | 'managerId'>): PlannedPerson => {
    const person: PlannedPerson = {
      ...fields,
      email: `${slug(fields.first)}.${slug(fields.last)}@${DOMAIN}`,
      employeeId: '',
      managerId: null,
    };
    takenEmails.add(person.email);
    planner.people.push(person);
    return person;
  };

  for (const member of CAST) {
    const status = member.status ?? 'active';
    const lastSeenDay =
      member.lastSeenDay ?? (status === 'terminated' && (member.endDay ?? 0) < 0 ? member.endDay! : -1);
    cast.set(
      member.key,
      makePerson({
        key: member.key,
        first: member.first,
        last: member.last,
        department: member.department,
        role: member.role ?? 'member',
        workerType: member.workerType ?? 'employee',
        status,
        hireDay: member.hireDay,
        endDay: member.endDay ?? null,
        uk: member.uk ?? false,
        aliases: member.aliases ?? [],
        lastSeenDay,
      }),
    );
  }

  // Filler: heads and leads first (never leavers), then members; statuses are dealt out afterwards.
  const filler: PlannedPerson[] = [];
  for (const department of DEPARTMENTS) {
    const plan = DEPARTMENT_PLAN[department];
    const castInDepartment = [...cast.values()].filter(
      (person) => person.department === department && person.role !== 'ceo' && person.key !== 'priyaFirstStint',
    );
    const castHasHead = castInDepartment.some((person) => person.role === 'head');
    const castLeads = castInDepartment.filter((person) => person.role === 'lead').length;
    const roles: Role[] = [
      ...(castHasHead ? [] : (['head'] as Role[])),
      ...Array.from({ length: Math.max(plan.leads - castLeads, 0) }, () => 'lead' as Role),
    ];
    while (roles.length + castInDepartment.length < plan.size) roles.push('member');
    for (const role of roles) {
      let first: string;
      let last: string;
      do {
        first = planner.pick(FIRST_NAMES);
        last = planner.pick(LAST_NAMES);
      } while (takenEmails.has(`${slug(first)}.${slug(last)}@${DOMAIN}`));
      const hireDay =
        role === 'head'
          ? planner.int(-3850, -2600)
          : role === 'lead'
            ? planner.int(-3000, -900)
            : -10 - Math.floor(3190 * planner.random() ** 1.6);
      filler.push(
        makePerson({
          key: `filler-${filler.length}`,
          first,
          last,
          department,
          role,
          workerType: 'employee',
          status: 'active',
          hireDay,
          endDay: null,
          uk: planner.chance(plan.uk),
          aliases: [],
          lastSeenDay: -1,
        }),
      );
    }
  }

  const members = planner.shuffle(filler.filter((person) => person.role === 'member'));
  for (const person of members.slice(0, FILLER_TERMINATED)) {
    person.status = 'terminated';
    person.endDay = planner.int(-350, -8);
    person.hireDay = Math.min(person.hireDay, person.endDay - planner.int(90, 1500));
    person.lastSeenDay = person.endDay - planner.int(0, 2);
  }
  for (const person of members.slice(FILLER_TERMINATED, FILLER_TERMINATED + FILLER_ON_LEAVE)) {
    person.status = 'leave';
    person.lastSeenDay = planner.int(-80, -30);
    person.hireDay = Math.min(person.hireDay, person.lastSeenDay - 200);
  }
  const contractorsFrom = FILLER_TERMINATED + FILLER_ON_LEAVE;
  for (const person of members.slice(contractorsFrom, contractorsFrom + FILLER_CONTRACTORS)) {
    person.workerType = 'contractor';
    person.hireDay = planner.int(-700, -30);
    person.endDay = planner.chance(0.75) ? planner.int(20, 300) : null;
  }

  // UK staff get their short .co.uk mailbox as an alias, unless someone already claims it (only the planted pair
  // of Alexes may share one).
  const claimedAliases = new Set(planner.people.flatMap((person) => person.aliases));
  for (const person of filler) {
    const alias = `${slug(person.first)}@${UK_DOMAIN}`;
    if (person.uk && planner.chance(0.6) && !claimedAliases.has(alias)) {
      claimedAliases.add(alias);
      person.aliases.push(alias);
    }
  }

  // Employee ids follow hire order, as most HR systems number them.
  const byHire = [...planner.people].sort((a, b) => a.hireDay - b.hireDay);
  byHire.forEach((person, index) => (person.employeeId = `E${1000 + index}`));

  const ceo = cast.get('ceo')!;
  for (const department of DEPARTMENTS) {
    const inDepartment = planner.people.filter((person) => person.department === department && person.role !== 'ceo');
    const head = inDepartment.find((person) => person.role === 'head')!;
    const leads = inDepartment.filter((person) => person.role === 'lead');
    head.managerId = ceo.employeeId;
    for (const lead of leads) lead.managerId = head.employeeId;
    for (const person of inDepartment.filter((candidate) => candidate.role === 'member')) {
      person.managerId = leads.length > 0 && planner.chance(0.85) ? planner.pick(leads).employeeId : head.employeeId;
    }
  }
  return cast;
}

/** Everyone's ordinary accounts, as a well-run offboarding leaves them. */
function planFillerAccounts(planner: DemoPlanner, person: PlannedPerson): void {
  const plan = DEPARTMENT_PLAN[person.department];
  const terminated = person.status === 'terminated';
  const alias = person.aliases[0];

  const oktaHasEmployeeId = planner.chance(0.9);
  personAccount(planner, 'okta', person, {
    withEmployeeId: oktaHasEmployeeId,
    expectation:
      oktaHasEmployeeId || terminated
        ? undefined
        : { kind: 'clean', why: 'no employee id in Okta: matched by email', personId: person.employeeId },
  });

  if (planner.chance(terminated ? 0.9 : 0.97)) {
    const variant = planner.random();
    let email = person.email;
    let why: string | null = null;
    if (person.uk && alias && variant < 0.3) {
      email = alias;
      why = 'UK short mailbox: matches through the HR aliases and domainAliases';
    } else if (person.uk && variant < 0.5) {
      email = ukForm(person.email);
      why = '.co.uk address: matches through domainAliases';
    } else if (variant < 0.08) {
      email = withPlusTag(person.email, 'slack');
      why = 'plus-tagged address: matches once the tag is stripped';
    }
    personAccount(planner, 'slack', person, {
      email,
      expectation: why && !terminated ? { kind: 'clean', why, personId: person.employeeId } : undefined,
    });
  }

  // Everyone has a Google Workspace mailbox; most carry the HR employee id as an organization external id.
  const googleHasEmployeeId = planner.chance(0.8);
  personAccount(planner, 'google', person, {
    withEmployeeId: googleHasEmployeeId,
    expectation:
      googleHasEmployeeId || terminated
        ? undefined
        : { kind: 'clean', why: 'no external id in Google: matched by primary email', personId: person.employeeId },
  });

  if (planner.chance(plan.github) && (!terminated || planner.chance(0.3))) {
    // SAML SSO came late: members from before it linked through a verified northwind email instead, a few of them
    // plus-tagged.
    const link: GitHubLink = planner.chance(0.8) ? 'saml' : 'verified-domain-email';
    const plusTagged = link === 'verified-domain-email' && planner.chance(0.4);
    personAccount(planner, 'github', person, {
      email: plusTagged ? withPlusTag(person.email, 'github') : person.email,
      githubLink: link,
      licenses: person.department === 'Engineering' && planner.chance(0.6) ? ['copilot-business'] : [],
      expectation:
        link === 'verified-domain-email' && !terminated
          ? {
              kind: 'clean',
              why: plusTagged
                ? 'verified-domain email, plus-tagged: matches once the tag is stripped'
                : 'no SAML identity: linked through a verified-domain email',
              personId: person.employeeId,
            }
          : undefined,
    });
  }

  // The platform and security people hold IAM users in the production AWS account; leavers' users are deleted.
  const awsChance = person.department === 'Engineering' ? 0.2 : person.department === 'Security' ? 0.4 : 0;
  if (!terminated && planner.chance(awsChance)) {
    const accessKey = planner.chance(0.4);
    personAccount(planner, 'aws', person, { aws: { password: true, accessKey } });
  }

  if (planner.chance(plan.box)) {
    personAccount(planner, 'box', person, {
      email: person.uk && planner.chance(0.4) ? ukForm(person.email) : person.email,
      licenses: ['box-business'],
    });
  }
}

function planStories(planner: DemoPlanner, cast: Map<string, PlannedPerson>): ConfigPeople {
  const who = (key: string) => cast.get(key)!;
  const id = (key: string) => who(key).employeeId;
  const open = (rule: RuleId, key: string | null, why: string, severity?: Severity): Expectation => ({
    kind: 'open',
    rule,
    why,
    personId: key === null ? null : id(key),
    ...(severity ? { severity } : {}),
  });
  const clean = (key: string | null, why: string): Expectation => ({
    kind: 'clean',
    why,
    personId: key === null ? null : id(key),
  });

  // Leadership and IT: the people the config names as owners. Rosa (IT) is the Google super admin the scan's service
  // account impersonates; Kate is the GitHub owner whose read-only token the scan uses.
  for (const key of ['ceo', 'vpEngineering', 'platformLead']) personAccount(planner, 'google', who(key));
  personAccount(planner, 'google', who('ciso'), { privileged: true });
  personAccount(planner, 'google', who('itAdmin'), { privileged: true });
  personAccount(planner, 'aws', who('ciso'));
  personAccount(planner, 'aws', who('platformLead'), { privileged: true, aws: { password: true, accessKey: true } });
  personAccount(planner, 'aws', who('vpEngineering'), {
    privileged: true,
    lastLoginDay: -160,
    expectation: open(
      'dormant-account',
      'vpEngineering',
      "VP Engineering's administrator IAM user from the early days, unused for 160 days (privileged: medium raised to high)",
    ),
  });
  personAccount(planner, 'okta', who('ceo'));
  personAccount(planner, 'slack', who('ceo'), { privileged: true });
  personAccount(planner, 'box', who('ceo'), { licenses: ['box-business'] });
  personAccount(planner, 'okta', who('ciso'), { privileged: true });
  personAccount(planner, 'slack', who('ciso'));
  personAccount(planner, 'github', who('ciso'), { login: planner.claimHandle('imran-sec') });
  personAccount(planner, 'okta', who('vpEngineering'));
  personAccount(planner, 'slack', who('vpEngineering'));
  personAccount(planner, 'github', who('vpEngineering'), {
    login: planner.claimHandle('klindgren'),
    privileged: true,
    licenses: ['copilot-business'],
  });
  personAccount(planner, 'okta', who('platformLead'));
  personAccount(planner, 'slack', who('platformLead'));
  personAccount(planner, 'github', who('platformLead'), {
    login: planner.claimHandle('joelmensah'),
    licenses: ['copilot-business'],
  });
  personAccount(planner, 'okta', who('itAdmin'), { privileged: true });
  personAccount(planner, 'slack', who('itAdmin'), { privileged: true });
  personAccount(planner, 'box', who('itAdmin'), { privileged: true, licenses: ['box-business'] });

  // terminated-still-active
  const gareth = who('gareth');
  personAccount(planner, 'okta', gareth, { status: 'deleted' });
  personAccount(planner, 'slack', gareth, {
    status: 'active',
    email: withPlusTag(gareth.email, 'slack'),
    expectation: open(
      'terminated-still-active',
      'gareth',
      'left 40 days ago; Slack was never deactivated (plus-tagged email)',
    ),
  });
  personAccount(planner, 'box', gareth, { status: 'disabled', licenses: ['box-business'] });
  personAccount(planner, 'google', gareth, {
    status: 'active',
    lastLoginDay: -41,
    expectation: open(
      'terminated-still-active',
      'gareth',
      'left 40 days ago; his Google mailbox was kept "for forwarding" and never suspended',
    ),
  });

  const nadia = who('nadia');
  personAccount(planner, 'okta', nadia, { status: 'suspended' });
  personAccount(planner, 'slack', nadia, { status: 'deleted' });
  personAccount(planner, 'google', nadia, { status: 'suspended' });
  personAccount(planner, 'github', nadia, {
    status: 'active',
    login: planner.claimHandle('nrahman'),
    privileged: true,
    licenses: ['copilot-business'],
    expectation: open(
      'terminated-still-active',
      'nadia',
      'left 12 days ago and is still a GitHub organisation owner (privileged: stays critical)',
    ),
  });

  const callum = who('callum');
  personAccount(planner, 'okta', callum, {
    status: 'active',
    expectation: open('terminated-still-active', 'callum', 'left 25 days ago; missed in the IdP itself'),
  });
  personAccount(planner, 'slack', callum, { status: 'deleted' });
  personAccount(planner, 'google', callum, { status: 'suspended' });
  personAccount(planner, 'box', callum, {
    status: 'active',
    email: ukForm(callum.email),
    licenses: ['box-business'],
    expectation: open(
      'terminated-still-active',
      'callum',
      'left 25 days ago; Box (.co.uk address) still active though its activity is unknown',
    ),
  });

  const marta = who('marta');
  personAccount(planner, 'okta', marta, { status: 'deleted' });
  personAccount(planner, 'slack', marta, { status: 'deleted' });
  personAccount(planner, 'google', marta, { status: 'suspended' });
  personAccount(planner, 'aws', marta, {
    status: 'disabled',
    lastLoginDay: -72,
    aws: { password: false, accessKey: true },
    expectation: clean(
      'marta',
      'IAM user kept for the audit trail: no password, access key deactivated on her last day',
    ),
  });
  personAccount(planner, 'github', marta, {
    status: 'active',
    login: planner.claimHandle('mkowalczyk'),
    lastLoginDay: -50,
    expectation: open(
      'terminated-still-active',
      'marta',
      'left 70 days ago; kept for a handover under an exception that expired 35 days ago, used after leaving',
    ),
  });

  const leo = who('leo');
  personAccount(planner, 'okta', leo, { status: 'deleted' });
  personAccount(planner, 'slack', leo, { status: 'deleted' });
  personAccount(planner, 'google', leo, {
    status: 'archived',
    expectation: clean('leo', 'left 60 days ago; archived in Google (data kept, cannot sign in): not active'),
  });
  personAccount(planner, 'aws', leo, {
    status: 'active',
    lastLoginDay: -1,
    aws: { password: false, accessKey: true },
    expectation: open(
      'terminated-still-active',
      'leo',
      'left 60 days ago; his console password was removed, but his IAM access key still signs the nightly sync',
    ),
  });
  // GitHub invitations expire after 7 days, so this one is fresh: sent to a leaver's work address by a teammate.
  otherAccount(planner, {
    source: 'github',
    invitation: true,
    login: leo.email,
    email: leo.email,
    displayName: '',
    type: 'human',
    createdDay: -3,
    lastLoginDay: null,
    expectation: open(
      'terminated-still-active',
      'leo',
      'pending GitHub invitation sent 3 days ago to the work address of Leo Fischer, who left 60 days ago',
    ),
  });

  // past-end-date
  const dev = who('dev');
  const devWhy = 'contractor whose contract ended 21 days ago, still active in HR';
  personAccount(planner, 'okta', dev, {
    lastLoginDay: -22,
    expectation: open('past-end-date', 'dev', devWhy),
  });
  personAccount(planner, 'slack', dev, { lastLoginDay: -22, expectation: open('past-end-date', 'dev', devWhy) });
  personAccount(planner, 'google', dev, { lastLoginDay: -22, expectation: open('past-end-date', 'dev', devWhy) });
  personAccount(planner, 'aws', dev, {
    lastLoginDay: -24,
    aws: { password: true, accessKey: true },
    expectation: open('past-end-date', 'dev', devWhy),
  });
  personAccount(planner, 'github', dev, {
    login: planner.claimHandle('devmalhotra-io'),
    lastLoginDay: -23,
    expectation: open('past-end-date', 'dev', devWhy),
  });
  const chloe = who('chloe');
  const chloeWhy = 'agency contractor whose contract ended 45 days ago, still active in HR';
  personAccount(planner, 'okta', chloe, {
    withEmployeeId: false,
    lastLoginDay: -46,
    expectation: open('past-end-date', 'chloe', chloeWhy),
  });
  personAccount(planner, 'slack', chloe, {
    lastLoginDay: -47,
    expectation: open('past-end-date', 'chloe', chloeWhy),
  });
  personAccount(planner, 'google', chloe, {
    withEmployeeId: false,
    lastLoginDay: -46,
    expectation: open('past-end-date', 'chloe', chloeWhy),
  });

  // idp-disabled-app-active
  const samuel = who('samuel');
  const samuelWhy = 'Okta suspended after a suspicious sign-in 6 days ago; the app account still works';
  personAccount(planner, 'okta', samuel, { status: 'suspended', lastLoginDay: -6 });
  personAccount(planner, 'slack', samuel, {
    lastLoginDay: -2,
    expectation: open('idp-disabled-app-active', 'samuel', samuelWhy),
  });
  personAccount(planner, 'github', samuel, {
    login: planner.claimHandle('sokafor'),
    lastLoginDay: -3,
    expectation: open('idp-disabled-app-active', 'samuel', samuelWhy),
  });
  personAccount(planner, 'google', samuel, {
    lastLoginDay: -2,
    expectation: open('idp-disabled-app-active', 'samuel', samuelWhy),
  });
  personAccount(planner, 'aws', samuel, {
    lastLoginDay: -4,
    expectation: open('idp-disabled-app-active', 'samuel', samuelWhy),
  });

  // dormant-account
  const tom = who('tom');
  personAccount(planner, 'okta', tom, {
    lastLoginDay: -120,
    expectation: open('dormant-account', 'tom', 'active in HR, no Okta sign-in for 120 days'),
  });
  personAccount(planner, 'slack', tom, {
    lastLoginDay: -118,
    expectation: open('dormant-account', 'tom', 'active in HR, not seen in Slack for 118 days'),
  });
  personAccount(planner, 'google', tom, {
    lastLoginDay: -119,
    expectation: open('dormant-account', 'tom', 'active in HR, no Google sign-in for 119 days'),
  });
  personAccount(planner, 'box', tom, {
    licenses: ['box-business'],
    expectation: clean('tom', 'Box activity is unknown: inactivity rules stay silent even for a dormant person'),
  });
  const fiona = who('fiona');
  personAccount(planner, 'okta', fiona);
  personAccount(planner, 'slack', fiona);
  personAccount(planner, 'box', fiona, { licenses: ['box-business'] });
  personAccount(planner, 'google', fiona);
  personAccount(planner, 'github', fiona, {
    login: planner.claimHandle('fgallagher'),
    createdDay: -400,
    lastLoginDay: -210,
    expectation: clean(
      'fiona',
      'GitHub seat for a one-off audit, unused for months: GitHub reports no activity, so dormancy is unknown',
    ),
  });

  // never-logged-in
  const amara = who('amara');
  personAccount(planner, 'okta', amara);
  personAccount(planner, 'slack', amara);
  personAccount(planner, 'box', amara, { licenses: ['box-business'] });
  personAccount(planner, 'github', amara, {
    login: planner.claimHandle('amara-nwosu'),
    createdDay: -80,
    lastLoginDay: null,
    expectation: clean('amara', 'joined GitHub 80 days ago and never used it, but GitHub cannot say so: not flagged'),
  });
  personAccount(planner, 'google', amara);
  const ben = who('ben');
  personAccount(planner, 'okta', ben);
  personAccount(planner, 'box', ben, { licenses: ['box-business'] });
  personAccount(planner, 'google', ben, {
    createdDay: -150,
    lastLoginDay: null,
    expectation: open('never-logged-in', 'ben', 'Google account made 150 days ago when Finance moved over, never used'),
  });
  personAccount(planner, 'slack', ben, {
    createdDay: -150,
    lastLoginDay: null,
    expectation: open('never-logged-in', 'ben', 'Slack account created 150 days ago, never used'),
  });

  // ambiguous-owner
  for (const key of ['alexMorgan', 'alexChen']) {
    personAccount(planner, 'google', who(key));
    personAccount(planner, 'okta', who(key));
    personAccount(planner, 'slack', who(key));
    personAccount(planner, 'box', who(key), { licenses: ['box-business'] });
  }
  otherAccount(planner, {
    source: 'slack',
    login: 'alex',
    email: `alex@${UK_DOMAIN}`,
    displayName: 'Alex (UK desk)',
    type: 'human',
    createdDay: -1700,
    lastLoginDay: -4,
    expectation: open(
      'ambiguous-owner',
      null,
      'old shared UK mailbox alex@northwind-labs.co.uk is an HR alias of both Alex Morgan and Alex Chen',
    ),
  });

  // Tempting non-findings.
  const hannah = who('hannah');
  personAccount(planner, 'okta', hannah, {
    expectation: clean('hannah', 'on parental leave for 150 days: leave is never dormant'),
  });
  personAccount(planner, 'slack', hannah, {
    expectation: clean('hannah', 'on parental leave for 150 days: leave is never dormant'),
  });
  personAccount(planner, 'google', hannah, {
    expectation: clean('hannah', 'on parental leave for 150 days: leave is never dormant'),
  });
  const oscar = who('oscar');
  for (const source of ['okta', 'google', 'slack', 'box'] as const) {
    personAccount(planner, source, oscar, {
      licenses: source === 'box' ? ['box-business'] : [],
      expectation: clean('oscar', 'terminated in HR with a last day 10 days from now: not in effect yet'),
    });
  }
  const isla = who('isla');
  for (const source of ['okta', 'google', 'slack'] as const) {
    personAccount(planner, source, isla, {
      expectation: clean('isla', 'resigned, working her notice: end date 30 days from now'),
    });
  }
  const priya = who('priya');
  const priyaWhy = 'rehired: HR holds her old terminated record too; matching prefers the active one';
  personAccount(planner, 'okta', priya, { createdDay: -202, expectation: clean('priya', priyaWhy) });
  personAccount(planner, 'google', priya, {
    createdDay: -1505,
    withEmployeeId: false,
    expectation: clean('priya', `${priyaWhy} (her mailbox was restored on rehire)`),
  });
  personAccount(planner, 'slack', priya, { createdDay: -1498, expectation: clean('priya', priyaWhy) });
  personAccount(planner, 'github', priya, {
    login: planner.claimHandle('priyanat'),
    createdDay: -1490,
    expectation: clean('priya', priyaWhy),
  });
  const ruby = who('ruby');
  const rubyWhy = 'starts in 5 days: accounts made ready 10 days ago, not used yet (too new to be never-logged-in)';
  personAccount(planner, 'okta', ruby, { createdDay: -10, lastLoginDay: null, expectation: clean('ruby', rubyWhy) });
  personAccount(planner, 'slack', ruby, { createdDay: -9, lastLoginDay: null, expectation: clean('ruby', rubyWhy) });
  personAccount(planner, 'google', ruby, { createdDay: -10, lastLoginDay: null, expectation: clean('ruby', rubyWhy) });
  otherAccount(planner, {
    source: 'github',
    invitation: true,
    login: ruby.email,
    email: ruby.email,
    displayName: '',
    type: 'human',
    createdDay: -2,
    lastLoginDay: null,
    expectation: clean('ruby', 'pending GitHub invitation to a starter who begins in 5 days: an active HR record'),
  });
  const jonathan = who('jonathan');
  personAccount(planner, 'okta', jonathan);
  personAccount(planner, 'slack', jonathan);
  personAccount(planner, 'google', jonathan);
  personAccount(planner, 'box', jonathan, { licenses: ['box-business'] });

  // orphan-account
  otherAccount(planner, {
    source: 'slack',
    login: 'ethan.walsh',
    email: `ethan.walsh@${DOMAIN}`,
    displayName: 'Ethan Walsh',
    type: 'human',
    createdDay: -190,
    lastLoginDay: -120,
    expectation: open('orphan-account', null, 'summer intern hired through an agency, never in HR, never removed'),
  });
  otherAccount(planner, {
    source: 'github',
    login: planner.claimHandle('ollie-grant'),
    email: `oliver.grant@${DOMAIN}`,
    displayName: 'Oliver Grant',
    type: 'human',
    createdDay: -200,
    lastLoginDay: -130,
    githubLink: 'verified-domain-email',
    expectation: open('orphan-account', null, 'former intern whose verified northwind email matches no one in HR'),
  });
  otherAccount(planner, {
    source: 'github',
    login: planner.claimHandle('fuzzy-otter-42'),
    displayName: '',
    type: 'human',
    createdDay: -400,
    lastLoginDay: -15,
    expectation: open(
      'orphan-account',
      null,
      'personal GitHub account in the org, linked to no corporate identity (no SAML, no verified email)',
    ),
  });
  otherAccount(planner, {
    source: 'box',
    login: `jonathon.price@${DOMAIN}`,
    email: `jonathon.price@${DOMAIN}`,
    displayName: 'Jonathon Price',
    type: 'human',
    createdDay: -300,
    lastLoginDay: null,
    expectation: open('orphan-account', null, "typo'd invite for Jonathan Price (jonathon), matches no one"),
  });
  otherAccount(planner, {
    source: 'okta',
    login: `breakglass-admin@${DOMAIN}`,
    email: `breakglass-admin@${DOMAIN}`,
    displayName: 'Break Glass Admin',
    type: 'human',
    createdDay: -2600,
    lastLoginDay: -45,
    privileged: true,
    expectation: {
      kind: 'excepted',
      rule: 'orphan-account',
      personId: null,
      why: 'break-glass super admin: covered by an exception until next year',
    },
  });

  otherAccount(planner, {
    source: 'google',
    login: `events@${DOMAIN}`,
    email: `events@${DOMAIN}`,
    displayName: 'Events Team',
    type: 'human',
    createdDay: -1300,
    lastLoginDay: -3,
    expectation: open(
      'orphan-account',
      null,
      'shared events mailbox signed in to with a shared password: a full Google user that no one in HR owns',
    ),
  });

  otherAccount(planner, {
    source: 'aws',
    login: 'vendor-migration',
    displayName: 'vendor-migration',
    type: 'human',
    createdDay: -240,
    lastLoginDay: -30,
    aws: { password: true, accessKey: true },
    expectation: open(
      'orphan-account',
      null,
      "IAM user made for a vendor's database migration, no email or employee tag: matches no one",
    ),
  });
  otherAccount(planner, {
    source: 'aws',
    id: DEMO_AWS_ACCOUNT_ID,
    login: AWS_ROOT_LOGIN,
    displayName: `root user of AWS account ${DEMO_AWS_ACCOUNT_ID}`,
    type: 'service',
    createdDay: -3400,
    lastLoginDay: -12,
    aws: { password: true, accessKey: true, root: true },
    expectation: open(
      'root-credentials-in-use',
      null,
      'root signed in 12 days ago to change billing, and holds an old access key used 4 days ago',
    ),
  });

  // stale-guest
  otherAccount(planner, {
    source: 'slack',
    login: 'maria.santos',
    email: 'maria.santos@brightpixel.agency',
    displayName: 'Maria Santos (BrightPixel)',
    type: 'guest',
    createdDay: -300,
    lastLoginDay: -120,
    expectation: open('stale-guest', null, 'agency guest from the rebrand project, not seen for 120 days'),
  });
  otherAccount(planner, {
    source: 'slack',
    login: 'kwame.osei',
    email: 'kwame.osei@lumenlegal.co.uk',
    displayName: 'Kwame Osei (Lumen Legal)',
    type: 'guest',
    createdDay: -200,
    lastLoginDay: null,
    expectation: open('stale-guest', null, 'outside counsel invited 200 days ago, never joined'),
  });
  otherAccount(planner, {
    source: 'github',
    login: planner.claimHandle('jwilder-consult'),
    email: 'jake@wilderconsulting.io',
    displayName: 'Jake Wilder',
    type: 'guest',
    createdDay: -250,
    lastLoginDay: -95,
    expectation: clean(
      null,
      'outside collaborator from a finished consulting job: GitHub reports no activity, so never called stale',
    ),
  });
  otherAccount(planner, {
    source: 'slack',
    login: 'lena.berg',
    email: 'lena.berg@fjordpartners.no',
    displayName: 'Lena Berg (Fjord Partners)',
    type: 'guest',
    createdDay: -100,
    lastLoginDay: -5,
    expectation: clean(null, 'partner guest active 5 days ago'),
  });
  otherAccount(planner, {
    source: 'box',
    login: 'audit@harlow-accountants.co.uk',
    email: 'audit@harlow-accountants.co.uk',
    displayName: 'Harlow Accountants (external audit)',
    type: 'guest',
    createdDay: -400,
    lastLoginDay: null,
    expectation: clean(null, 'Box guest: activity unknown, so never stale'),
  });

  // Service accounts and bots.
  const declared = (key: string, what: string) =>
    clean(key, `${what}, declared in serviceAccounts with an active owner`);
  otherAccount(planner, {
    source: 'google',
    login: `svc-calendar-sync@${DOMAIN}`,
    email: `svc-calendar-sync@${DOMAIN}`,
    displayName: 'Calendar sync',
    type: 'service',
    orgUnitPath: `${GOOGLE_SERVICE_OU}/Integrations`,
    createdDay: -1400,
    lastLoginDay: -1,
    expectation: declared('itAdmin', 'Google user in /Service Accounts for room booking sync'),
  });
  otherAccount(planner, {
    source: 'google',
    login: `scanner-relay@${DOMAIN}`,
    email: `scanner-relay@${DOMAIN}`,
    displayName: 'Office scanner',
    type: 'service',
    orgUnitPath: GOOGLE_SERVICE_OU,
    createdDay: -2000,
    lastLoginDay: -1,
    expectation: open(
      'unowned-service-account',
      null,
      'scan-to-email relay user in /Service Accounts with a password nobody owns',
    ),
  });
  otherAccount(planner, {
    source: 'okta',
    login: `svc-scim-provisioner@${DOMAIN}`,
    email: `svc-scim-provisioner@${DOMAIN}`,
    displayName: 'SCIM provisioning',
    type: 'service',
    createdDay: -2400,
    lastLoginDay: -1,
    expectation: declared('ciso', 'Okta service user'),
  });
  otherAccount(planner, {
    source: 'github',
    login: planner.claimHandle('svc-deploy'),
    displayName: 'Deploy service',
    type: 'service',
    createdDay: -1800,
    lastLoginDay: -1,
    expectation: declared('platformLead', 'GitHub deploy machine user'),
  });
  otherAccount(planner, {
    source: 'github',
    login: planner.claimHandle('ci-bot'),
    displayName: 'CI bot',
    type: 'bot',
    createdDay: -2000,
    lastLoginDay: -1,
    expectation: declared('platformLead', 'GitHub CI bot'),
  });
  otherAccount(planner, {
    source: 'github',
    login: planner.claimHandle('svc-data-sync'),
    displayName: 'Data warehouse sync',
    type: 'service',
    createdDay: -1100,
    lastLoginDay: -2,
    expectation: open(
      'unowned-service-account',
      'leo',
      'machine user still running nightly; its declared owner Leo Fischer left 60 days ago',
      'high',
    ),
  });
  otherAccount(planner, {
    source: 'aws',
    login: 'svc-terraform',
    displayName: 'svc-terraform',
    type: 'service',
    createdDay: -1900,
    lastLoginDay: -1,
    aws: { password: false, accessKey: true },
    expectation: declared('platformLead', 'IAM user the Terraform pipeline deploys with'),
  });
  otherAccount(planner, {
    source: 'aws',
    login: 'svc-backup-s3',
    displayName: 'svc-backup-s3',
    type: 'service',
    createdDay: -1300,
    lastLoginDay: -1,
    aws: { password: false, accessKey: true },
    expectation: open('unowned-service-account', null, 'IAM user whose key copies backups to S3 nightly; no owner'),
  });
  otherAccount(planner, {
    source: 'slack',
    login: 'jira-bot',
    displayName: 'Jira Cloud',
    type: 'bot',
    createdDay: -1500,
    lastLoginDay: -1,
    expectation: declared('itAdmin', 'Slack Jira integration'),
  });
  otherAccount(planner, {
    source: 'slack',
    login: 'standup-bot',
    displayName: 'Standup Bot',
    type: 'bot',
    createdDay: -600,
    lastLoginDay: -1,
    expectation: open('unowned-service-account', null, 'bot someone installed for stand-ups; nobody declared an owner'),
  });
  otherAccount(planner, {
    source: 'box',
    login: `svc-backup-export@${DOMAIN}`,
    email: `svc-backup-export@${DOMAIN}`,
    displayName: 'Backup export',
    type: 'service',
    createdDay: -900,
    lastLoginDay: null,
    privileged: true,
    expectation: open(
      'unowned-service-account',
      null,
      'Box co-admin service account with no declared owner (privileged: medium raised to high)',
    ),
  });

  return {
    ciso: who('ciso'),
    vpEngineering: who('vpEngineering'),
    platformLead: who('platformLead'),
    itAdmin: who('itAdmin'),
    leftOwner: leo,
  };
}

interface ConfigPeople {
  ciso: PlannedPerson;
  vpEngineering: PlannedPerson;
  platformLead: PlannedPerson;
  itAdmin: PlannedPerson;
  leftOwner: PlannedPerson;
}

/**
 * Credentials that outlive accounts: a leaver's AWS access key that still signs a nightly job, a contractor's key
 * past the contract's end, an old second key of a current employee unused for months, and a PAT a leaver authorized
 * for GitHub's SAML SSO, beside current people's keys and tokens in daily use (which must stay clean).
 */
function planCredentials(planner: DemoPlanner, cast: Map<string, PlannedPerson>): void {
  const who = (key: string) => cast.get(key)!;
  const accountOf = (source: SourceName, key: string): PlannedAccount => {
    const found = planner.accounts.find(
      (account) =>
        account.source === source && account.employeeId === who(key).employeeId && account.status !== 'deleted',
    );
    if (!found) throw new Error(`demo plan: ${key} has no ${source} account to hold a credential`);
    return found;
  };
  const open = (rule: RuleId, key: string, why: string): Expectation => ({
    kind: 'open',
    rule,
    why,
    personId: who(key).employeeId,
  });
  const clean = (key: string, why: string): Expectation => ({ kind: 'clean', why, personId: who(key).employeeId });

  accountOf('aws', 'leo').keyExpectation = open(
    'credential-outlived-owner',
    'leo',
    "Leo Fischer left 60 days ago; his IAM user's access key still signs the nightly sync",
  );
  accountOf('aws', 'dev').keyExpectation = open(
    'credential-outlived-owner',
    'dev',
    "the contract ended 21 days ago; the contractor's IAM access key still works",
  );
  accountOf('aws', 'platformLead').keyExpectation = clean('platformLead', "the platform lead's key, used daily");
  const ciso = accountOf('aws', 'ciso');
  ciso.credentials = [
    {
      id: `AKIA${ciso.id.slice(5, 21)}`,
      type: 'access key',
      label: 'old CI key',
      createdAt: planner.time(-700),
      lastUsedAt: planner.time(-160),
      expectation: open(
        'unused-credential',
        'ciso',
        "a second access key of the CISO's IAM user, last used 160 days ago by a CI job since retired",
      ),
    },
  ];

  accountOf('github', 'nadia').credentials = [
    {
      id: '30467001',
      type: 'personal access token',
      label: 'release automation',
      createdAt: planner.time(-200),
      lastUsedAt: planner.time(-5),
      scopes: ['repo', 'workflow', 'admin:org'],
      hint: '9f3c21ab',
      expectation: open(
        'credential-outlived-owner',
        'nadia',
        'a PAT Nadia Rahman authorized for SAML SSO, used 5 days ago, a week after she left (an owner: critical)',
      ),
    },
  ];
  accountOf('github', 'platformLead').credentials = [
    {
      id: '30467002',
      type: 'personal access token',
      label: 'terraform github provider',
      createdAt: planner.time(-90),
      lastUsedAt: planner.time(-1),
      scopes: ['repo', 'read:org'],
      hint: '04d7e6c2',
      expectation: clean('platformLead', "a current engineer's token, used yesterday"),
    },
  ];
  accountOf('github', 'ciso').credentials = [
    {
      id: '30467003',
      type: 'SSH key',
      label: 'imran-laptop',
      createdAt: planner.time(-400),
      lastUsedAt: planner.time(-3),
      hint: 'SHA256:q1Zb7KxVq3wqG2f0Yh9n8Jm4c5dXe6rT7uI8oP9aS0k',
      expectation: clean('ciso', "a current employee's SSH key, used 3 days ago"),
    },
  ];
}

export const DEMO_ENTRA_TENANT_ID = '4e570000-7a3d-4c1e-9b2f-0d6a5e8c1f27';
/** The scanner's app registration in that tenant (client credentials, read-only Graph permissions). */
export const DEMO_ENTRA_CLIENT_ID = '4e57c11e-5ca4-4e2b-8d0f-3b9a6c2e7d14';
/** When Northwind moved its app registrations to Entra ID: directory users of earlier hires were created then. */
const ENTRA_ADOPTED_DAY = -1400;
/** Microsoft 365 E3, the licence the directory users hold. */
const ENTRA_E3_SKU = '05e9a617-0261-4cee-bb44-138d3ef5d965';

/** What the Entra tenant plants: its own findings and tempting non-findings, keyed by user or application id. */
interface EntraPlan {
  tenant: DemoEntraTenant;
  open: (DemoExpectedAccount & { rule: RuleId })[];
  clean: DemoExpectedAccount[];
}

/**
 * Entra ID, where Northwind keeps the app registrations its integrations sign in with: a handful of directory users
 * mirroring the roster (leadership, IT, the platform lead, and Leo Fischer, disabled when he left), and three app
 * registrations. The warehouse sync app Leo alone owned keeps a client secret valid for most of a year
 * (`ownerless-app-secret`); Rosa Delgado's Jira connector and Leo's retired reporting app whose secret expired stay
 * clean. Every value is written out or derived from the plan, never drawn, so the other files stay as they were.
 */
function planEntra(planner: DemoPlanner, cast: Map<string, PlannedPerson>): EntraPlan {
  const who = (key: string) => cast.get(key)!;
  // A fixed time of day: drawing one would move every later draw of the generator.
  const at = (day: number, time: string) => `${planner.date(day)}T${time}Z`;
  const objectId = (prefix: string, person: PlannedPerson) =>
    `${prefix}-0000-4000-8000-${person.employeeId.replace(/\D/g, '').padStart(12, '0')}`;
  const user = (key: string, enabled: boolean, lastSignInDay: number): DemoEntraUser => {
    const person = who(key);
    return {
      id: objectId('4e57e000', person),
      userPrincipalName: person.email,
      displayName: nameOf(person),
      givenName: person.first,
      surname: person.last,
      jobTitle: null,
      mail: person.email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-GB',
      businessPhones: [],
      otherMails: [],
      proxyAddresses: [`SMTP:${person.email}`],
      employeeId: person.employeeId,
      accountEnabled: enabled,
      userType: 'Member',
      createdDateTime: at(Math.max(person.hireDay, ENTRA_ADOPTED_DAY), '08:30:00'),
      externalUserState: null,
      onPremisesSyncEnabled: null,
      assignedLicenses: enabled ? [{ disabledPlans: [], skuId: ENTRA_E3_SKU }] : [],
      signInActivity: {
        lastSignInDateTime: at(lastSignInDay, '08:47:12'),
        lastNonInteractiveSignInDateTime: at(lastSignInDay, '17:02:40'),
        lastSuccessfulSignInDateTime: at(lastSignInDay, '17:02:40'),
      },
    };
  };
  const leo = who('leo');
  const rosa = who('itAdmin');
  const users = [
    user('ceo', true, -1),
    user('ciso', true, -1),
    user('vpEngineering', true, -2),
    user('platformLead', true, -1),
    user('itAdmin', true, -1),
    // Disabled on his last day, as the offboarding checklist says; the app he owned was not on it.
    user('leo', false, leo.endDay!),
  ];
  const userOf = (person: PlannedPerson) => users.find((entry) => entry.employeeId === person.employeeId)!;
  const app = (
    index: number,
    displayName: string,
    owner: PlannedPerson,
    createdDay: number,
    secret: { name: string; hint: string; startDay: number; endDay: number },
  ): DemoEntraApplication => {
    const suffix = String(index).padStart(12, '0');
    return {
      id: `4e57a000-0000-4000-8000-${suffix}`,
      appId: `4e57b000-0000-4000-8000-${suffix}`,
      displayName,
      createdDateTime: at(createdDay, '10:15:00'),
      passwordCredentials: [
        {
          keyId: `4e57d000-0000-4000-8000-${suffix}`,
          displayName: secret.name,
          hint: secret.hint,
          startDateTime: at(secret.startDay, '10:20:00'),
          endDateTime: at(secret.endDay, '10:20:00'),
        },
      ],
      keyCredentials: [],
      owners: [userOf(owner).id],
    };
  };
  const warehouseSync = app(1, 'warehouse-sync', leo, -700, {
    name: 'nightly sync',
    hint: 'Q~7',
    startDay: -400,
    endDay: 330,
  });
  const jiraConnector = app(2, 'jira-cloud-connector', rosa, -500, {
    name: 'jira webhook',
    hint: 'h8T',
    startDay: -150,
    endDay: 215,
  });
  const legacyReporting = app(3, 'legacy-reporting', leo, -1100, {
    name: 'quarterly export',
    hint: '2pX',
    startDay: -760,
    endDay: -30,
  });
  const listed = (id: string, person: PlannedPerson | null, why: string, login: string | null) => ({
    source: 'entra',
    accountId: id,
    login,
    personId: person?.employeeId ?? null,
    why,
  });
  return {
    tenant: {
      tenantId: DEMO_ENTRA_TENANT_ID,
      clientId: DEMO_ENTRA_CLIENT_ID,
      users,
      applications: [warehouseSync, jiraConnector, legacyReporting],
    },
    open: [
      {
        rule: 'ownerless-app-secret',
        ...listed(
          warehouseSync.id,
          null,
          "Leo Fischer, the warehouse sync app's only owner, left 60 days ago; its client secret is valid for 330 more days",
          null,
        ),
      },
    ],
    clean: [
      listed(
        userOf(leo).id,
        leo,
        'Leo Fischer left 60 days ago and his directory user was disabled that day',
        leo.email,
      ),
      listed(jiraConnector.id, null, 'an app registration owned by Rosa Delgado (IT), a current employee', null),
      listed(
        legacyReporting.id,
        null,
        "Leo Fischer's retired reporting app: its only secret expired 30 days ago",
        null,
      ),
    ],
  };
}

function nameOf(person: PlannedPerson): string {
  return `${person.first} ${person.last}`;
}

function renderConfig(planner: DemoPlanner, people: ConfigPeople): string {
  const { ciso, vpEngineering, platformLead, itAdmin, leftOwner } = people;
  return `# zombiescan configuration for Northwind Labs (the bundled demo organisation).
# \`zombiescan demo\` copies this folder and moves every date so that the data describes today. It serves the Google
# Workspace, GitHub, AWS and Entra ID tenants (google.json, github.json, aws.json, entra.json) on loopback for the
# length of the scan, writes their addresses over the \`\${ZOMBIESCAN_DEMO_..._URL}\`-style placeholders below in its
# copy, and hands it a throwaway GitHub token and Entra client secret; a real config leaves apiUrl, tokenUrl, endpoint,
# graphUrl and authorityUrl out and names a real key, token and secret.
# Relative paths resolve against this file's folder.

# Snapshots, findings and the remediation journal.
database: ./zombiescan.db

# HR gives last days as dates: access must be gone by the end of that day, London time.
timezone: Europe/London

# The HR roster is the source of truth for who works here (nightly export from the HR system).
roster:
  path: ./hr.csv

identity:
  # The UK subsidiary's mailboxes belong to the same people as the .com ones.
  domainAliases:
    northwind-labs.co.uk: northwind-labs.com
  # jane.doe+slack@northwind-labs.com is jane.doe@northwind-labs.com.
  stripPlusTags: true

sources:
  # Okta is the front door: everyone signs in to the apps through it. Its export carries the HR employee id.
  - name: okta
    type: csv
    role: idp
    path: ./okta.csv
  # Google Workspace: everyone's mailbox. Read through the Admin SDK Directory API by a service account with
  # domain-wide delegation (read-only scope), impersonating ${nameOf(itAdmin)}, a super admin.
  - name: google
    type: google
    keyFile: ./${DEMO_GOOGLE_KEY_FILE}
    subject: ${itAdmin.email}
    apiUrl: \${${DEMO_TENANT_ENV.googleApiUrl}}
    tokenUrl: \${${DEMO_TENANT_ENV.googleTokenUrl}}
    # Machine users (relays, sync jobs) live in this org unit.
    serviceOrgUnits:
      - ${GOOGLE_SERVICE_OU}
  # Slack members, guests and bots, with last-seen dates from the access logs (emails only).
  - name: slack
    type: csv
    path: ./slack.csv
  # GitHub organisation members, outside collaborators, machine users and pending invitations, through the REST and
  # GraphQL APIs with an owner's read-only token (read:org). GitHub logins are personal: each is tied to a person by
  # the org's SAML SSO identity or a verified northwind email. GitHub reports no activity, so inactivity rules stay
  # silent for it.
  - name: github
    type: github
    org: ${DEMO_GITHUB_ORG}
    token: \${${DEMO_TENANT_ENV.githubToken}}
    apiUrl: \${${DEMO_TENANT_ENV.githubApiUrl}}
  # The production AWS account: IAM users from the credential report (tagged email and employee_id by the platform
  # team) and the root user. Credentials come only from the standard AWS chain, never the config: the demo sets
  # throwaway keys in its own process environment for the length of the scan.
  - name: aws
    type: aws
    endpoint: \${${DEMO_TENANT_ENV.awsEndpoint}}
  # Entra ID: a few directory users and the app registrations integrations sign in with, read through Microsoft
  # Graph by the scanner's own app registration (client credentials; read-only application permissions). An app's
  # client secret keeps working after its owners leave.
  - name: entra
    type: entra
    tenantId: ${DEMO_ENTRA_TENANT_ID}
    clientId: ${DEMO_ENTRA_CLIENT_ID}
    clientSecret: \${${DEMO_TENANT_ENV.entraClientSecret}}
    graphUrl: \${${DEMO_TENANT_ENV.entraGraphUrl}}
    authorityUrl: \${${DEMO_TENANT_ENV.entraAuthorityUrl}}
  # Box's user export has no last-login column: activity is unknown, so inactivity rules stay silent for it.
  - name: box
    type: csv
    path: ./box.csv

# Thresholds in days (these are the defaults, written out so they are easy to find and change).
rules:
  dormant-account:
    days: 90
  never-logged-in:
    days: 30
  stale-guest:
    days: 60

# Machine identities and who answers for them. A service account whose owner leaves is reported as high.
serviceAccounts:
  # Okta service users (SCIM provisioning): ${nameOf(ciso)}, CISO.
  - source: okta
    login: 'svc-*'
    owner: ${ciso.employeeId}
  # Deploys and CI: ${nameOf(platformLead)}, platform team lead.
  - source: github
    login: svc-deploy
    owner: ${platformLead.employeeId}
  - source: github
    login: ci-bot
    owner: ${platformLead.employeeId}
  # Nightly warehouse sync: declared by ${nameOf(leftOwner)}, who has since left; nobody took it over.
  - source: github
    login: svc-data-sync
    owner: ${leftOwner.employeeId}
  # Room booking calendar sync: ${nameOf(itAdmin)}, IT.
  - source: google
    login: svc-calendar-sync@${DOMAIN}
    owner: ${itAdmin.employeeId}
  # Terraform deploys: ${nameOf(platformLead)}, platform team lead.
  - source: aws
    login: svc-terraform
    owner: ${platformLead.employeeId}
  # Jira Cloud integration: ${nameOf(itAdmin)}, IT.
  - source: slack
    login: jira-bot
    owner: ${itAdmin.employeeId}

# Accepted risks: each with a reason, an accountable owner and an expiry; an expired exception reopens its findings.
exceptions:
  # Break-glass super admin for Okta outages: sealed credentials, sign-in tested quarterly.
  - source: okta
    login: breakglass-admin@northwind-labs.com
    reason: Break-glass super admin for IdP outages; sealed credentials, tested quarterly
    owner: ${ciso.employeeId}
    expires: ${planner.date(216)}
  # Kept after Marta Kowalczyk left to hand over the release pipeline; the handover was due last month.
  - source: github
    login: mkowalczyk
    reason: Release pipeline handover to the platform team
    owner: ${vpEngineering.employeeId}
    expires: ${planner.date(-35)}
`;
}

function rosterCsv(planner: DemoPlanner): string {
  const rows = [...planner.people]
    .sort((a, b) => a.employeeId.localeCompare(b.employeeId))
    .map((person) => [
      person.employeeId,
      person.email,
      nameOf(person),
      person.status,
      person.workerType,
      planner.date(person.hireDay),
      person.endDay === null ? '' : planner.date(person.endDay),
      person.managerId ?? '',
      person.department,
      person.aliases.join(';'),
    ]);
  return formatCsv([ROSTER_HEADER, ...rows]);
}

/** The accounts a tenant still holds: deleted Google and IAM users and removed GitHub members are simply gone. */
function tenantAccounts(planner: DemoPlanner, source: 'google' | 'github' | 'aws'): PlannedAccount[] {
  return planner.accounts
    .filter((account) => account.source === source && account.status !== 'deleted')
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.order - b.order);
}

/** Google writes times with milliseconds. */
function googleTime(isoSeconds: string): string {
  return isoSeconds.replace(/Z$/, '.000Z');
}

function googleTenant(planner: DemoPlanner): DemoGoogleTenant {
  const users = tenantAccounts(planner, 'google').map((account): DemoGoogleUser => {
    const [givenName = '', ...rest] = account.displayName.split(' ');
    return {
      id: account.id,
      primaryEmail: account.email,
      givenName,
      familyName: rest.join(' '),
      ...(account.status === 'suspended' ? { suspended: true } : {}),
      ...(account.status === 'archived' ? { archived: true } : {}),
      ...(account.privileged ? { isAdmin: true } : {}),
      creationTime: googleTime(account.createdAt),
      ...(account.lastLoginAt === null ? {} : { lastLoginTime: googleTime(account.lastLoginAt) }),
      orgUnitPath: account.orgUnitPath ?? '/',
      ...(account.employeeId ? { employeeId: account.employeeId } : {}),
    };
  });
  return { customerId: DEMO_GOOGLE_CUSTOMER_ID, domains: [DOMAIN, UK_DOMAIN], users };
}

function githubOrg(planner: DemoPlanner, scanner: string): DemoGitHubOrg {
  const org: DemoGitHubOrg = {
    org: DEMO_GITHUB_ORG,
    scanner,
    members: [],
    outsideCollaborators: [],
    invitations: [],
    saml: { ssoUrl: `https://northwind-labs.okta.com/app/github/sso/saml`, identities: [] },
    credentialAuthorizations: [],
  };
  for (const account of tenantAccounts(planner, 'github')) {
    if (account.status !== 'active') throw new Error(`GitHub has no ${account.status} accounts (${account.login})`);
    if (account.invitation) {
      org.invitations.push({
        id: Number(account.id.replace(/^invitation:/, '')),
        login: null,
        email: account.email,
        role: account.privileged ? 'admin' : 'direct_member',
        created_at: account.createdAt,
      });
      continue;
    }
    const link = account.githubLink ?? 'none';
    const user: DemoGitHubUser = {
      id: Number(account.id),
      login: account.login,
      name: account.displayName || null,
      type: account.type === 'bot' ? 'Bot' : 'User',
      ...(link === 'verified-domain-email' ? { verifiedDomainEmails: [account.email] } : {}),
    };
    if (account.type === 'guest') {
      org.outsideCollaborators.push(user);
      continue;
    }
    org.members.push({ user, role: account.privileged ? 'admin' : 'member' });
    for (const credential of account.credentials ?? []) {
      const ssh = credential.type === 'SSH key';
      org.credentialAuthorizations.push({
        login: account.login,
        credential_id: Number(credential.id),
        credential_type: ssh ? 'SSH key' : 'personal access token',
        credential_authorized_at: credential.createdAt,
        credential_accessed_at: credential.lastUsedAt,
        authorized_credential_id: Number(credential.id) + 1_000_000,
        ...(ssh
          ? { fingerprint: credential.hint ?? '', authorized_credential_title: credential.label }
          : {
              token_last_eight: credential.hint ?? '',
              scopes: credential.scopes ?? [],
              authorized_credential_note: credential.label,
              authorized_credential_expires_at: null,
            }),
      });
    }
    if (link === 'saml') {
      org.saml.identities.push({
        guid: Buffer.from(`northwind-saml-${account.id}`).toString('base64url'),
        nameId: account.email,
        emails: [account.email],
        userId: user.id,
      });
    }
  }
  if (!org.members.some((member) => member.role === 'admin' && member.user.login === scanner)) {
    throw new Error(`the demo scans GitHub as ${scanner}, who must be an owner`);
  }
  return org;
}

/** The access key `aws.accessKey` gives an IAM user. */
function awsKeyId(account: PlannedAccount): string {
  return `AKIA${account.id.slice(4, 20)}`;
}

function awsAccount(planner: DemoPlanner): DemoAwsAccount {
  const account: DemoAwsAccount = {
    accountId: DEMO_AWS_ACCOUNT_ID,
    groups: [{ name: AWS_ADMIN_GROUP, attachedPolicies: [AWS_ADMINISTRATOR_ACCESS] }],
    users: [],
    root: { created: '', passwordLastUsed: null, accessKeys: [], mfa: false },
  };
  for (const planned of tenantAccounts(planner, 'aws')) {
    const credentials = planned.aws ?? { password: true, accessKey: false };
    if (credentials.root) {
      // An access key made at the start and never rotated, last used a few days ago (a forgotten cron job).
      account.root = {
        created: planned.createdAt,
        passwordLastUsed: planned.lastLoginAt,
        accessKeys: [
          { active: true, lastRotated: `${planner.date(-2900)}T08:12:00Z`, lastUsed: `${planner.date(-4)}T03:47:00Z` },
        ],
        mfa: false,
      };
      continue;
    }
    const active = planned.status === 'active';
    account.users.push({
      userName: planned.login,
      userId: planned.id,
      created: planned.createdAt,
      path: planned.type === 'service' ? '/service/' : '/',
      tags: {
        ...(planned.email ? { email: planned.email } : {}),
        ...(planned.employeeId ? { employee_id: planned.employeeId } : {}),
        ...(planned.type === 'service' ? { type: 'service' } : {}),
      },
      groups: planned.privileged ? [AWS_ADMIN_GROUP] : [],
      password: active && credentials.password ? { created: planned.createdAt, lastUsed: planned.lastLoginAt } : null,
      // Key ids follow the user id, so the file needs no second draw of randomness.
      accessKeys: [
        ...(credentials.accessKey
          ? [
              {
                id: awsKeyId(planned),
                status: active ? ('Active' as const) : ('Inactive' as const),
                created: planned.createdAt,
                lastUsed: planned.lastLoginAt,
              },
            ]
          : []),
        ...(planned.credentials ?? [])
          .filter((credential) => credential.type === 'access key')
          .map((credential) => ({
            id: credential.id,
            status: active ? ('Active' as const) : ('Inactive' as const),
            created: credential.createdAt,
            lastUsed: credential.lastUsedAt,
          })),
      ],
      mfa: active && credentials.password,
    });
  }
  if (account.root.created === '') throw new Error('the demo AWS account has no root user planned');
  return account;
}

function accountsCsv(planner: DemoPlanner, source: CsvSourceName): string {
  const columns = SOURCE_COLUMNS[source];
  const cell = (account: PlannedAccount, column: string): string => {
    switch (column) {
      case 'id':
        return account.id;
      case 'login':
        return account.login;
      case 'email':
        return account.email;
      case 'employee_id':
        return account.employeeId;
      case 'display_name':
        return account.displayName;
      case 'status':
        return account.status;
      case 'type':
        return account.type;
      case 'created_at':
        return account.createdAt;
      case 'last_login_at':
        return account.lastLoginAt ?? '';
      case 'privileged':
        return String(account.privileged);
      case 'licenses':
        return account.licenses.join(';');
      default:
        throw new Error(`no demo value for column ${column}`);
    }
  };
  // Exports list accounts oldest first, as the systems' admin consoles do.
  const rows = planner.accounts
    .filter((account) => account.source === source)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.order - b.order)
    .map((account) => columns.map((column) => cell(account, column)));
  return formatCsv([columns, ...rows]);
}

function expectedJson(planner: DemoPlanner, entra: EntraPlan): DemoExpected {
  const entry = (account: PlannedAccount, expectation: Expectation): DemoExpectedAccount => ({
    source: account.source,
    accountId: account.id,
    login: account.login,
    personId: expectation.personId,
    why: expectation.why,
  });
  const byAccount = (a: DemoExpectedAccount, b: DemoExpectedAccount) =>
    a.source.localeCompare(b.source) || a.accountId.localeCompare(b.accountId);
  const rules: DemoExpected['rules'] = {};
  for (const rule of Object.keys(RULE_SEVERITY).sort() as RuleId[]) rules[rule] = { open: [], excepted: [] };
  const clean: DemoExpectedAccount[] = [];
  for (const account of planner.accounts) {
    const expectation = account.expectation;
    if (expectation === null) continue;
    if (expectation.kind === 'clean') {
      clean.push(entry(account, expectation));
      continue;
    }
    if (expectation.kind === 'excepted') {
      rules[expectation.rule]!.excepted.push(entry(account, expectation));
      continue;
    }
    const base = expectation.severity ?? RULE_SEVERITY[expectation.rule];
    const { why, ...rest } = entry(account, expectation);
    rules[expectation.rule]!.open.push({ ...rest, severity: account.privileged ? bumpSeverity(base) : base, why });
  }
  // Credential findings are keyed by the credential's id and name its owner account's login; a credential acts with
  // its owner's rights, so an administrator's is privileged.
  for (const account of planner.accounts) {
    const planted = [
      ...(account.keyExpectation ? [{ id: awsKeyId(account), expectation: account.keyExpectation }] : []),
      ...(account.credentials ?? []),
    ];
    for (const { id, expectation } of planted) {
      const listed: DemoExpectedAccount = {
        source: account.source,
        accountId: id,
        login: account.login,
        personId: expectation.personId,
        why: expectation.why,
      };
      if (expectation.kind === 'clean') clean.push(listed);
      else if (expectation.kind === 'excepted') rules[expectation.rule]!.excepted.push(listed);
      else {
        const base = expectation.severity ?? RULE_SEVERITY[expectation.rule];
        const { why, ...rest } = listed;
        rules[expectation.rule]!.open.push({ ...rest, severity: account.privileged ? bumpSeverity(base) : base, why });
      }
    }
  }
  // App registrations have no owner account: the finding names no login or person, and nothing raises it.
  for (const { rule, why, ...rest } of entra.open)
    rules[rule]!.open.push({ ...rest, severity: RULE_SEVERITY[rule], why });
  clean.push(...entra.clean);
  for (const lists of Object.values(rules)) {
    lists.open.sort(byAccount);
    lists.excepted.sort(byAccount);
  }
  return { anchor: planner.anchor, rules, clean: clean.sort(byAccount) };
}

/** Every demo file (name -> content) for the given anchor; the same anchor and seed always give the same bytes. */
export function generateDemo(options: GenerateDemoOptions): Record<string, string> {
  const planner = new DemoPlanner(options.anchor, options.seed ?? DEMO_SEED);
  const cast = planPeople(planner);
  const storyKeys = new Set(CAST.map((member) => member.key));
  // Stories first, so their hand-picked GitHub handles are taken before filler handles are drawn.
  const configPeople = planStories(planner, cast);
  for (const person of planner.people) if (!storyKeys.has(person.key)) planFillerAccounts(planner, person);
  // Last, so its draws (times of day) leave every account above exactly as it was.
  planCredentials(planner, cast);
  const entra = planEntra(planner, cast);
  const files: Record<string, string> = {
    'zombiescan.yaml': renderConfig(planner, configPeople),
    'hr.csv': rosterCsv(planner),
    'okta.csv': accountsCsv(planner, 'okta'),
    'slack.csv': accountsCsv(planner, 'slack'),
    'box.csv': accountsCsv(planner, 'box'),
    [DEMO_GOOGLE_FILE]: JSON.stringify(googleTenant(planner), null, 2) + '\n',
    [DEMO_GITHUB_FILE]: JSON.stringify(githubOrg(planner, 'klindgren'), null, 2) + '\n',
    [DEMO_AWS_FILE]: JSON.stringify(awsAccount(planner), null, 2) + '\n',
    [DEMO_ENTRA_FILE]: JSON.stringify(entra.tenant, null, 2) + '\n',
    [DEMO_EXPECTED_FILE]: JSON.stringify(expectedJson(planner, entra), null, 2) + '\n',
    [DEMO_ANCHOR_FILE]: options.anchor + '\n',
  };
  for (const name of DEMO_DATA_FILES) if (!(name in files)) throw new Error(`generator does not write ${name}`);
  return files;
}

/** Writes the demo files into `outDir`; returns the paths written. */
export function writeDemo(outDir: string, options: GenerateDemoOptions): string[] {
  mkdirSync(outDir, { recursive: true });
  return Object.entries(generateDemo(options)).map(([name, content]) => {
    const file = path.join(outDir, name);
    writeFileSync(file, content);
    return file;
  });
}

function main(argv: string[]): void {
  const valueOf = (flag: string): string | undefined => {
    const index = argv.indexOf(flag);
    return index === -1 ? undefined : argv[index + 1];
  };
  const outDir = path.resolve(valueOf('--out') ?? demoDataDir());
  // Regenerating keeps the recorded anchor unless a new one is asked for.
  const anchorFile = path.join(outDir, DEMO_ANCHOR_FILE);
  const anchor =
    valueOf('--anchor') ?? (existsSync(anchorFile) ? readFileSync(anchorFile, 'utf8').trim() : DEFAULT_DEMO_ANCHOR);
  for (const file of writeDemo(outDir, { anchor })) process.stdout.write(`wrote ${file}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
