import { z } from 'zod';

/**
 * The `lifecycle:` section: scheduled offboarding of leavers (`leavers`), staged permission decay per population
 * (`decay`) and signed leaver events from the HR system (`hrEvents`). Semantics in SPEC.md, "Lifecycle".
 */

/** What a decay step may do. `revoke-credentials` means revoke-credential on every credential of the person. */
export const LIFECYCLE_ACTIONS = [
  'notify-owner',
  'revoke-sessions',
  'disable',
  'revoke-credentials',
  'remove-licenses',
  'delete',
] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

/** Roster fields a decay policy can match on. */
export const DECAY_MATCH_FIELDS = ['workerType', 'department', 'status'] as const;

const DAY_OFFSET = /^([+-]?)(\d{1,4})d$/;

/** `-14d`, `0d`, `+90d` -> whole days relative to the termination moment. */
export function parseDayOffset(text: string): number | null {
  const found = DAY_OFFSET.exec(text.trim());
  if (!found) return null;
  const days = Number(found[2]);
  return found[1] === '-' ? -days : days;
}

const lifecycleAction = z.string().refine((value) => (LIFECYCLE_ACTIONS as readonly string[]).includes(value), {
  error: (issue) => `unknown action "${String(issue.input)}": one of ${LIFECYCLE_ACTIONS.join(', ')}`,
});

const decayStepSchema = z.strictObject({
  /** Days relative to the termination moment: `-14d` before, `0d` at, `+30d` after. */
  at: z.string().refine((value) => parseDayOffset(value) !== null, 'a day offset such as -14d, 0d or +30d'),
  do: z.union([lifecycleAction, z.array(lifecycleAction).min(1)]),
});

const matchValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

const decayPolicySchema = z.strictObject({
  /** Names the policy in `leavers` and the journal; defaults to `decay[N]`. */
  name: z.string().min(1).optional(),
  /** Every field given must match the roster (case-insensitive; a list means any of them). */
  match: z.partialRecord(z.enum(DECAY_MATCH_FIELDS), matchValue).refine((value) => Object.keys(value).length > 0, {
    error: 'match at least one roster field (workerType, department, status)',
  }),
  steps: z.array(decayStepSchema).min(1),
});

export const lifecycleSchema = z.strictObject({
  leavers: z
    .strictObject({
      /** `plan`: due steps are listed and logged, never applied. `apply`: serve carries them out. */
      mode: z.enum(['plan', 'apply']).default('plan'),
      /** More leavers due at once than this (an HR glitch) acts on none of them and alerts. */
      maxPerDay: z.number().int().positive().default(20),
    })
    .default({ mode: 'plan', maxPerDay: 20 }),
  decay: z.array(decayPolicySchema).default([]),
  hrEvents: z
    .strictObject({
      /** Shared HMAC-SHA256 secret of POST /hooks/hr. */
      secret: z.string().min(1),
    })
    .optional(),
});

export type LifecycleConfig = z.infer<typeof lifecycleSchema>;
export const DEFAULT_LIFECYCLE: LifecycleConfig = { leavers: { mode: 'plan', maxPerDay: 20 }, decay: [] };

/** A decay step as the engine uses it. */
export interface DecayStep {
  offsetDays: number;
  actions: LifecycleAction[];
}

export interface DecayPolicy {
  name: string;
  match: Partial<Record<(typeof DECAY_MATCH_FIELDS)[number], string[]>>;
  steps: DecayStep[];
}

/**
 * The decay policies with their steps resolved, or the first problem as [path, message]: steps must go forward in
 * time, an action appears once per policy, and `delete` comes only after a grace period following a `disable`.
 */
export function resolveDecayPolicies(
  config: LifecycleConfig,
): { policies: DecayPolicy[] } | { problem: [path: (string | number)[], message: string] } {
  const policies: DecayPolicy[] = [];
  for (const [index, policy] of config.decay.entries()) {
    const steps: DecayStep[] = [];
    const seen = new Map<LifecycleAction, number>();
    for (const [stepIndex, step] of policy.steps.entries()) {
      const offsetDays = parseDayOffset(step.at)!;
      const actions = (Array.isArray(step.do) ? step.do : [step.do]) as LifecycleAction[];
      const at = ['decay', index, 'steps', stepIndex];
      const previous = steps[steps.length - 1];
      if (previous && offsetDays <= previous.offsetDays) {
        return {
          problem: [
            [...at, 'at'],
            `steps out of order: ${step.at} is not after the previous step's ${formatOffset(previous.offsetDays)}`,
          ],
        };
      }
      for (const action of actions) {
        if (seen.has(action)) return { problem: [[...at, 'do'], `"${action}" appears twice in this policy`] };
        seen.set(action, offsetDays);
      }
      if (actions.includes('delete')) {
        const disabledAt = seen.get('disable');
        if (disabledAt === undefined || disabledAt >= offsetDays) {
          return {
            problem: [
              [...at, 'do'],
              '`delete` must come after a grace period following a `disable` step (delete before disable is refused)',
            ],
          };
        }
      }
      steps.push({ offsetDays, actions });
    }
    const match = Object.fromEntries(
      Object.entries(policy.match).map(([field, value]) => [field, Array.isArray(value) ? value : [value]]),
    );
    policies.push({ name: policy.name ?? `decay[${index}]`, match, steps });
  }
  return { policies };
}

export function formatOffset(days: number): string {
  return days === 0 ? '0d' : days > 0 ? `+${days}d` : `${days}d`;
}
