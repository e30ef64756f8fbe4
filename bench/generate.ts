import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  fakeApplication,
  type FakeApplication,
  type FakeGraphUser,
  type FakePermissionGrant,
  type FakeRoleAssignment,
} from '../test/fakes/graph.js';
import { makeOktaApiToken, type OktaFakeApiToken } from '../test/fakes/okta.js';
import type { OktaFakeUser } from '../test/fakes/okta.js';
import type { ScimFakeUser } from '../test/fakes/scim.js';
import type { SlackAccessLogRow, SlackMember } from '../test/fakes/slack.js';
import type { AccountType } from '../src/contract/model.js';
import { hex, Random, scramble } from './random.js';

/**
 * A deterministic synthetic organisation for `npm run bench`: N people with departments, managers, contractors,
 * leavers over the last year, people on leave, rehires (a second HR record sharing the email) and aliases, and about
 * ten accounts per person spread over Okta (the IdP), Entra ID (the directory), Slack, a SCIM app and ten CSV
 * exports. A small known share of accounts is planted to make exactly one rule fire each; every other account is
 * built so that no rule fires (activity well inside the thresholds, departed people disabled). The planted counts
 * come from this plan, never from running the scanner, so the benchmark can check the findings count exactly.
 *
 * Every date is an offset from the anchor and stays at least five days away from every rule threshold, so a scan a
 * day later (the nightly re-scan) must find exactly the same. The roster and CSV exports are streamed to disk; the
 * fakes need their users as arrays (their state), which live in the benchmark's parent process, not the scanner's.
 */

export const RULE_IDS = [
  'terminated-still-active',
  'past-end-date',
  'orphan-account',
  'idp-disabled-app-active',
  'dormant-account',
  'never-logged-in',
  'stale-guest',
  'unowned-service-account',
  'ambiguous-owner',
  'credential-outlived-owner',
  'ownerless-app-secret',
  'unused-credential',
] as const;
export type RuleId = (typeof RULE_IDS)[number];
export type PlantedCounts = Record<RuleId, { open: number; suppressed: number }>;

export const DOMAIN = 'bench-corp.example';
export const UK_DOMAIN = 'bench-corp.co.uk';
/** The declared owner of every well-kept service account: always an active employee. */
export const SERVICE_OWNER = 'E0000001';
/** A declared owner who is not in the roster at all. */
const UNKNOWN_OWNER = 'X0000000';
const DAY_MS = 86_400_000;

export interface CsvApp {
  name: string;
  /** Share of people with an account. */
  coverage: number;
  /** The export has a last_login_at column (activity known). */
  activity: boolean;
  /** The export has an employee_id column. */
  employeeId: boolean;
  licenses: string | null;
  /** Share of people who get a guest account (partners, vendors). */
  guests: number;
  /** Service accounts: declared under serviceAccounts (login prefix `svc-`), and planted undeclared ones. */
  service: { type: 'service' | 'bot'; declared: number; undeclaredPrefix: string } | null;
  /**
   * Credentials the system would list (GitHub PATs and SSH keys, AWS access keys, Google OAuth grants): a CSV export
   * carries none (SPEC), so they go to a file of their own that the bench's scanner attaches to this source (see
   * credential-feed.ts). `perAccount`: expected credentials per account of a person.
   */
  credentials?: { kind: 'personal-token' | 'oauth-grant' | 'api-token'; perAccount: number };
  /** The export has a created_at column (default true). */
  created?: boolean;
  /** `role: idp` in the config. */
  idp?: boolean;
}

/** The API sources as CSV exports (GenerateOptions.apiAsCsv): the columns each system's API gives the collector. */
export const API_AS_CSV: readonly CsvApp[] = [
  {
    name: 'okta',
    coverage: 1,
    activity: true,
    employeeId: true,
    licenses: null,
    guests: 0,
    service: null,
    credentials: { kind: 'api-token', perAccount: 0.1 },
    idp: true,
  },
  {
    name: 'entra',
    coverage: 0.95,
    activity: true,
    employeeId: true,
    licenses: null,
    guests: 0,
    service: null,
    credentials: { kind: 'oauth-grant', perAccount: 0.1 },
  },
  {
    name: 'slack',
    coverage: 0.92,
    activity: true,
    employeeId: false,
    licenses: null,
    guests: 0,
    service: null,
    created: false,
  },
  { name: 'zoom', coverage: 0.6, activity: false, employeeId: true, licenses: null, guests: 0, service: null },
];

/** The CSV exports: together with the four API sources, about ten accounts per person. */
export const CSV_APPS: readonly CsvApp[] = [
  {
    name: 'google',
    coverage: 1,
    activity: true,
    employeeId: true,
    licenses: 'workspace-business',
    guests: 0,
    service: null,
    credentials: { kind: 'oauth-grant', perAccount: 0.1 },
  },
  {
    name: 'jira',
    coverage: 0.95,
    activity: true,
    employeeId: false,
    licenses: 'jira-software',
    guests: 0,
    service: null,
  },
  { name: 'confluence', coverage: 0.9, activity: true, employeeId: false, licenses: null, guests: 0, service: null },
  { name: 'notion', coverage: 0.9, activity: false, employeeId: false, licenses: null, guests: 0, service: null },
  {
    name: 'box',
    coverage: 0.85,
    activity: false,
    employeeId: false,
    licenses: 'box-business',
    guests: 0,
    service: null,
  },
  {
    name: 'github',
    coverage: 0.65,
    activity: true,
    employeeId: false,
    licenses: 'copilot',
    guests: 0,
    service: { type: 'bot', declared: 0.002, undeclaredPrefix: 'ci-runner-' },
    credentials: { kind: 'personal-token', perAccount: 0.6 },
  },
  {
    name: 'salesforce',
    coverage: 0.45,
    activity: true,
    employeeId: true,
    licenses: 'sales-cloud',
    guests: 0,
    service: null,
  },
  { name: 'zendesk', coverage: 0.4, activity: true, employeeId: false, licenses: 'agent', guests: 0, service: null },
  {
    name: 'aws',
    coverage: 0.3,
    activity: true,
    employeeId: false,
    licenses: null,
    guests: 0,
    service: { type: 'service', declared: 0.003, undeclaredPrefix: 'deploy-' },
    credentials: { kind: 'personal-token', perAccount: 1 },
  },
  {
    name: 'figma',
    coverage: 0.25,
    activity: true,
    employeeId: false,
    licenses: 'figma-pro',
    guests: 0.02,
    service: null,
  },
];

