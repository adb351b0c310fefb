/**
 * Bands of the 0–100 risk score. The score is 100·r/(r+1) of the weighted mean positive robust z
 * (docs/risk-scoring.md): 60 means an institution outstrips its peers by 1.5 robust SD on average,
 * 40 by 0.67. The console colours scores by these bands, and CASE_RISK_THRESHOLD defaults to `high`.
 */
export const RISK_LEVEL_FLOOR = { high: 60, medium: 40 } as const;

export type RiskLevel = 'high' | 'medium' | 'low';

export function riskLevelOf(score: number): RiskLevel {
  return score >= RISK_LEVEL_FLOOR.high ? 'high' : score >= RISK_LEVEL_FLOOR.medium ? 'medium' : 'low';
}
