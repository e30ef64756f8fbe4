/** The starter config `zombiescan init` writes: every section present, commented, safe defaults. */
export const STARTER_CONFIG = `# zombiescan configuration. Reference: README.md "Configuration".
# Secrets are never written here: use \${VAR} and set the variable in the environment.

database: ./zombiescan.db          # SQLite file (created with mode 0600)
timezone: UTC                      # when a date-only HR termination date takes effect (end of that day here)

roster:
  path: ./hr.csv                   # HR export: employee_id, email, status required
  # columns: { employeeId: "Employee ID", email: "Work Email", status: "Employment Status" }
  # delimiter: ";"
  # dateFormat: dd/MM/yyyy         # date-fns pattern; default ISO 8601
  # statusMap: { "Garden Leave": leave, Resigned: terminated }   # HR words beyond the built-in list

identity:
  domainAliases: {}                # e.g. { "example.co.uk": "example.com" }
  stripPlusTags: true              # bob+slack@example.com matches bob@example.com

sources:
  # Identity providers (role: idp) are the front door: an app account whose owner is locked out of every idp
  # but still enabled in the app is flagged.
  # - { name: okta, type: okta, orgUrl: "https://acme.okta.com", token: "\${OKTA_API_TOKEN}", role: idp }
  # - { name: entra, type: entra, tenantId: "…", clientId: "…", clientSecret: "\${ENTRA_CLIENT_SECRET}", role: idp }
  # - { name: google, type: google, subject: "admin@acme.com", keyFile: ./zombiescan-sa.json, role: idp }
  # - { name: slack, type: slack, token: "\${SLACK_TOKEN}" }
  # - { name: zoom, type: scim, baseUrl: "https://api.zoom.us/scim2", token: "\${ZOOM_SCIM_TOKEN}" }
  # AWS: credentials from the standard AWS chain (env, profile/SSO, instance role), never in this file.
  # - { name: aws-prod, type: aws, profile: prod-audit, identityStoreId: d-1234567890 }
  - { name: github, type: csv, path: ./exports/github.csv }
  # A vendor's export as it is (README "From your exports"): map its headers, status words and dates.
  # - name: salesforce
  #   type: csv
  #   path: ./exports/salesforce-users.csv
  #   columns: { id: User ID, login: Username, email: Email, status: Active, last_login_at: Last Login }
  #   statusMap: { "1": active, "0": disabled }
  #   dateFormat: "M/d/yyyy, h:mm a"

rules:
  dormant-account: { days: 90 }
  never-logged-in: { days: 30 }
  stale-guest: { days: 60 }

# Service accounts with a declared owner (glob on login or email); unowned ones are findings.
serviceAccounts: []
#  - { source: github, login: "svc-*", owner: E1001 }

# Standing exceptions: the finding is kept, suppressed, until the date; it reopens after.
exceptions: []
#  - { source: okta, login: "breakglass@example.com", reason: "Break-glass, reviewed quarterly", owner: E1001, expires: 2027-06-30 }

# Key of the remediation journal (an HMAC-SHA256 per row; \`openssl rand -hex 32\`). Without it the journal's hash
# chain detects accidental or naive edits only. README "Security".
# audit: { key: "\${ZOMBIESCAN_AUDIT_KEY}" }
`;
