import { DrawInputError, runDraw } from '../../../src/inspections/draw-algorithm';
import { drawInput, inspector, inspectors, object, objects, rules } from './builders';

describe('draw: input validation', () => {
  it('refuses a duplicate object code, naming it', () => {
    expect(() => runDraw(drawInput({ objects: [...objects(3), object('H002', 'A')] }))).toThrow('duplicate code "H002"');
  });

  it('refuses a duplicate inspector code, naming it', () => {
    expect(() => runDraw(drawInput({ inspectors: [...inspectors(3), inspector('I02')] }))).toThrow('duplicate code "I02"');
  });

  it('refuses a duplicate institution in the previous draw', () => {
    const previous = [
      { institution: 'H001', inspectors: ['I01'] },
      { institution: 'H001', inspectors: ['I02'] },
    ];
    expect(() => runDraw(drawInput({ previous }))).toThrow(/previous: duplicate code "H001"/);
  });

  it('refuses a grade with no sampling ratio, naming the grade', () => {
    expect(() => runDraw(drawInput({ objects: objects(3, 'X') }))).toThrow(/rules\.samplingRatio\.X/);
  });

  it('refuses a ratio outside 0–1', () => {
    expect(() => runDraw(drawInput({ rules: rules({ samplingRatio: { A: 1.5, B: 0.1, D: 0.1 } }) }))).toThrow(/rules\.samplingRatio\.A/);
  });

  it('refuses a seed that is not 32 bytes of hex', () => {
    expect(() => runDraw(drawInput({ seed: 'abc' }))).toThrow(DrawInputError);
    expect(() => runDraw(drawInput({ seed: 'zz'.repeat(32) }))).toThrow(/^seed:/);
  });

  it('refuses a load cap below 1 and a negative minimum', () => {
    expect(() => runDraw(drawInput({ rules: rules({ loadCap: 0 }) }))).toThrow(/rules\.loadCap/);
    expect(() => runDraw(drawInput({ rules: rules({ minPerStratum: -1 }) }))).toThrow(/rules\.minPerStratum/);
  });

  it('names the field of an object with a missing code', () => {
    const bad = { ...object('H1'), code: '' };
    try {
      runDraw(drawInput({ objects: [object('H0'), bad] }));
      throw new Error('expected a DrawInputError');
    } catch (e) {
      expect(e).toBeInstanceOf(DrawInputError);
      expect((e as DrawInputError).field).toBe('objects[1].code');
    }
  });
});
