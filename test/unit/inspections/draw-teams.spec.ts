import { runDraw } from '../../../src/inspections/draw-algorithm';
import { DrawResult } from '../../../src/inspections/draw.types';
import { drawInput, inspector, inspectors, object, objects, rules, seedFor } from './builders';

const seeds = Array.from({ length: 40 }, (_, i) => seedFor(i));

function teamsOf(result: DrawResult): Map<string, string[]> {
  return new Map(result.assignments.map((a) => [a.institution, a.team]));
}

describe('draw: teams', () => {
  it('gives every team exactly teamSize distinct inspectors', () => {
    for (const teamSize of [2, 3, 4]) {
      for (const seed of seeds.slice(0, 10)) {
        const result = runDraw(drawInput({ seed, rules: rules({ teamSize }) }));
        expect(result.assignments.length).toBeGreaterThan(0);
        for (const a of result.assignments) {
          expect(a.team).toHaveLength(teamSize);
          expect(new Set(a.team).size).toBe(teamSize);
        }
      }
    }
  });

  it('never puts an inspector on an institution they declared a conflict with', () => {
    // Every inspector but I11 and I12 is conflicted with HB001, so only they can staff it.
    const people = inspectors(12).map((p, i) => (i < 10 ? { ...p, conflicts: ['HB001', 'HB002'] } : p));
    const objs = [object('HB001', 'E'), object('HB002', 'E'), object('HB003', 'E')];
    for (const seed of seeds) {
      const teams = teamsOf(runDraw(drawInput({ seed, objects: objs, inspectors: people })));
      expect(teams.get('HB001')?.sort()).toEqual(['I11', 'I12']);
      for (const [institution, team] of teams) {
        for (const code of team) expect(people.find((p) => p.code === code)?.conflicts).not.toContain(institution);
      }
    }
  });

  it('never sends an inspector to their own region when avoidSameRegion is set', () => {
    const people = [...inspectors(6, 'R1'), ...inspectors(6, 'R2').map((p) => ({ ...p, code: `J${p.code}` }))];
    const objs = [...objects(6, 'E')]; // regions R1, R2, R3
    for (const seed of seeds) {
      const result = runDraw(drawInput({ seed, objects: objs, inspectors: people, rules: rules({ avoidSameRegion: true }) }));
      expect(result.unstaffed).toEqual([]);
      for (const a of result.assignments) {
        const region = objs.find((o) => o.code === a.institution)!.region;
        for (const code of a.team) expect(people.find((p) => p.code === code)!.region).not.toBe(region);
      }
    }
  });

  it('allows same-region inspectors when avoidSameRegion is off', () => {
    const people = inspectors(4, 'R1');
    const result = runDraw(drawInput({ objects: [object('H1', 'E', 'R1')], inspectors: people }));
    expect(result.assignments).toHaveLength(1);
  });

  it("never repeats an inspector of the institution's previous team when avoidPrevious is set", () => {
    const objs = objects(5, 'E');
    const previous = objs.map((o, i) => ({ institution: o.code, inspectors: [`I0${i + 1}`, `I0${i + 2}`] }));
    for (const seed of seeds) {
      const result = runDraw(drawInput({ seed, objects: objs, inspectors: inspectors(8), previous, rules: rules({ avoidPrevious: true }) }));
      expect(result.unstaffed).toEqual([]);
      for (const a of result.assignments) {
        const before = previous.find((p) => p.institution === a.institution)!.inspectors;
        for (const code of a.team) expect(before).not.toContain(code);
      }
    }
  });

  it('respects the load cap', () => {
    for (const seed of seeds) {
      const result = runDraw(drawInput({ seed, objects: objects(10, 'E'), inspectors: inspectors(7), rules: rules({ loadCap: 2 }) }));
      const load = new Map<string, number>();
      for (const a of result.assignments) for (const c of a.team) load.set(c, (load.get(c) ?? 0) + 1);
      expect(Math.max(...load.values())).toBeLessThanOrEqual(2);
      // 7 inspectors × 2 slots = 14 places: at most 7 teams of 2 (6 when the last free places all
      // belong to one inspector); the other drawn objects are reported, not staffed over the cap.
      expect(result.assignments.length).toBeGreaterThanOrEqual(6);
      expect(result.assignments.length).toBeLessThanOrEqual(7);
      expect(result.assignments.length + result.unstaffed.length).toBe(10);
    }
  });

  it('reports an object unstaffed rather than staff it with a short or conflicted team', () => {
    const people = [inspector('I01'), inspector('I02', 'R9', ['H001']), inspector('I03')];
    const result = runDraw(drawInput({ objects: [object('H001', 'E'), object('H002', 'E')], inspectors: people, rules: rules({ teamSize: 3 }) }));
    expect(result.unstaffed).toEqual(['H001']);
    expect(result.assignments).toEqual([{ institution: 'H002', grade: 'E', team: expect.any(Array) }]);
    expect(result.assignments[0].team.sort()).toEqual(['I01', 'I02', 'I03']);
  });

  it('leaves everything unstaffed with fewer inspectors than a team needs', () => {
    const result = runDraw(drawInput({ inspectors: inspectors(1) }));
    expect(result.assignments).toEqual([]);
    expect(result.unstaffed).toHaveLength(result.strata.reduce((s, x) => s + x.drawn, 0));
  });

  it('refuses a team size below 2', () => {
    expect(() => runDraw(drawInput({ rules: rules({ teamSize: 1 }) }))).toThrow(/rules\.teamSize/);
    expect(() => runDraw(drawInput({ rules: rules({ teamSize: 0 }) }))).toThrow(/at least 2/);
  });
});
