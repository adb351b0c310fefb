import { computeReward, defaultRewardPolicyFile, loadRewardPolicyFile, TipRewardPolicy } from '../../../src/tips/tip-reward-policy';

const fen = (yuan: string) => {
  const [i, f = ''] = yuan.split('.');
  return BigInt(i!) * 100n + BigInt(f.padEnd(2, '0'));
};

/** The reward: the level's share of the refund, rounded half up to the fen, at least ¥200 and at most ¥200,000. */
describe('tip reward computation', () => {
  const { policy } = loadRewardPolicyFile(defaultRewardPolicyFile());

  it('ships the national bounds and Guangdong-style shares by level', () => {
    expect(policy.minimum).toBe(200);
    expect(policy.maximum).toBe(200000);
    expect(policy.basis).toBe('refund');
    expect(policy.levels.map((l) => [l.level, l.share, l.shareBp])).toEqual([
      [1, '0.03', 300],
      [2, '0.02', 200],
      [3, '0.01', 100],
    ]);
    expect(policy.levels[0]!.description.zh).toBe('提供被举报方的详细违法事实及直接证据，举报内容与违法事实完全相符');
  });

  it('pays each level its share of the basis', () => {
    const basis = fen('100000.00');
    expect(computeReward(policy, 1, basis)).toMatchObject({ level: 1, share: '0.03', rawFen: fen('3000.00'), amountFen: fen('3000.00'), clamped: null, levelDefaulted: false });
    expect(computeReward(policy, 2, basis)).toMatchObject({ level: 2, share: '0.02', amountFen: fen('2000.00'), clamped: null });
    expect(computeReward(policy, 3, basis)).toMatchObject({ level: 3, share: '0.01', amountFen: fen('1000.00'), clamped: null });
  });

  it('rounds half up to the fen', () => {
    // 3% of ¥12,345.67 = ¥370.3701 → ¥370.37; 1% of ¥23,456.50 = ¥234.565 → ¥234.57; 2% of ¥12,345.25 = ¥246.905 → ¥246.91
    expect(computeReward(policy, 1, fen('12345.67')).amountFen).toBe(fen('370.37'));
    expect(computeReward(policy, 3, fen('23456.50')).amountFen).toBe(fen('234.57'));
    expect(computeReward(policy, 2, fen('12345.25')).amountFen).toBe(fen('246.91'));
    // Just below the half: 1% of ¥23,456.49 = ¥234.5649 → ¥234.56
    expect(computeReward(policy, 3, fen('23456.49')).amountFen).toBe(fen('234.56'));
  });

  it('raises a small reward to the minimum: 3% of ¥1,000 is ¥30, paid as ¥200', () => {
    const r = computeReward(policy, 1, fen('1000.00'));
    expect(r).toMatchObject({ rawFen: fen('30.00'), amountFen: fen('200.00'), clamped: 'minimum' });
    // Exactly the minimum is not clamped: 1% of ¥20,000 = ¥200.
    expect(computeReward(policy, 3, fen('20000.00'))).toMatchObject({ amountFen: fen('200.00'), clamped: null });
    // A final decision refunding nothing still earns the minimum.
    expect(computeReward(policy, 3, 0n)).toMatchObject({ rawFen: 0n, amountFen: fen('200.00'), clamped: 'minimum' });
  });

  it('cuts a large reward to the maximum: 3% of ¥10,000,000 is ¥300,000, paid as ¥200,000', () => {
    expect(computeReward(policy, 1, fen('10000000.00'))).toMatchObject({ rawFen: fen('300000.00'), amountFen: fen('200000.00'), clamped: 'maximum' });
    // Exactly the maximum is not clamped: 2% of ¥10,000,000 = ¥200,000.
    expect(computeReward(policy, 2, fen('10000000.00'))).toMatchObject({ amountFen: fen('200000.00'), clamped: null });
  });

  it('uses the lowest level when none was set, and says so', () => {
    expect(computeReward(policy, null, fen('50000.00'))).toMatchObject({ level: 3, levelDefaulted: true, share: '0.01', amountFen: fen('500.00') });
  });

  it('refuses a level the policy does not have and a negative basis', () => {
    expect(() => computeReward(policy, 4, fen('1000.00'))).toThrow(/no level 4/);
    expect(() => computeReward(policy, 1, -1n)).toThrow(/negative/);
  });

  it('computes in integers: a share with four decimals on a large basis is exact', () => {
    const p: TipRewardPolicy = { ...policy, maximum: 100_000_000, levels: [{ level: 1, share: '0.0125', shareBp: 125, description: { zh: '一', en: 'one' } }] };
    // 1.25% of ¥99,999,999,999.99 = ¥1,249,999,999.999875 → ¥1,250,000,000.00, cut to the maximum ¥100,000,000
    expect(computeReward(p, 1, fen('99999999999.99'))).toMatchObject({ rawFen: fen('1250000000.00'), clamped: 'maximum', amountFen: fen('100000000.00') });
    // 1.25% of ¥33,333.33 = ¥416.666625 → ¥416.67
    expect(computeReward(p, 1, fen('33333.33')).amountFen).toBe(fen('416.67'));
  });
});