export interface GenerateOptions {
  people: number;
  seed: number;
  /** Where the roster and CSV exports are written. */
  dir: string;
  /** The scan time the organisation is built around. */
  anchor: Date;
  /** The Okta fake's URL (users carry absolute _links). */
  oktaOrgUrl: string;
  /**
   * Okta, Entra, Slack and the SCIM app as CSV exports too (Okta as `role: idp`), with the same accounts and the same
   * planted zombies: the organisation of the issue-17 target "1M accounts, CSV sources only". Their credentials then
   * come from credential files like the CSV apps' (API tokens and grants, about one per ten accounts).
   */
  apiAsCsv?: boolean;
}

export interface GeneratedOrganisation {
  rosterFile: string;
  /** HR records: people plus the earlier records of rehires. */
  rosterRows: number;
  people: number;
  csvFiles: Record<string, string>;
  /** Per CSV app with credentials: the file of its credentials (see CsvApp.credentials). */
  credentialFiles: Record<string, string>;
  /** Credentials per source, as the sources will report them. */
  credentials: Record<string, number>;
  okta: { users: OktaFakeUser[]; adminIds: string[]; apiTokens: OktaFakeApiToken[] };
  graph: {
    users: FakeGraphUser[];
    roleAssignments: FakeRoleAssignment[];
    applications: FakeApplication[];
    permissionGrants: FakePermissionGrant[];
  };
  slack: { users: SlackMember[]; accessLogs: SlackAccessLogRow[] };
  scim: { users: ScimFakeUser[] };
  /** Accounts per source, as the sources will report them. */
  accounts: Record<string, number>;
  planted: PlantedCounts;
  serviceAccounts: { source: string; login: string; owner: string }[];
  exceptions: { source: string; login: string; reason: string; owner: string; expires: string }[];
  domainAliases: Record<string, string>;
}

type Story = 'active' | 'new-hire' | 'leave' | 'leaver' | 'leaver-notice' | 'past-end' | 'idp-disabled';

interface Person {
  employeeId: string;
  first: string;
  last: string;
  email: string;
  /** An alias of their own (an old name), used by some of their accounts. */
  alias: string | null;
  /** An alias shared with another person (a team mailbox): accounts using it match both. */
  sharedAlias: string | null;
  story: Story;
  status: 'active' | 'leave' | 'terminated';
  workerType: 'employee' | 'contractor';
  department: string;
  managerId: string | null;
  hireDay: number;
  /** Termination date or contract end, days from the anchor. */
  endDay: number | null;
  /** The earlier, terminated HR record of a rehire. */
  earlierRecord: string | null;
}

/** One account before it takes a source's shape. Days are offsets from the anchor (negative: in the past). */
interface AccountPlan {
  login: string | null;
  email: string | null;
  employeeId: string | null;
  first: string;
  last: string;
  department: string | null;
  enabled: boolean;
  /** How a disabled account shows: suspended (can come back) or deleted/deprovisioned. */
  disabledAs: 'suspended' | 'deleted';
  type: AccountType;
  createdDay: number;
  /** Null: never signed in. */
  lastLoginDay: number | null;
  privileged: boolean;
  /** The rule this account was planted for, or null when no rule may fire. */
  plant: { rule: RuleId; suppressed?: boolean } | null;
  /**
   * Set on the accounts of people (not on orphans, guests or service accounts): only they get credentials, whose
   * findings follow from this (`departed`: terminated or past the end date, well before the scan).
   */
  owner?: { departed: boolean };
}

interface SourceTraits {
  /** Sign-in activity is known. */
  activity: boolean;
  /** Creation time is known (never-logged-in needs it). */
  created: boolean;
  coverage: number;
  /** Share of accounts carrying the HR employee id. */
  employeeId: number;
  /** Share of leavers whose account is still in the source (disabled, or planted still enabled). */
  leaverKeeps: number;
  /** When the company adopted the system, days from the anchor. */
  adoptedDay: number;
  isIdp: boolean;
}

const FIRST_NAMES = `james oliver harry george jack charlie thomas william henry edward daniel matthew joseph luke ryan
  adam nathan jacob owen rhys dylan aaron connor lewis jamie kieran declan sean niall euan finlay angus rory amelia
  olivia emily sophie jessica lucy ella grace megan holly ellie katie rebecca laura rachel charlotte eleanor abigail
  freya imogen poppy niamh caitlin aisha fatima zainab maryam amir omar yusuf hassan bilal tariq arjun rohan vikram
  anil sanjay ananya kavya neha deepa meera wei jun mei xin hui yuki haruto kenji minjun jiwoo thanh linh chidi emeka
  tunde kofi adaeze ngozi jose diego carlos lucia sofia mateo javier ana ines pablo lukasz piotr katarzyna tomasz
  ewa lars ingrid sven astrid anders freja marco giulia luca francesca matteo pierre camille lea hugo manon zoe noah
  liam mia ava leah naomi esther ruth miriam gabriel rafael dmitri olga irina nikolai`
  .trim()
  .split(/\s+/);

const LAST_NAMES = `smith jones taylor brown williams wilson johnson davies robinson wright thompson evans walker white
  roberts green hall wood jackson clarke patel khan lewis phillips mason mitchell rose davis rodriguez cox hughes
  edwards hill moore clark harrison scott young morris lee harris cooper ward watson baker carter shaw ellis fraser
  campbell stewart macdonald kerr sutherland ferguson obrien oconnor byrne doyle kelly quinn llewellyn pritchard
  vaughan bevan ahmed hussain ali shah chaudhry iqbal sharma gupta mehta reddy nair menon desai kapoor singh wang zhang
  liu huang zhao wu tanaka sato nakamura kim park nguyen tran okonkwo balogun boateng asante garcia martinez fernandez
  lopez santos silva pereira costa nowak kowalski johansson andersson nilsson larsen hansen rossi russo bianchi
  ferrari dubois moreau laurent muller schmidt becker hoffmann novak petrov ivanova yilmaz demir kaya cohen levi`
  .trim()
  .split(/\s+/);

