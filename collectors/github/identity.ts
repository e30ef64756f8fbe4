import { columnKey, openCsv } from '../../src/common/csv-input.js';
import { InputError } from '../../src/contract/errors.js';
import { type GitHubConnection, PAGE_SIZE, gitHubMessage, permissionHint, toSourceError } from './client.js';
import type { IdentityMapEntry, SamlIdentity } from './transform.js';

/**
 * Where a GitHub login's corporate identity comes from, in SPEC's order: the org's SAML SSO external identities
 * (GraphQL, paged), the member's verified-domain emails for the org (GraphQL, asked only for members SAML did not
 * link), then the `identityMap` CSV.
 */

const SAML_QUERY = `query($org: String!, $after: String) {
  organization(login: $org) {
    samlIdentityProvider {
      externalIdentities(first: ${PAGE_SIZE}, after: $after) {
        pageInfo { hasNextPage endCursor }
        edges {
          node {
            guid
            samlIdentity { nameId username emails { value primary } }
            scimIdentity { username emails { value primary } }
            user { login databaseId }
          }
        }
      }
    }
  }
}`;

interface SamlPage {
  organization: {
    samlIdentityProvider: {
      externalIdentities: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        edges: { node: SamlNode | null }[] | null;
      };
    } | null;
  } | null;
}

interface SamlNode {
  guid: string;
  samlIdentity: {
    nameId: string | null;
    username: string | null;
    emails: { value: string; primary: boolean | null }[] | null;
  } | null;
  scimIdentity: { username: string | null; emails: { value: string; primary: boolean | null }[] | null } | null;
  user: { login: string; databaseId: number | null } | null;
}

interface GraphqlFailure {
  errors?: { type?: string; message?: string }[];
  data?: unknown;
}

/** SAML identities by GitHub user id, or null when the org has no SAML SSO (or it cannot be read: said once). */
export async function readSamlIdentities(
  connection: GitHubConnection,
  notice: (message: string) => void,
): Promise<Map<number, SamlIdentity> | null> {
  const { octokit, config } = connection;
  const identities = new Map<number, SamlIdentity>();
  let after: string | null = null;
  for (;;) {
    let page: SamlPage;
    try {
      page = await octokit.graphql<SamlPage>(SAML_QUERY, { org: config.org, after });
    } catch (error) {
      const forbidden = graphqlErrorTypes(error).some((type) => type === 'FORBIDDEN' || type === 'INSUFFICIENT_SCOPES');
      if (after === null && forbidden) {
        notice(
          `SAML SSO identities not readable (${gitHubMessage(error)}): ${permissionHint(config)}; ` +
            'linking falls back to verified-domain emails and identityMap',
        );
        return null;
      }
      throw toSourceError(connection, 'GraphQL organization.samlIdentityProvider.externalIdentities', error);
    }
    if (page.organization === null) {
      throw toSourceError(connection, 'GraphQL organization', Object.assign(new Error('not found'), { status: 404 }));
    }
    const provider = page.organization.samlIdentityProvider;
    if (provider === null) {
      notice(
        `organization ${config.org} has no SAML SSO of its own (or it is configured on the enterprise): ` +
          'linking falls back to verified-domain emails and identityMap',
      );
      return null;
    }
    for (const edge of provider.externalIdentities.edges ?? []) {
      const identity = edge.node ? samlIdentityOf(edge.node) : null;
      if (identity) identities.set(identity.userId, identity);
    }
    const { hasNextPage, endCursor } = provider.externalIdentities.pageInfo;
    if (!hasNextPage) return identities;
    if (!endCursor || endCursor === after) {
      throw toSourceError(connection, 'GraphQL externalIdentities', new Error('the cursor did not advance'));
    }
    after = endCursor;
  }
}

/** Pure: one external identity as the emails it vouches for; null when it is not claimed by a GitHub user. */
export function samlIdentityOf(node: SamlNode): SamlIdentity | null {
  if (!node.user || typeof node.user.databaseId !== 'number') return null;
  const candidates = [
    node.samlIdentity?.nameId,
    ...primaryFirst(node.samlIdentity?.emails),
    node.samlIdentity?.username,
    node.scimIdentity?.username,
    ...primaryFirst(node.scimIdentity?.emails),
  ];
  const emails: string[] = [];
  for (const candidate of candidates) {
    const email = candidate?.trim();
    if (email && isEmail(email) && !emails.some((known) => known.toLowerCase() === email.toLowerCase())) {
      emails.push(email);
    }
  }
  return { userId: node.user.databaseId, login: node.user.login, nameId: node.samlIdentity?.nameId ?? null, emails };
}

