import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback Jira Cloud (REST v3) with the two calls zombiescan makes: `POST /rest/api/3/issue` (201 `{id, key,
 * self}`; 400 `{errorMessages, errors}` for a missing project, issue type or summary, a description that is not an
 * Atlassian Document, or a label with a space; 401 for bad basic auth) and `GET /rest/api/3/search/jql` (the enhanced
 * search: `{issues, isLast}` for `project = "X" AND labels = "Y"` queries). Failures (429 with Retry-After, 5xx) can
 * be injected, including a 5xx sent after the issue was created, as a proxy timing out would.
 */

export interface JiraFakeIssue {
  id: string;
  key: string;
  fields: {
    project: string;
    issuetype: string;
    summary: string;
    description: unknown;
    labels: string[];
  };
}

export interface JiraFakeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  authorized: boolean;
  status: number;
}

export interface JiraInjectedFailure {
  status: number;
  times: number;
  retryAfter?: string;
  /** Only requests whose path starts with this. */
  path?: string;
  method?: string;
  /** For a create: make the issue anyway, then answer with the failure. */
  afterCreate?: boolean;
}

export interface JiraFakeState {
  issues: JiraFakeIssue[];
  requests: JiraFakeRequest[];
  failures: JiraInjectedFailure[];
}

export interface JiraFakeOptions {
  email?: string;
  apiToken?: string;
  /** Project key -> issue type names. */
  projects?: Record<string, string[]>;
}

export interface JiraFake {
  baseUrl: string;
  email: string;
  apiToken: string;
  state: JiraFakeState;
  /** Create requests that reached the fake (whatever their answer). */
  creates(): JiraFakeRequest[];
  inject(failure: JiraInjectedFailure): void;
  close(): Promise<void>;
}