const DEPARTMENTS = [
  'Engineering',
  'Engineering',
  'Engineering',
  'Sales',
  'Sales',
  'Support',
  'Support',
  'Marketing',
  'Operations',
  'Finance',
  'People',
  'Legal',
  'Security',
  'Design',
  'Data',
];

const FAKE_SOURCES: Record<'okta' | 'entra' | 'slack' | 'zoom', SourceTraits> = {
  okta: { activity: true, created: true, coverage: 1, employeeId: 0.8, leaverKeeps: 1, adoptedDay: -2900, isIdp: true },
  entra: {
    activity: true,
    created: true,
    coverage: 0.95,
    employeeId: 0.9,
    leaverKeeps: 0.7,
    adoptedDay: -3200,
    isIdp: false,
  },
  // Slack has no creation time and reports activity through team.accessLogs.
  slack: {
    activity: true,
    created: false,
    coverage: 0.92,
    employeeId: 0,
    leaverKeeps: 0.9,
    adoptedDay: -3000,
    isIdp: false,
  },
  // SCIM carries no last-login.
  zoom: {
    activity: false,
    created: true,
    coverage: 0.6,
    employeeId: 0.5,
    leaverKeeps: 0.6,
    adoptedDay: -1800,
    isIdp: false,
  },
};

/** Per-account chances of the planted stories that are not a person's story. */
const PLANT = {
  dormant: 0.004,
  neverLoggedIn: 0.003,
  /** Each account a leaver still has is left enabled with this chance. */
  leaverStillEnabled: 0.03,
  /** Per person and source: an account matching no one. */
  orphan: 0.001,
  /** Per guest: no sign-in for months. */
  staleGuest: 0.08,
  /** Per person: a pair of people sharing an alias starts. */
  sharedAlias: 0.001,
  /** Per person: an undeclared service account or bot in each source that has them. */
  undeclaredService: 0.0003,
};

export async function generateOrganisation(options: GenerateOptions): Promise<GeneratedOrganisation> {
  const generator = new Generator(options);
  return generator.run();
}

class Generator {
  private readonly random: Random;
  private readonly anchorMs: number;
  private readonly planted = Object.fromEntries(
    RULE_IDS.map((rule) => [rule, { open: 0, suppressed: 0 }]),
  ) as PlantedCounts;
  private readonly counts: Record<string, number> = {};
  private readonly serials: Record<string, number> = {};
  private readonly roster: LineWriter;
  private readonly csv = new Map<string, LineWriter>();
  private readonly okta: OktaFakeUser[] = [];
  private readonly oktaAdmins: string[] = [];
  private readonly graphUsers: FakeGraphUser[] = [];
  private readonly graphRoles: FakeRoleAssignment[] = [];
  private readonly slackUsers: SlackMember[] = [];
  private readonly slackLogs: SlackAccessLogRow[] = [];
  private readonly scimUsers: ScimFakeUser[] = [];
  private readonly oktaTokens: OktaFakeApiToken[] = [];
  private readonly graphApplications: FakeApplication[] = [];
  private readonly graphGrants: FakePermissionGrant[] = [];
  private readonly credentialFiles = new Map<string, LineWriter>();
  private readonly credentialCounts: Record<string, number> = {};
  /** Credentials draw from their own sequence, so adding them left the accounts of a seed as they were. */
  private readonly credentialRandom: Random;
  /** Every source written as a CSV export. */
  private readonly csvApps: readonly CsvApp[];
  private rosterRows = 0;
  private sharedAliasPending: string | null = null;
  private sharedAliases = 0;
  private firstLeaver: string | null = null;

  constructor(private readonly options: GenerateOptions) {
    this.random = new Random(options.seed);
    this.credentialRandom = new Random(options.seed ^ 0x5eed);
    this.csvApps = options.apiAsCsv ? [...API_AS_CSV, ...CSV_APPS] : CSV_APPS;
    this.anchorMs = options.anchor.getTime();
    this.roster = new LineWriter(path.join(options.dir, 'hr.csv'));
    this.roster.line(
      'employee_id,email,name,status,worker_type,hire_date,termination_date,manager_id,department,aliases',
    );
    for (const app of this.csvApps) {
      const writer = new LineWriter(path.join(options.dir, `${app.name}.csv`));
      writer.line(csvHeader(app).join(','));
      this.csv.set(app.name, writer);
      if (app.credentials) {
        const credentials = new LineWriter(credentialFile(options.dir, app.name));
        credentials.line(CREDENTIAL_HEADER.join(','));
        this.credentialFiles.set(app.name, credentials);
      }
    }
  }

  run(): GeneratedOrganisation {
    const { people } = this.options;
    const managers = Math.max(1, Math.floor(people / 10));
    for (let index = 0; index < people; index++) {
      const person = this.person(index, managers);
      this.writePerson(person);
      this.accountsOf(person);
      this.extrasAround();
    }
    this.fixedExtras();
    this.roster.close();
    for (const writer of [...this.csv.values(), ...this.credentialFiles.values()]) writer.close();
    // The Okta fake sorts its users by id for every page: handing them over sorted keeps that sort linear.
    this.okta.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    // team.accessLogs is served newest first; the fake sorts every page, which is linear on sorted input.
    this.slackLogs.sort((a, b) => b.date_last - a.date_last);
    return {
      rosterFile: path.join(this.options.dir, 'hr.csv'),
      rosterRows: this.rosterRows,
      people,
      csvFiles: Object.fromEntries(
        this.csvApps.map((app) => [app.name, path.join(this.options.dir, `${app.name}.csv`)]),
      ),
      credentialFiles: Object.fromEntries(
        [...this.credentialFiles.keys()].map((name) => [name, credentialFile(this.options.dir, name)]),
      ),
      credentials: { ...this.credentialCounts },
      okta: { users: this.okta, adminIds: this.oktaAdmins, apiTokens: this.oktaTokens },
      graph: {
        users: this.graphUsers,
        roleAssignments: this.graphRoles,
        applications: this.graphApplications,
        permissionGrants: this.graphGrants,
      },
      slack: { users: this.slackUsers, accessLogs: this.slackLogs },
      scim: { users: this.scimUsers },
      accounts: { ...this.counts },
      planted: this.planted,
      serviceAccounts: [
        { source: 'okta', login: 'svc-*', owner: SERVICE_OWNER },
        { source: 'okta', login: 'legacy-svc-*', owner: this.firstLeaver ?? UNKNOWN_OWNER },
        { source: 'slack', login: 'bot-*', owner: SERVICE_OWNER },
        { source: 'github', login: 'svc-*', owner: SERVICE_OWNER },
        { source: 'aws', login: 'svc-*', owner: SERVICE_OWNER },
        { source: 'aws', login: 'vendor-*', owner: UNKNOWN_OWNER },
      ],
      exceptions: [
        {
          source: 'github',
          login: 'breakglass-*',
          reason: 'Break-glass accounts, reviewed quarterly',
          owner: SERVICE_OWNER,
          expires: this.day(365),
        },
      ],
      domainAliases: { [UK_DOMAIN]: DOMAIN },
    };
  }