function primaryFirst(emails: { value: string; primary: boolean | null }[] | null | undefined): string[] {
  if (!emails) return [];
  return [...emails].sort((a, b) => Number(b.primary === true) - Number(a.primary === true)).map((e) => e.value);
}

export function isEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value);
}

function graphqlErrorTypes(error: unknown): string[] {
  const errors = (error as GraphqlFailure | null)?.errors;
  return Array.isArray(errors) ? errors.map((entry) => entry.type ?? '') : [];
}

/**
 * Verified-domain emails of some members, in one GraphQL query (one aliased `user` field per login). Null when the
 * credentials cannot read them (said once by the caller); members GitHub no longer knows (renamed since the page
 * was read) are simply absent.
 */
export async function readVerifiedDomainEmails(
  connection: GitHubConnection,
  logins: readonly string[],
): Promise<{ emails: Map<number, string[]> } | { refused: string }> {
  const emails = new Map<number, string[]>();
  if (logins.length === 0) return { emails };
  const { octokit, config } = connection;
  const variables: Record<string, string> = { org: config.org };
  const fields = logins.map((login, index) => {
    variables[`l${index}`] = login;
    return `u${index}: user(login: $l${index}) { databaseId organizationVerifiedDomainEmails(login: $org) }`;
  });
  const declarations = logins.map((_, index) => `$l${index}: String!`).join(', ');
  const query = `query($org: String!, ${declarations}) {\n  ${fields.join('\n  ')}\n}`;
  type Answer = Record<string, { databaseId: number | null; organizationVerifiedDomainEmails: string[] } | null>;
  let data: Answer;
  try {
    data = await octokit.graphql<Answer>(query, variables);
  } catch (error) {
    const types = graphqlErrorTypes(error);
    const partial = (error as GraphqlFailure).data as Answer | undefined;
    if (types.some((type) => type === 'FORBIDDEN' || type === 'INSUFFICIENT_SCOPES')) {
      return { refused: `verified-domain emails not readable (${gitHubMessage(error)}): ${permissionHint(config)}` };
    }
    // NOT_FOUND for a login renamed since its page was read: keep the answers GitHub did give.
    if (partial && types.length > 0 && types.every((type) => type === 'NOT_FOUND')) data = partial;
    else throw toSourceError(connection, 'GraphQL user.organizationVerifiedDomainEmails', error);
  }
  for (const user of Object.values(data)) {
    if (user && typeof user.databaseId === 'number') {
      emails.set(user.databaseId, user.organizationVerifiedDomainEmails.filter(isEmail));
    }
  }
  return { emails };
}

/**
 * The `identityMap` CSV (`login,employee_id,email`; header required, any order): every problem names file, line
 * and column. A row needs a login and at least one of employee_id and email; a login may appear once.
 */
export async function readIdentityMap(file: string): Promise<Map<string, IdentityMapEntry>> {
  const csv = await openCsv(file);
  const entries = new Map<string, IdentityMapEntry & { line: number }>();
  try {
    if (!csv.has('login')) {
      throw new InputError(
        file,
        csv.header.line,
        'login',
        'required column not found (expected login,employee_id,email)',
      );
    }
    if (!csv.has('employee_id') && !csv.has('email')) {
      throw new InputError(
        file,
        csv.header.line,
        null,
        'needs an employee_id or an email column (login,employee_id,email)',
      );
    }
    const header = (column: string) => csv.headerName(column) ?? column;
    for await (const row of csv) {
      const login = row.values[columnKey('login')] ?? '';
      const employeeId = row.values[columnKey('employee_id')] ?? '';
      const email = row.values[columnKey('email')] ?? '';
      if (login === '') throw new InputError(file, row.line, header('login'), 'empty login');
      if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:_[A-Za-z0-9]+)?$/.test(login)) {
        throw new InputError(file, row.line, header('login'), `"${login}" is not a GitHub login`);
      }
      if (employeeId === '' && email === '') {
        throw new InputError(file, row.line, null, 'a row needs an employee_id or an email for the login');
      }
      if (email !== '' && !isEmail(email)) {
        throw new InputError(file, row.line, header('email'), `"${email}" is not an email address`);
      }
      const key = login.toLowerCase();
      const earlier = entries.get(key);
      if (earlier) {
        throw new InputError(
          file,
          row.line,
          header('login'),
          `duplicate login "${login}" (first on line ${earlier.line})`,
        );
      }
      entries.set(key, { login, employeeId: employeeId || null, email: email || null, line: row.line });
    }
  } finally {
    await csv.close();
  }
  return new Map([...entries].map(([key, { line: _line, ...entry }]) => [key, entry]));
}
