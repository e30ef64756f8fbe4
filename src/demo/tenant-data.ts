/**
 * The shapes of the demo's tenant files (google.json, github.json, aws.json, entra.json): plain data that src/demo/tenants.ts hands to the
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
  entraGraphUrl: 'ZOMBIESCAN_DEMO_ENTRA_GRAPH_URL',
  entraAuthorityUrl: 'ZOMBIESCAN_DEMO_ENTRA_AUTHORITY_URL',
  entraClientSecret: 'ZOMBIESCAN_DEMO_ENTRA_CLIENT_SECRET',
} as const;

/** The service-account key the demo writes beside its config at run time (the fake makes a fresh pair each run). */
export const DEMO_GOOGLE_KEY_FILE = 'google-service-account.json';
export const DEMO_GOOGLE_FILE = 'google.json';
export const DEMO_GITHUB_FILE = 'github.json';
export const DEMO_AWS_FILE = 'aws.json';
export const DEMO_ENTRA_FILE = 'entra.json';

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

/** A directory user as the Graph fake takes it (test/fakes/graph.ts FakeGraphUser). */
export interface DemoEntraUser {
  id: string;
  userPrincipalName: string;
  displayName: string;
  givenName: string;
  surname: string;
  jobTitle: string | null;
  mail: string;
  mobilePhone: null;
  officeLocation: null;
  preferredLanguage: string;
  businessPhones: string[];
  otherMails: string[];
  proxyAddresses: string[];
  employeeId: string;
  accountEnabled: boolean;
  userType: 'Member';
  createdDateTime: string;
  externalUserState: null;
  onPremisesSyncEnabled: null;
  assignedLicenses: { disabledPlans: string[]; skuId: string }[];
  signInActivity: {
    lastSignInDateTime: string;
    lastNonInteractiveSignInDateTime: string;
    lastSuccessfulSignInDateTime: string;
  };
}

/** An app registration as the Graph fake takes it (test/fakes/graph.ts FakeApplication); owners are user ids. */
export interface DemoEntraApplication {
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  passwordCredentials: {
    keyId: string;
    displayName: string;
    hint: string;
    startDateTime: string;
    endDateTime: string;
  }[];
  keyCredentials: never[];
  owners: string[];
}

/** The Entra ID tenant: the directory's users and its app registrations. */
export interface DemoEntraTenant {
  tenantId: string;
  /** The scanner's own app registration (client credentials; its throwaway secret is made at run time). */
  clientId: string;
  users: DemoEntraUser[];
  applications: DemoEntraApplication[];
}
