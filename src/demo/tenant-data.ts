/**
 * The shapes of the demo's tenant files (google.json, github.json, aws.json): plain data that src/demo/tenants.ts hands to the
 * loopback fakes of test/fakes, which the real collectors then read through their SDKs. Kept apart from tenants.ts so
 * the generator and the date shifter never load a server; tenants.ts passing these to the fakes is what keeps the two
 * shapes in step (the compiler checks it).
 */

/** Variables the demo config reads its loopback addresses and throwaway token from (set for the demo's scan only). */
export const DEMO_TENANT_ENV = {
  googleApiUrl: 'ZOMBIESCAN_DEMO_GOOGLE_API_URL',
  googleTokenUrl: 'ZOMBIESCAN_DEMO_GOOGLE_TOKEN_URL',
  githubApiUrl: 'ZOMBIESCAN_DEMO_GITHUB_API_URL',
  githubToken: 'ZOMBIESCAN_DEMO_GITHUB_TOKEN',
  awsEndpoint: 'ZOMBIESCAN_DEMO_AWS_ENDPOINT',
} as const;

/** The service-account key the demo writes beside its config at run time (the fake makes a fresh pair each run). */
export const DEMO_GOOGLE_KEY_FILE = 'google-service-account.json';
export const DEMO_GOOGLE_FILE = 'google.json';
export const DEMO_GITHUB_FILE = 'github.json';
export const DEMO_AWS_FILE = 'aws.json';

/** A Directory API user as the fake takes it (test/fakes/google.ts GoogleUserData). */
export interface DemoGoogleUser {
  id: string;
  primaryEmail: string;
  givenName: string;
  familyName: string;
  suspended?: boolean;
  archived?: boolean;
  isAdmin?: boolean;
  isDelegatedAdmin?: boolean;
  creationTime: string;
  /** Absent: never signed in (the fake answers Google's 1970 epoch). */
  lastLoginTime?: string;
  orgUnitPath: string;
  /** HR employee id, as an `externalIds` entry of type organization. */
  employeeId?: string;
}

export interface DemoGoogleTenant {
  customerId: string;
  domains: string[];
  users: DemoGoogleUser[];
}

export interface DemoGitHubUser {
  id: number;
  login: string;
  name: string | null;
  type: 'User' | 'Bot';
  verifiedDomainEmails?: string[];
}

/** A GitHub organization as the fake takes it (test/fakes/github.ts FakeGitHubData, without tokens). */
export interface DemoGitHubOrg {
  org: string;
  /** The owner whose read-only token (read:org) the demo's scan uses. */
  scanner?: string;
  members: { user: DemoGitHubUser; role: 'admin' | 'member' }[];
  outsideCollaborators: DemoGitHubUser[];
  invitations: {
    id: number;
    login: string | null;
    email: string | null;
    role: 'admin' | 'direct_member';
    created_at: string;
  }[];
  saml: { ssoUrl: string; identities: { guid: string; nameId: string; emails: string[]; userId: number }[] };
  /** SAML SSO credential authorizations (PATs, SSH keys) as GitHub lists them. */
  credentialAuthorizations: DemoCredentialAuthorization[];
}

/** One credential authorization (test/fakes/github.ts FakeCredentialAuthorization). */
export interface DemoCredentialAuthorization {
  login: string;
  credential_id: number;
  credential_type: 'personal access token' | 'SSH key';
  credential_authorized_at: string;
  credential_accessed_at: string | null;
  authorized_credential_id: number;
  token_last_eight?: string;
  scopes?: string[];
  authorized_credential_note?: string;
  authorized_credential_expires_at?: null;
  fingerprint?: string;
  authorized_credential_title?: string;
}

/** An IAM user as the fake takes it (test/fakes/aws.ts FakeIamUser). */
export interface DemoIamUser {
  userName: string;
  userId: string;
  created: string;
  path: string;
  tags: Record<string, string>;
  groups: string[];
  password: { created: string; lastUsed: string | null } | null;
  accessKeys: { id: string; status: 'Active' | 'Inactive'; created: string; lastUsed: string | null }[];
  mfa: boolean;
}

/** One AWS account as the fake takes it (test/fakes/aws.ts FakeAwsAccount). */
export interface DemoAwsAccount {
  accountId: string;
  groups: { name: string; attachedPolicies: string[] }[];
  users: DemoIamUser[];
  root: {
    created: string;
    passwordLastUsed: string | null;
    accessKeys: { active: boolean; lastRotated: string; lastUsed: string | null }[];
    mfa: boolean;
  };
}
