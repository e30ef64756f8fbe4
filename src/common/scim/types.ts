/**
 * The SCIM 2.0 wire shapes we read (RFC 7643 resources, RFC 7644 messages). Everything is optional and loosely typed
 * because service providers implement the RFC unevenly; transform.ts decides what to trust.
 */

export const SCIM_MEDIA_TYPE = 'application/scim+json';

export const SCIM_SCHEMAS = {
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  enterpriseUser: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
} as const;

export interface ScimMultiValue {
  value?: unknown;
  display?: unknown;
  type?: unknown;
  primary?: unknown;
}

export interface ScimEnterpriseUser {
  employeeNumber?: unknown;
  manager?: unknown;
}

export interface ScimUser {
  schemas?: unknown;
  id?: unknown;
  externalId?: unknown;
  userName?: unknown;
  name?: { formatted?: unknown; givenName?: unknown; familyName?: unknown } | null;
  displayName?: unknown;
  userType?: unknown;
  active?: unknown;
  emails?: unknown;
  roles?: unknown;
  meta?: { created?: unknown; lastModified?: unknown } | null;
  [SCIM_SCHEMAS.enterpriseUser]?: ScimEnterpriseUser | null;
  [attribute: string]: unknown;
}

/** RFC 7644 §3.4.2: `Resources` is required only when totalResults is non-zero; itemsPerPage may lie. */
export interface ScimListResponse {
  totalResults: number;
  startIndex: number | null;
  itemsPerPage: number | null;
  Resources: ScimUser[];
}

/** RFC 7644 §3.5.2 PATCH operation. */
export interface ScimPatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

/** The parts of /ServiceProviderConfig (RFC 7643 §5) that tell an operator what the app supports. */
export interface ScimServiceProviderConfig {
  patch?: { supported?: unknown } | null;
  filter?: { supported?: unknown; maxResults?: unknown } | null;
  bulk?: { supported?: unknown } | null;
  [attribute: string]: unknown;
}