  // ---- people ---------------------------------------------------------------------------------------------------

  private person(index: number, managers: number): Person {
    const r = this.random;
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const number = index + 1;
    const employeeId = `E${String(number).padStart(7, '0')}`;
    const roll = r.next();
    // Person 0 owns the declared service accounts: always an ordinary active employee.
    const story: Story =
      index === 0
        ? 'active'
        : roll < 0.09
          ? 'leaver'
          : roll < 0.095
            ? 'leaver-notice'
            : roll < 0.115
              ? 'leave'
              : roll < 0.1165
                ? 'past-end'
                : roll < 0.1175
                  ? 'idp-disabled'
                  : roll < 0.1325
                    ? 'new-hire'
                    : 'active';
    const contractor = story === 'past-end' || (index > 0 && r.chance(0.12));
    let hireDay: number;
    let endDay: number | null = null;
    switch (story) {
      case 'leaver':
        endDay = -r.int(8, 360);
        hireDay = endDay - r.int(90, 3000);
        break;
      case 'leaver-notice':
        endDay = r.int(5, 20);
        hireDay = -r.int(200, 3000);
        break;
      case 'past-end':
        endDay = -r.int(5, 200);
        hireDay = endDay - r.int(90, 700);
        break;
      case 'new-hire':
        hireDay = -r.int(1, 20);
        break;
      default:
        hireDay = -r.int(60, 4000);
    }
    if (contractor && endDay === null) endDay = r.int(20, 400);
    const alias = r.chance(0.15) ? `${first[0]}${r.pick(LAST_NAMES)}.${number}@${DOMAIN}` : null;
    let sharedAlias: string | null = null;
    if (story === 'active' && index > 0) {
      if (this.sharedAliasPending !== null) {
        sharedAlias = this.sharedAliasPending;
      } else if (r.chance(PLANT.sharedAlias)) {
        this.sharedAliases++;
        sharedAlias = `team.${this.sharedAliases}@${DOMAIN}`;
        this.sharedAliasPending = sharedAlias;
      }
    }
    const person: Person = {
      employeeId,
      first,
      last,
      email: `${first}.${last}.${number}@${DOMAIN}`,
      alias,
      sharedAlias,
      story,
      status: story === 'leaver' || story === 'leaver-notice' ? 'terminated' : story === 'leave' ? 'leave' : 'active',
      workerType: contractor ? 'contractor' : 'employee',
      department: r.pick(DEPARTMENTS),
      managerId:
        index === 0 ? null : `E${String(1 + Math.floor(r.next() * Math.min(index, managers))).padStart(7, '0')}`,
      hireDay,
      endDay,
      earlierRecord:
        story === 'active' && index > 0 && r.chance(0.01)
          ? `E${String(this.options.people + number).padStart(7, '0')}`
          : null,
    };
    if (story === 'leaver') this.firstLeaver ??= employeeId;
    return person;
  }

  private writePerson(person: Person): void {
    const aliases = [person.alias, person.sharedAlias].filter((alias) => alias !== null).join(';');
    this.roster.line(
      csvLine([
        person.employeeId,
        person.email,
        `${capital(person.first)} ${capital(person.last)}`,
        person.status,
        person.workerType,
        this.day(person.hireDay),
        person.endDay === null ? '' : this.day(person.endDay),
        person.managerId ?? '',
        person.department,
        aliases,
      ]),
    );
    this.rosterRows++;
    if (person.earlierRecord !== null) {
      // A rehire: the earlier stint is a terminated record with the same email; matching prefers the current one.
      const left = person.hireDay - this.random.int(60, 900);
      this.roster.line(
        csvLine([
          person.earlierRecord,
          person.email,
          `${capital(person.first)} ${capital(person.last)}`,
          'terminated',
          'employee',
          this.day(left - this.random.int(200, 2000)),
          this.day(left),
          '',
          person.department,
          '',
        ]),
      );
      this.rosterRows++;
    }
    if (person.sharedAlias !== null && this.sharedAliasPending === person.sharedAlias && this.isSecondSharer(person)) {
      this.sharedAliasPending = null;
      this.ambiguousAccounts(person.sharedAlias);
    }
  }

  /** The pending shared alias is complete once a second person carries it. */
  private readonly sharersSeen = new Map<string, number>();
  private isSecondSharer(person: Person): boolean {
    const seen = (this.sharersSeen.get(person.sharedAlias!) ?? 0) + 1;
    this.sharersSeen.set(person.sharedAlias!, seen);
    if (seen === 2) this.sharersSeen.delete(person.sharedAlias!);
    return seen === 2;
  }

  // ---- accounts of a person ---------------------------------------------------------------------------------------

  private accountsOf(person: Person): void {
    for (const [name, traits] of Object.entries(FAKE_SOURCES)) {
      const plan = this.planFor(person, traits);
      if (plan) this.emit(name, plan);
    }
    for (const app of CSV_APPS) {
      const traits: SourceTraits = {
        activity: app.activity,
        created: true,
        coverage: app.coverage,
        employeeId: app.employeeId ? 0.95 : 0,
        leaverKeeps: 0.6,
        adoptedDay: -2500,
        isIdp: false,
      };
      const plan = this.planFor(person, traits);
      if (plan) this.emit(app.name, plan);
    }
  }