export async function startJiraFake(options: JiraFakeOptions = {}): Promise<JiraFake> {
  const email = options.email ?? 'secops@acme.test';
  const apiToken = options.apiToken ?? 'jira-fake-api-token-0000';
  const projects = options.projects ?? { SEC: ['Task', 'Bug'] };
  const state: JiraFakeState = { issues: [], requests: [], failures: [] };
  const expectedAuth = `Basic ${Buffer.from(`${email}:${apiToken}`).toString('base64')}`;
  let nextId = 10000;
  const counters = new Map<string, number>();
  let baseUrl = '';

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => handle(req, res, raw),
      () => res.destroy(),
    );
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    const authorized = req.headers.authorization === expectedAuth;
    let body: unknown = undefined;
    const record = (status: number) =>
      state.requests.push({
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        body,
        authorized,
        status,
      });
    const sendJson = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    try {
      body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    } catch {
      return sendJson(400, { errorMessages: ['Unexpected character in the request body'], errors: {} });
    }

    const failure = state.failures.find(
      (entry) =>
        entry.times > 0 &&
        (!entry.path || url.pathname.startsWith(entry.path)) &&
        (!entry.method || entry.method === method),
    );
    if (failure && !failure.afterCreate) {
      failure.times--;
      return sendFailure(failure);
    }
    if (!authorized) {
      record(401);
      res.writeHead(401, { 'Content-Type': 'text/plain;charset=UTF-8' });
      return void res.end('Client must be authenticated to access this resource.');
    }

    if (method === 'POST' && url.pathname === '/rest/api/3/issue') {
      const problems = validateCreate(body, projects);
      if (problems) return sendJson(400, { errorMessages: [], errors: problems });
      const fields = (body as { fields: Record<string, unknown> }).fields;
      const project = (fields.project as { key: string }).key;
      const count = (counters.get(project) ?? 0) + 1;
      counters.set(project, count);
      const issue: JiraFakeIssue = {
        id: String(nextId++),
        key: `${project}-${count}`,
        fields: {
          project,
          issuetype: (fields.issuetype as { name: string }).name,
          summary: fields.summary as string,
          description: fields.description,
          labels: (fields.labels as string[] | undefined) ?? [],
        },
      };
      state.issues.push(issue);
      if (failure?.afterCreate) {
        failure.times--;
        return sendFailure(failure);
      }
      return sendJson(201, { id: issue.id, key: issue.key, self: `${baseUrl}/rest/api/3/issue/${issue.id}` });
    }

    if (method === 'GET' && url.pathname === '/rest/api/3/search/jql') {
      const clauses = parseJql(url.searchParams.get('jql') ?? '');
      if (!clauses) {
        return sendJson(400, {
          errorMessages: ['Error in the JQL Query: the fake only knows field = "value" AND ...'],
          errors: {},
        });
      }
      const maxResults = Number(url.searchParams.get('maxResults') ?? '50');
      const matches = state.issues.filter((issue) =>
        clauses.every(({ field, value }) =>
          field === 'project'
            ? issue.fields.project === value
            : field === 'labels'
              ? issue.fields.labels.includes(value)
              : false,
        ),
      );
      return sendJson(200, {
        issues: matches.slice(0, maxResults).map((issue) => ({
          id: issue.id,
          key: issue.key,
          self: `${baseUrl}/rest/api/3/issue/${issue.id}`,
          fields: { summary: issue.fields.summary },
        })),
        isLast: matches.length <= maxResults,
      });
    }

    return sendJson(404, { errorMessages: ['No such resource'], errors: {} });

    function sendFailure(entry: JiraInjectedFailure): void {
      const headers: Record<string, string> = entry.retryAfter ? { 'Retry-After': entry.retryAfter } : {};
      sendJson(entry.status, { errorMessages: [`injected HTTP ${entry.status}`], errors: {} }, headers);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    email,
    apiToken,
    state,
    creates: () =>
      state.requests.filter((request) => request.method === 'POST' && request.path === '/rest/api/3/issue'),
    inject: (failure) => state.failures.push({ ...failure }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The field errors Jira sends for a create it refuses, or null when the request is fine. */
function validateCreate(body: unknown, projects: Record<string, string[]>): Record<string, string> | null {
  const errors: Record<string, string> = {};
  const fields = isObject(body) && isObject(body.fields) ? body.fields : null;
  if (!fields) return { fields: 'Field "fields" is required.' };
  const project = isObject(fields.project) && typeof fields.project.key === 'string' ? fields.project.key : null;
  if (!project || !projects[project]) errors.project = 'valid project is required';
  const issueType =
    isObject(fields.issuetype) && typeof fields.issuetype.name === 'string' ? fields.issuetype.name : null;
  if (!issueType || (project && projects[project] && !projects[project].includes(issueType))) {
    errors.issuetype = 'Specify a valid issue type';
  }
  if (typeof fields.summary !== 'string' || fields.summary.trim() === '') {
    errors.summary = 'You must specify a summary of the issue.';
  } else if (fields.summary.length > 255) {
    errors.summary = 'Summary must be less than 255 characters.';
  } else if (/[\r\n]/.test(fields.summary)) {
    errors.summary = 'The summary is invalid because it contains newline characters.';
  }
  if (fields.description !== undefined && !isAdf(fields.description)) {
    errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
  }
  if (fields.labels !== undefined) {
    if (!Array.isArray(fields.labels) || fields.labels.some((label) => typeof label !== 'string' || /\s/.test(label))) {
      errors.labels = 'The label cannot contain spaces.';
    }
  }
  return Object.keys(errors).length > 0 ? errors : null;
}

/** The ADF shape Jira checks first: a versioned doc whose paragraphs hold non-empty text nodes. */
function isAdf(value: unknown): boolean {
  if (!isObject(value) || value.type !== 'doc' || value.version !== 1 || !Array.isArray(value.content)) return false;
  return value.content.every(
    (block) =>
      isObject(block) &&
      typeof block.type === 'string' &&
      (block.content === undefined ||
        (Array.isArray(block.content) &&
          block.content.every(
            (inline) =>
              isObject(inline) && (inline.type !== 'text' || (typeof inline.text === 'string' && inline.text !== '')),
          ))),
  );
}

/** `field = "value" AND field = "value" [ORDER BY ...]`, the only JQL this fake understands. */
function parseJql(jql: string): { field: string; value: string }[] | null {
  const withoutOrder = jql.replace(/\s+ORDER\s+BY\s+.*$/i, '').trim();
  const clauses: { field: string; value: string }[] = [];
  for (const part of withoutOrder.split(/\s+AND\s+/i)) {
    const match = /^(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"$/.exec(part.trim());
    if (!match) return null;
    clauses.push({ field: match[1]!.toLowerCase(), value: match[2]!.replace(/\\(.)/g, '$1') });
  }
  return clauses;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
