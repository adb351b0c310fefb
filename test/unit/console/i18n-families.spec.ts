import { ROLES } from '../../../src/accounts/roles';
import { CASE_STATUSES } from '../../../src/cases/case-workflow';
import { featureMessageFiles, loadDictionaries } from '../../../src/console/i18n';
import { RULE_SORTS } from '../../../src/console/rule-pages';
import { loadRuleLibrary } from '../../../src/rules-engine/rule-library';
import { join } from 'node:path';

/** Keys the templates build at run time ({{tt "category." code}}) must exist for every value they can take. */
describe('message families used with dynamic keys', () => {
  const dicts = loadDictionaries(featureMessageFiles(join(__dirname, '..', '..', '..', 'src')));
  const missing = (keys: string[]) => keys.filter((k) => !(k in dicts.zh) || !(k in dicts.en));

  it('covers every rule category, group, scope, result type and severity of the shipped library', () => {
    const lib = loadRuleLibrary();
    const keys = lib.rules.flatMap((r) => [
      `category.${r.spec.category}`,
      `group.${r.spec.group}`,
      `scope.${r.spec.scope}`,
      `resultType.${r.spec.result}`,
      `severity.${r.spec.severity}`,
    ]);
    expect(missing(keys)).toEqual([]);
  });

  it('covers roles, case and queue statuses, sorts, condition kinds, institution kinds', () => {
    const keys = [
      ...[...ROLES, 'system'].map((r) => `role.${r}`),
      ...CASE_STATUSES.map((s) => `status.${s}`),
      ...['open', 'retired', 'confirmed', 'dismissed', 'waiting', 'active', 'delayed', 'failed', 'completed'].map((s) => `status.${s}`),
      ...RULE_SORTS.map((s) => `rules.sort_${s}`),
      ...['all', 'any', 'not'].map((k) => `rules.cond_${k}`),
      ...['hit', 'miss'].map((k) => `rules.expect_${k}`),
      ...['hospital', 'primary_care', 'clinic', 'pharmacy'].map((k) => `kind.${k}`),
      ...['public', 'private'].map((k) => `ownership.${k}`),
      ...['high', 'medium', 'low'].map((k) => `risk.${k}`),
      'login.failed', 'login.locked', 'login.disabled', 'login.rateLimited', 'login.missing',
    ];
    expect(missing(keys)).toEqual([]);
  });
});