  /** The account a person has in a source, shaped by their story; null when they have none there. */
  private planFor(person: Person, traits: SourceTraits): AccountPlan | null {
    const r = this.random;
    if (!r.chance(traits.coverage)) return null;
    if (person.story === 'leaver' && !r.chance(traits.leaverKeeps)) return null;
    const createdDay = Math.min(-1, Math.max(person.hireDay, traits.adoptedDay) + r.int(0, 3));
    const recent = () => -r.next() * 25;
    const plan: AccountPlan = {
      login: null,
      email: this.emailFor(person, traits.isIdp),
      employeeId: r.chance(traits.employeeId) ? person.employeeId : null,
      first: person.first,
      last: person.last,
      department: person.department,
      enabled: true,
      disabledAs: 'deleted',
      type: 'human',
      createdDay,
      lastLoginDay: recent(),
      privileged: r.chance(0.01),
      plant: null,
      owner: { departed: person.endDay !== null && person.endDay < 0 },
    };
    switch (person.story) {
      case 'new-hire':
        plan.createdDay = Math.min(0, person.hireDay + r.next());
        plan.lastLoginDay = r.chance(0.5) ? null : plan.createdDay * r.next();
        break;
      case 'leave':
        // Away for a while: long inactive, which is expected for someone on leave.
        plan.lastLoginDay = -40 - r.next() * 200;
        break;
      case 'leaver': {
        const end = person.endDay!;
        plan.createdDay = Math.min(createdDay, end - 30);
        if (r.chance(PLANT.leaverStillEnabled)) {
          plan.lastLoginDay = r.chance(0.5) ? end + r.next() * (-end - 1) : end - r.next() * 10;
          plan.plant = { rule: 'terminated-still-active' };
        } else {
          plan.enabled = false;
          plan.disabledAs = r.chance(0.3) ? 'suspended' : 'deleted';
          plan.lastLoginDay = end - r.next() * 10;
        }
        break;
      }
      case 'past-end':
        plan.plant = { rule: 'past-end-date' };
        break;
      case 'idp-disabled':
        if (traits.isIdp) {
          plan.enabled = false;
          plan.disabledAs = 'suspended';
        } else {
          plan.plant = { rule: 'idp-disabled-app-active' };
        }
        break;
      case 'active':
        if (traits.activity && r.chance(PLANT.dormant)) {
          plan.lastLoginDay = -r.int(120, 400) - r.next();
          plan.plant = { rule: 'dormant-account' };
        } else if (traits.activity && traits.created && r.chance(PLANT.neverLoggedIn)) {
          plan.lastLoginDay = null;
          plan.createdDay = Math.min(-r.int(60, 500), -60);
          plan.plant = { rule: 'never-logged-in' };
        }
        break;
      case 'leaver-notice':
        // Terminated in HR with a last day still ahead: nothing to flag yet.
        break;
    }
    return plan;
  }

  /** Most accounts carry the HR email; some an alias, a plus tag, another casing, or the UK domain. */
  private emailFor(person: Person, isIdp: boolean): string {
    if (isIdp) return person.email;
    const roll = this.random.next();
    const [local] = person.email.split('@') as [string];
    if (roll < 0.85) return person.email;
    if (roll < 0.9) return `${capital(person.first)}.${capital(person.last)}.${local.split('.')[2]}@${DOMAIN}`;
    if (roll < 0.94) return `${local}+apps@${DOMAIN}`;
    if (roll < 0.97) return `${local}@${UK_DOMAIN}`;
    return person.alias ?? person.email;
  }

  // ---- accounts that belong to no one in HR -----------------------------------------------------------------------

  /** Orphans, guests and service accounts, in proportion to the head count. */
  private extrasAround(): void {
    const r = this.random;
    for (const source of ['okta', 'entra', 'slack', 'zoom', ...CSV_APPS.map((app) => app.name)]) {
      if (r.chance(PLANT.orphan)) this.emit(source, this.orphan(true));
      if (r.chance(PLANT.orphan)) this.emit(source, this.orphan(false));
    }
    if (r.chance(0.04)) this.emit('entra', this.guest(true));
    if (r.chance(0.01)) this.emit('slack', this.guest(false));
    for (const app of CSV_APPS) if (app.guests > 0 && r.chance(app.guests)) this.emit(app.name, this.guest(true));

    if (r.chance(0.002))
      this.emit('okta', this.service('service', `svc-okta-${this.next('svc-okta')}@${DOMAIN}`, null));
    if (r.chance(PLANT.undeclaredService)) {
      this.emit('okta', this.service('service', `robot-${this.next('robot')}@${DOMAIN}`, 'unowned-service-account'));
    }
    if (r.chance(0.003)) this.emit('slack', this.service('bot', `bot-${this.next('bot')}`, null));
    if (r.chance(PLANT.undeclaredService)) {
      this.emit('slack', this.service('bot', `app-${this.next('app')}`, 'unowned-service-account'));
    }
    for (const app of CSV_APPS) {
      if (!app.service) continue;
      if (r.chance(app.service.declared)) {
        this.emit(app.name, this.service(app.service.type, `svc-${app.name}-${this.next(`svc-${app.name}`)}`, null));
      }
      if (r.chance(PLANT.undeclaredService)) {
        const login = `${app.service.undeclaredPrefix}${this.next(app.service.undeclaredPrefix)}`;
        this.emit(app.name, this.service(app.service.type, login, 'unowned-service-account'));
      }
    }
  }

  /** A fixed handful whatever the size: owners who left or were never in HR, and break-glass accounts. */
  private fixedExtras(): void {
    for (let k = 1; k <= 3; k++) {
      this.emit('okta', this.service('service', `legacy-svc-${k}@${DOMAIN}`, 'unowned-service-account'));
    }
    for (let k = 1; k <= 2; k++) this.emit('aws', this.service('service', `vendor-${k}`, 'unowned-service-account'));
    // Break-glass logins match no one and are covered by a standing exception: found, and suppressed.
    for (let k = 1; k <= 5; k++) {
      const plan = this.orphan(true);
      plan.login = `breakglass-${k}`;
      plan.email = null;
      plan.plant = { rule: 'orphan-account', suppressed: true };
      this.emit('github', plan);
    }
  }

