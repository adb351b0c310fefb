import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rulesSchemaValidator, schemaProblems } from '../common/rules-folder';
import { parseYamlSource } from '../common/yaml-source';
import { defaultRulesRoot } from '../rules-engine/rule-library';
import { PhysicianPointsPolicy, SeverityBand } from './physician-points';

export const POLICY_FILE = 'physician-points.yaml';
const SCHEMA_FILE = 'physician-points.schema.json';

/** Every problem of the points policy, each as `file:line: message`; the service refuses to start. */
export class PhysicianPolicyError extends Error {
  constructor(readonly problems: string[]) {
    super(`the physicians' points policy has ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  }
}

/**
 * The policy file to use: `<rulesDir>/physician-points.yaml` when a rule folder is configured and
 * holds one, else the shipped rules/physician-points.yaml (a custom folder may hold only screening rules).
 */
export function policyPath(rulesDir?: string): string {
  if (rulesDir && existsSync(join(rulesDir, POLICY_FILE))) return join(rulesDir, POLICY_FILE);
  return join(defaultRulesRoot(), POLICY_FILE);
}

interface RawPolicy {
  version: number;
  cycle: 'calendar-year';
  timezone: string;
  annual_points: number;
  severity_bands: SeverityBand[];
  suspension: { threshold: number; months_by_total: Record<string, number> };
  termination: { threshold: number; bar_years: number; single_incident_bar_years: number };
}

/** Reads, schema-checks and cross-checks the policy; throws a PhysicianPolicyError naming file and line of every problem. */
export function loadPhysicianPointsPolicy(file = policyPath()): PhysicianPointsPolicy {
  const shown = relative(process.cwd(), file) || file;
  const text = readFileSync(file, 'utf8');
  const src = parseYamlSource(text, shown);
  if (src.syntaxProblems.length) throw new PhysicianPolicyError(src.syntaxProblems);
  const { data, lineOf } = src;
  const validate = rulesSchemaValidator(SCHEMA_FILE);
  if (!validate(data)) {
    // Suspension months are keyed by the year's total (numeric keys), not indexes.
    const problems = schemaProblems(validate.errors ?? [], { numericKeys: (p) => p.includes('months_by_total') });
    throw new PhysicianPolicyError(problems.map((e) => `${shown}:${lineOf(e.path)}: ${e.message}`));
  }
  const raw = data as RawPolicy;
  const problems: string[] = [];
  const bad = (path: (string | number)[], message: string) => problems.push(`${shown}:${lineOf(path)}: ${message}`);

  try {
    new Intl.DateTimeFormat('en-US', { timeZone: raw.timezone });
  } catch {
    bad(['timezone'], `timezone: "${raw.timezone}" is not an IANA time zone (e.g. Asia/Shanghai)`);
  }
  // Bands: contiguous from 1 to the annual allowance, in order, names unique.
  let next = 1;
  const names = new Set<string>();
  raw.severity_bands.forEach((b, i) => {
    if (b.min !== next) bad(['severity_bands', i, 'min'], `severity_bands.${i}.min: must be ${next} (bands are contiguous from 1, in order)`);
    if (b.max < b.min) bad(['severity_bands', i, 'max'], `severity_bands.${i}.max: must not be below min`);
    if (names.has(b.band)) bad(['severity_bands', i, 'band'], `severity_bands.${i}.band: "${b.band}" is defined twice`);
    names.add(b.band);
    next = b.max + 1;
  });
  if (next - 1 !== raw.annual_points) bad(['severity_bands'], `severity_bands: must end at annual_points (${raw.annual_points}), not ${next - 1}`);
  const s = raw.suspension;
  const t = raw.termination;
  if (t.threshold > raw.annual_points) bad(['termination', 'threshold'], `termination.threshold: must not exceed annual_points (${raw.annual_points})`);
  if (s.threshold >= t.threshold) bad(['suspension', 'threshold'], `suspension.threshold: must be below termination.threshold (${t.threshold})`);
  const totals = Object.keys(s.months_by_total).map(Number);
  if (!totals.includes(s.threshold)) bad(['suspension', 'months_by_total'], `suspension.months_by_total: must give the months for the threshold itself (${s.threshold})`);
  for (const total of totals) {
    if (total < s.threshold || total >= t.threshold) {
      bad(['suspension', 'months_by_total', String(total)], `suspension.months_by_total.${total}: totals run from the suspension threshold (${s.threshold}) to below termination (${t.threshold})`);
    }
  }
  if (t.single_incident_bar_years < t.bar_years) bad(['termination', 'single_incident_bar_years'], `termination.single_incident_bar_years: must not be below bar_years (${t.bar_years})`);
  if (problems.length) throw new PhysicianPolicyError(problems);

  return {
    version: raw.version,
    cycle: raw.cycle,
    timezone: raw.timezone,
    annualPoints: raw.annual_points,
    bands: raw.severity_bands.map((b) => ({ ...b })),
    suspension: { threshold: s.threshold, monthsByTotal: new Map(totals.sort((a, b) => a - b).map((k) => [k, s.months_by_total[String(k)]!])) },
    termination: { threshold: t.threshold, barYears: t.bar_years, singleIncidentBarYears: t.single_incident_bar_years },
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
  };
}
