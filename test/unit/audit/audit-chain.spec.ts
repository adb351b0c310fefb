import { canonicalJson, ChainedContent, checkRun, entryHash, GENESIS_HASH, toJsonValue } from '../../../src/audit/audit-chain';

function chain(n: number): (ChainedContent & { hash: string })[] {
  const out: (ChainedContent & { hash: string })[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e: ChainedContent = {
      seq: String(i),
      at: new Date(Date.UTC(2026, 10, 22, 8, 0, i)),
      actorUserId: null,
      actorName: `user${i % 3}`,
      actorRole: 'supervisor',
      action: 'case.confirm',
      entityType: 'case',
      entityId: `c${i}`,
      before: { status: 'in_review', amount: '12.30' },
      after: { status: 'confirmed', amount: '12.30', outcomes: [{ id: 'f1', outcome: 'confirmed' }] },
      ip: '127.0.0.1',
      prevHash: prev,
    };
    const hash = entryHash(e);
    out.push({ ...e, hash });
    prev = hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('canonical JSON does not depend on key order (jsonb reorders keys)', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
    expect(canonicalJson('中文')).toBe('"中文"');
  });

  it('snapshots become what jsonb gives back: dates as ISO strings, no undefined keys', () => {
    expect(toJsonValue({ at: new Date('2026-01-02T03:04:05.006Z'), gone: undefined, n: 10n })).toEqual({ at: '2026-01-02T03:04:05.006Z', n: '10' });
    expect(toJsonValue(undefined)).toBeNull();
  });

  it('an intact chain holds, also when checked in pages', () => {
    const c = chain(10);
    expect(checkRun(c, { seq: 0n, hash: GENESIS_HASH })).toBeNull();
    expect(checkRun(c.slice(4), { seq: 4n, hash: c[3].hash })).toBeNull();
  });

  it('names an altered entry', () => {
    const c = chain(6);
    c[3] = { ...c[3], after: { ...(c[3].after as object), amount: '1.00' } };
    expect(checkRun(c, { seq: 0n, hash: GENESIS_HASH })).toMatchObject({ seq: '4', problem: 'altered' });
  });

  it('names the entry after one rewritten with a fresh hash', () => {
    const c = chain(6);
    const forged = { ...c[2], actorName: 'someone-else' };
    c[2] = { ...forged, hash: entryHash(forged) };
    expect(checkRun(c, { seq: 0n, hash: GENESIS_HASH })).toMatchObject({ seq: '4', problem: 'inserted-or-removed' });
  });

  it('names a deleted entry by its missing number', () => {
    const c = chain(6);
    c.splice(2, 2);
    const r = checkRun(c, { seq: 0n, hash: GENESIS_HASH });
    expect(r).toMatchObject({ seq: '3', problem: 'missing' });
    expect(r!.message).toContain('entry 3–4 is missing');
  });

  it('a deleted first entry is caught too', () => {
    const c = chain(3).slice(1);
    expect(checkRun(c, { seq: 0n, hash: GENESIS_HASH })).toMatchObject({ seq: '1', problem: 'missing' });
  });

  it('an entry inserted with renumbering breaks the chain at the insertion', () => {
    const c = chain(5);
    const inserted = { ...c[1], seq: '3', entityId: 'forged', prevHash: c[1].hash };
    const renumbered = [c[0], c[1], { ...inserted, hash: entryHash(inserted) }, ...c.slice(2).map((e) => ({ ...e, seq: String(Number(e.seq) + 1) }))];
    const r = checkRun(renumbered, { seq: 0n, hash: GENESIS_HASH });
    expect(r).not.toBeNull();
    expect(r!.seq).toBe('4');
  });
});