  private orphan(enabled: boolean): AccountPlan {
    const r = this.random;
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    return {
      login: null,
      email: `${first}.${last}.former${this.next('orphan')}@${DOMAIN}`,
      employeeId: null,
      first,
      last,
      department: null,
      enabled,
      disabledAs: 'deleted',
      type: 'human',
      createdDay: -r.int(100, 2000),
      lastLoginDay: -r.next() * 200,
      privileged: r.chance(0.01),
      plant: enabled ? { rule: 'orphan-account' } : null,
    };
  }

  /** A partner's guest account; some went quiet long ago. `createdKnown`: the source tells when it was added. */
  private guest(createdKnown: boolean): AccountPlan {
    const r = this.random;
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const plan: AccountPlan = {
      login: null,
      email: `${first}.${last}.${this.next('guest')}@partner-${r.int(1, 60)}.example`,
      employeeId: null,
      first,
      last,
      department: null,
      enabled: true,
      disabledAs: 'deleted',
      type: 'guest',
      createdDay: -r.int(70, 900),
      lastLoginDay: -r.next() * 30,
      privileged: false,
      plant: null,
    };
    const roll = r.next();
    if (roll < PLANT.staleGuest / 2) {
      plan.lastLoginDay = -r.int(80, 500) - r.next();
      plan.plant = { rule: 'stale-guest' };
    } else if (roll < PLANT.staleGuest && createdKnown) {
      plan.lastLoginDay = null;
      plan.createdDay = -r.int(80, 600);
      plan.plant = { rule: 'stale-guest' };
    } else if (roll < PLANT.staleGuest + 0.04) {
      // Invited recently and not signed in yet: not stale.
      plan.lastLoginDay = null;
      plan.createdDay = -r.int(5, 40);
    }
    return plan;
  }

  private service(type: AccountType, login: string, plant: RuleId | null): AccountPlan {
    const r = this.random;
    return {
      login,
      email: login.includes('@') ? login : null,
      employeeId: null,
      first: 'Service',
      last: login.split('@')[0]!,
      department: null,
      enabled: true,
      disabledAs: 'deleted',
      type,
      createdDay: -r.int(30, 2000),
      lastLoginDay: -r.next() * 10,
      privileged: r.chance(0.1),
      plant: plant ? { rule: plant } : null,
    };
  }

  /** One to three app accounts under a team mailbox two people both list as their alias. */
  private ambiguousAccounts(alias: string): void {
    const r = this.random;
    const count = r.int(1, 3);
    for (let k = 0; k < count; k++) {
      const source = r.pick(['slack', 'jira', 'box', 'confluence', 'zoom']);
      this.emit(source, {
        login: null,
        email: alias,
        employeeId: null,
        first: 'Team',
        last: alias.split('@')[0]!,
        department: null,
        enabled: true,
        disabledAs: 'deleted',
        type: 'human',
        createdDay: -r.int(100, 1000),
        lastLoginDay: -r.next() * 20,
        privileged: false,
        plant: { rule: 'ambiguous-owner' },
      });
    }
  }

  // ---- source shapes ------------------------------------------------------------------------------------------

  private emit(source: string, plan: AccountPlan): void {
    const serial = this.next(`account:${source}`);
    this.counts[source] = (this.counts[source] ?? 0) + 1;
    if (plan.plant) this.planted[plan.plant.rule][plan.plant.suppressed ? 'suppressed' : 'open']++;
    if (this.options.apiAsCsv) return this.csvRow(source, serial, plan);
    switch (source) {
      case 'okta':
        return this.oktaUser(serial, plan);
      case 'entra':
        return this.graphUser(serial, plan);
      case 'slack':
        return this.slackMember(serial, plan);
      case 'zoom':
        return this.scimUser(serial, plan);
      default:
        return this.csvRow(source, serial, plan);
    }
  }

  private oktaUser(serial: number, plan: AccountPlan): void {
    const id = `00u${hex(scramble(serial, 0x0c7a), 8)}bnch${hex(serial, 5)}7`;
    const status = plan.enabled
      ? plan.lastLoginDay === null
        ? 'PROVISIONED'
        : 'ACTIVE'
      : plan.disabledAs === 'suspended'
        ? 'SUSPENDED'
        : 'DEPROVISIONED';
    const created = this.time(plan.createdDay);
    const login = plan.login ?? plan.email ?? `${id}@${DOMAIN}`;
    const profile: Record<string, string | null> = {
      firstName: capital(plan.first),
      lastName: capital(plan.last),
      mobilePhone: null,
      secondEmail: null,
      login,
      email: plan.email ?? login,
    };
    if (plan.employeeId) profile.employeeNumber = plan.employeeId;
    if (plan.department) profile.department = plan.department;
    if (plan.type === 'service') profile.userType = 'Service Account';
    this.okta.push({
      id,
      status,
      created,
      activated: status === 'PROVISIONED' ? null : created,
      statusChanged: created,
      lastLogin: plan.lastLoginDay === null ? null : this.time(plan.lastLoginDay),
      lastUpdated: created,
      passwordChanged: status === 'PROVISIONED' ? null : created,
      type: { id: 'oty1benchusertype000' },
      profile,
      credentials: {
        password: {},
        emails: [{ value: profile.email, status: 'VERIFIED', type: 'PRIMARY' }],
        provider: { type: 'OKTA', name: 'OKTA' },
      },
      _links: { self: { href: `${this.options.oktaOrgUrl}/api/v1/users/${id}` } },
    });
    if (plan.privileged) this.oktaAdmins.push(id);
    // An API token for about every tenth Okta account of a person.
    if (serial % 10 === 0 && plan.owner) {
      this.oktaTokens.push(makeOktaApiToken(this.oktaTokens.length, id));
      this.credential('okta', plan.owner.departed || !plan.enabled ? 'credential-outlived-owner' : null);
    }
  }

