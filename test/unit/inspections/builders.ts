import { createHash } from 'node:crypto';
import { DrawInput, DrawInspector, DrawObject, DrawRules } from '../../../src/inspections/draw.types';

/** A fixed, reproducible seed list: seed i is SHA-256('seed-' + i). */
export function seedFor(i: number): string {
  return createHash('sha256').update(`seed-${i}`).digest('hex');
}

export function object(code: string, grade = 'B', region = 'R1', change: Partial<DrawObject> = {}): DrawObject {
  return { code, kind: 'hospital', level: 2, region, grade, ...change };
}

/** `count` objects H001… of one grade, spread over regions R1–R3. */
export function objects(count: number, grade = 'B', prefix = 'H'): DrawObject[] {
  return Array.from({ length: count }, (_, i) => object(`${prefix}${String(i + 1).padStart(3, '0')}`, grade, `R${(i % 3) + 1}`));
}

export function inspector(code: string, region = 'R9', conflicts: string[] = [], unit = 'city bureau'): DrawInspector {
  return { code, unit, region, conflicts };
}

/** `count` inspectors I01… from a region no object is in (R9). */
export function inspectors(count: number, region = 'R9'): DrawInspector[] {
  return Array.from({ length: count }, (_, i) => inspector(`I${String(i + 1).padStart(2, '0')}`, region));
}

export function rules(change: Partial<DrawRules> = {}): DrawRules {
  return {
    samplingRatio: { A: 0.05, B: 0.1, C: 0.2, D: 0.4, E: 1 },
    minPerStratum: 1,
    teamSize: 2,
    loadCap: 100,
    avoidSameRegion: false,
    avoidPrevious: false,
    ...change,
  };
}

export function drawInput(change: Partial<DrawInput> = {}): DrawInput {
  return {
    seed: seedFor(0),
    planId: 'plan-2025Q1',
    rules: rules(),
    objects: [...objects(30, 'A', 'HA'), ...objects(20, 'B', 'HB'), ...objects(7, 'D', 'HD')],
    inspectors: inspectors(12),
    previous: [],
    ...change,
  };
}

/** A deterministic permutation (reversal plus rotation), to show input order does not matter. */
export function reordered<T>(items: T[]): T[] {
  const r = [...items].reverse();
  return [...r.slice(3), ...r.slice(0, 3)];
}
