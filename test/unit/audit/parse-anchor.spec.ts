import { parseAnchor } from '../../../src/audit/audit.controller';

describe('audit anchor (SEQ:HASH)', () => {
  const hash = 'a'.repeat(64);

  it('reads the sequence number as a number: leading zeros name the same entry', () => {
    expect(parseAnchor(`1042:${hash}`, 'anchor')).toEqual({ seq: '1042', hash });
    expect(parseAnchor(` 007:${hash} `, '--anchor')).toEqual({ seq: '7', hash });
  });

  it('refuses anything else, naming the parameter', () => {
    for (const bad of ['', `x:${hash}`, `12:${'a'.repeat(63)}`, `12:${hash.toUpperCase()}`]) {
      expect(() => parseAnchor(bad, '--anchor')).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ path: '--anchor' })] }));
    }
  });
});