  private graphUser(serial: number, plan: AccountPlan): void {
    const id = guid(serial, 0x3e7a);
    const guest = plan.type === 'guest';
    const email = plan.email;
    const upn = guest
      ? `${(email ?? id).replace('@', '_')}#EXT#@benchcorp.onmicrosoft.com`
      : (email ?? `${id}@benchcorp.onmicrosoft.com`);
    const lastLogin = plan.lastLoginDay === null ? null : this.time(plan.lastLoginDay);
    this.graphUsers.push({
      id,
      userPrincipalName: upn,
      displayName: `${capital(plan.first)} ${capital(plan.last)}`,
      givenName: capital(plan.first),
      surname: capital(plan.last),
      jobTitle: null,
      mail: email,
      mobilePhone: null,
      officeLocation: null,
      preferredLanguage: 'en-GB',
      businessPhones: [],
      otherMails: [],
      proxyAddresses: email && !guest ? [`SMTP:${email}`] : [],
      employeeId: plan.employeeId,
      accountEnabled: plan.enabled,
      userType: guest ? 'Guest' : 'Member',
      createdDateTime: this.time(plan.createdDay).replace('.000Z', 'Z'),
      externalUserState: guest ? 'Accepted' : null,
      onPremisesSyncEnabled: guest ? null : true,
      assignedLicenses: guest ? [] : [{ disabledPlans: [], skuId: '05e9a617-0261-4cee-bb44-138d3ef5d965' }],
      ...(lastLogin === null
        ? {}
        : {
            // The latest of the three is what counts; interactive sign-ins are rarer than token refreshes.
            signInActivity: {
              lastSignInDateTime: this.time(plan.lastLoginDay! - 2),
              lastNonInteractiveSignInDateTime: lastLogin,
              lastSuccessfulSignInDateTime: this.time(plan.lastLoginDay! - 0.5),
            },
          }),
    });
    this.graphCredential(serial, id, plan);
    if (plan.privileged) {
      this.graphRoles.push({
        id: `role-${serial}`,
        principalId: id,
        roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10',
        directoryScopeId: '/',
      });
    }
  }

  /**
   * For about every tenth Entra account of a person, alternately an app registration it owns (every fifth of them
   * ownerless) or a delegated permission grant to it.
   */
  private graphCredential(serial: number, id: string, plan: AccountPlan): void {
    if (serial % 10 !== 0 || !plan.owner) return;
    const ownerGone = plan.owner.departed || !plan.enabled;
    const index = serial / 10;
    if (index % 2 === 0) {
      const ownerless = index % 5 === 0;
      this.graphApplications.push(fakeApplication(index, ownerless ? [] : [id]));
      this.credential('entra', ownerless || ownerGone ? 'ownerless-app-secret' : null);
      return;
    }
    this.graphGrants.push({
      id: `grant-${index}`,
      clientId: 'sp-bench-client',
      consentType: 'Principal',
      principalId: id,
      resourceId: 'sp-graph',
      scope: 'User.Read Mail.Read',
    });
    this.credential('entra', ownerGone ? 'credential-outlived-owner' : null);
  }

  /** Counts a credential and the findings planted on it. */
  private credential(source: string, ...rules: (RuleId | null)[]): void {
    this.credentialCounts[source] = (this.credentialCounts[source] ?? 0) + 1;
    for (const rule of rules) if (rule) this.planted[rule].open++;
  }

  /**
   * The credentials of one CSV account of a person: most used in the last month; some unused for months or never
   * used since long ago (unused-credential); some revoked (no finding); every enabled one of a departed owner or a
   * disabled account is a credential-outlived-owner. Every day stays well away from the 90-day threshold.
   */
  private csvCredentials(app: CsvApp, accountId: string, plan: AccountPlan): void {
    const r = this.credentialRandom;
    const spec = app.credentials;
    if (!spec || !plan.owner) return;
    const whole = Math.floor(spec.perAccount);
    const count = whole + (r.chance(spec.perAccount - whole) ? 1 : 0);
    for (let k = 0; k < count; k++) {
      const serial = this.next(`credential:${app.name}`);
      const enabled = !r.chance(0.05);
      const roll = r.next();
      let createdDay = -r.int(30, 900);
      let lastUsedDay: number | null = -r.next() * 30;
      let unused = false;
      if (roll < 0.04) {
        lastUsedDay = -r.int(120, 400) - r.next();
        createdDay = Math.min(createdDay, lastUsedDay - r.int(1, 200));
        unused = true;
      } else if (roll < 0.06) {
        lastUsedDay = null;
        createdDay = -r.int(120, 600);
        unused = true;
      } else if (roll < 0.09) {
        lastUsedDay = null;
        createdDay = -r.int(1, 30);
      }
      const outlived = plan.owner.departed || !plan.enabled;
      this.credentialFiles
        .get(app.name)!
        .line(
          csvLine([
            `${app.name}-cred-${hex(scramble(serial, 0xc4ed), 8)}-${serial}`,
            accountId,
            spec.kind,
            `${app.name} ${spec.kind === 'oauth-grant' ? 'grant' : 'key'} ${serial}`,
            this.time(createdDay),
            lastUsedDay === null ? '' : this.time(lastUsedDay),
            enabled ? 'true' : 'false',
          ]),
        );
      this.credential(
        app.name,
        enabled && outlived ? 'credential-outlived-owner' : null,
        enabled && unused ? 'unused-credential' : null,
      );
    }
  }

  private slackMember(serial: number, plan: AccountPlan): void {
    const id = `U${scramble(serial, 0x51ac).toString(36).toUpperCase().padStart(7, '0')}`;
    const bot = plan.type === 'bot';
    const handle = plan.login ?? (plan.email ?? id).split('@')[0]!.toLowerCase();
    const member: SlackMember = {
      id,
      team_id: 'T0BENCHTEAM',
      name: handle,
      deleted: !plan.enabled,
      real_name: `${capital(plan.first)} ${capital(plan.last)}`,
      tz: 'Europe/London',
      profile: {
        real_name: `${capital(plan.first)} ${capital(plan.last)}`,
        display_name: handle,
        ...(plan.email && !bot ? { email: plan.email } : {}),
        ...(bot ? { bot_id: `B${id.slice(1)}` } : {}),
        team: 'T0BENCHTEAM',
      },
      is_admin: plan.privileged,
      is_owner: false,
      is_primary_owner: false,
      is_restricted: plan.type === 'guest',
      is_ultra_restricted: false,
      is_bot: bot,
      is_app_user: false,
      updated: Math.floor((this.anchorMs + plan.createdDay * DAY_MS) / 1000),
    };
    if (this.slackUsers.length === 0) {
      this.counts.slack = (this.counts.slack ?? 0) + 1;
      this.slackUsers.push({
        id: 'USLACKBOT',
        team_id: 'T0BENCHTEAM',
        name: 'slackbot',
        deleted: false,
        real_name: 'Slackbot',
        profile: { real_name: 'Slackbot', display_name: 'Slackbot', team: 'T0BENCHTEAM' },
        is_bot: false,
        is_app_user: false,
        updated: 0,
      });
    }
    this.slackUsers.push(member);
    if (plan.lastLoginDay !== null && !bot) {
      const last = Math.floor((this.anchorMs + plan.lastLoginDay * DAY_MS) / 1000);
      this.slackLogs.push(accessLog(id, handle, last, '198.51.100.7'));
      // Several rows per user (other devices, older): the collector keeps the latest.
      if (serial % 7 === 0) this.slackLogs.push(accessLog(id, handle, last - 86_400 * 3, '203.0.113.40'));
    }
  }

  private scimUser(serial: number, plan: AccountPlan): void {
    const email = plan.email;
    const user: ScimFakeUser = {
      schemas: [
        'urn:ietf:params:scim:schemas:core:2.0:User',
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
      ],
      id: guid(serial, 0x5c1e),
      externalId: `ext-${serial}`,
      userName: plan.login ?? email ?? `user-${serial}`,
      name: { givenName: capital(plan.first), familyName: capital(plan.last) },
      displayName: `${capital(plan.first)} ${capital(plan.last)}`,
      active: plan.enabled,
      emails: email ? [{ value: email, type: 'work', primary: true }] : [],
      meta: { resourceType: 'User', created: this.time(plan.createdDay), lastModified: this.time(plan.createdDay) },
    };
    if (plan.employeeId) {
      user['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'] = { employeeNumber: plan.employeeId };
    }
    if (plan.privileged) user.roles = [{ value: 'admin', display: 'Account Admin' }];
    this.scimUsers.push(user);
  }

  private csvRow(source: string, serial: number, plan: AccountPlan): void {
    const app = this.csvApps.find((candidate) => candidate.name === source)!;
    const values: Record<string, string> = {
      id: `${source.slice(0, 2)}${hex(scramble(serial, 0xc5f0 + source.length), 8)}`,
      login: plan.login ?? plan.email?.split('@')[0] ?? '',
      email: plan.email ?? '',
      employee_id: plan.employeeId ?? '',
      display_name: `${capital(plan.first)} ${capital(plan.last)}`,
      status: plan.enabled ? 'active' : plan.disabledAs === 'suspended' ? 'suspended' : 'deleted',
      type: plan.type,
      created_at: this.time(plan.createdDay),
      last_login_at: plan.lastLoginDay === null ? '' : this.time(plan.lastLoginDay),
      privileged: plan.privileged ? 'true' : 'false',
      licenses: app.licenses ?? '',
    };
    this.csv.get(source)!.line(csvLine(csvHeader(app).map((column) => values[column] ?? '')));
    this.csvCredentials(app, values.id!, plan);
  }

  // ---- helpers ------------------------------------------------------------------------------------------------

  private next(counter: string): number {
    const value = (this.serials[counter] ?? 0) + 1;
    this.serials[counter] = value;
    return value;
  }

  /** YYYY-MM-DD, `days` from the anchor's date. */
  private day(days: number): string {
    return new Date(this.anchorMs + Math.round(days) * DAY_MS).toISOString().slice(0, 10);
  }

  private time(days: number): string {
    return new Date(Math.round(this.anchorMs + days * DAY_MS)).toISOString();
  }
}

/** The columns of a generated credentials file (read by credential-feed.ts). */
export const CREDENTIAL_HEADER = ['id', 'account_id', 'kind', 'name', 'created_at', 'last_used_at', 'enabled'] as const;

function credentialFile(dir: string, app: string): string {
  return path.join(dir, `${app}.credentials.csv`);
}

function csvHeader(app: CsvApp): string[] {
  return [
    'id',
    'login',
    'email',
    ...(app.employeeId ? ['employee_id'] : []),
    'display_name',
    'status',
    'type',
    ...(app.created === false ? [] : ['created_at']),
    ...(app.activity ? ['last_login_at'] : []),
    'privileged',
    ...(app.licenses ? ['licenses'] : []),
  ];
}

function accessLog(userId: string, username: string, dateLast: number, ip: string): SlackAccessLogRow {
  return {
    user_id: userId,
    username,
    date_first: dateLast - 86_400 * 30,
    date_last: dateLast,
    count: 12,
    ip,
    user_agent: 'Slack_SSB/4.41.105',
    isp: 'Example ISP',
    country: 'GB',
    region: 'England',
  };
}

function guid(serial: number, salt: number): string {
  const a = scramble(serial, salt);
  const b = scramble(serial, salt + 1);
  return `${hex(a, 8)}-${hex(b >>> 16, 4)}-4${hex(b & 0xfff, 3)}-8${hex(scramble(serial, salt + 2) >>> 20, 3)}-${hex(serial, 12)}`;
}

function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function csvLine(values: readonly string[]): string {
  return values.map((value) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)).join(',');
}

/** Buffered, synchronous line output: a million rows without holding them, and without stream backpressure. */
class LineWriter {
  private readonly fd: number;
  private buffer: string[] = [];
  private size = 0;

  constructor(file: string) {
    this.fd = openSync(file, 'w');
  }

  line(text: string): void {
    this.buffer.push(text);
    this.size += text.length + 1;
    if (this.size > 1 << 20) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join('\n') + '\n');
    this.buffer = [];
    this.size = 0;
  }
}
