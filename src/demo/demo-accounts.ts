import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import { AccountsService } from '../accounts/accounts.service';
import { Actor, Role } from '../accounts/roles';
import { CasesService } from '../cases/cases.service';
import { DomainErrorCode, DomainException } from '../common/domain.exception';

export interface DemoAccount {
  name: string;
  role: Role;
  password: string;
  institutionCode: string | null;
}

/**
 * One login per role for trying the console on the demo data. Passwords are fresh random ones on
 * every run (printed once, never fixed in code); an account that exists from an earlier run gets the
 * new password. The institution login belongs to the institution with the most at risk in its cases.
 */
export async function ensureDemoAccounts(app: INestApplicationContext, actor: Actor): Promise<DemoAccount[]> {
  const accounts = app.get(AccountsService);
  const top = await app.get(CasesService).list({ sort: 'amount', order: 'desc', page: 1, pageSize: 1 }, actor);
  const institutionCode = top.items[0]?.institutionCode ?? null;
  const wanted: { name: string; role: Role; displayName: string; institutionCode?: string }[] = [
    { name: 'demo-admin', role: 'admin', displayName: '系统管理员（演示）' },
    { name: 'demo-supervisor', role: 'supervisor', displayName: '王稽核（演示）' },
    { name: 'demo-auditor', role: 'auditor', displayName: '赵审计（演示）' },
    { name: 'demo-inspector', role: 'inspector', displayName: '李检查（演示）' },
  ];
  if (institutionCode) wanted.push({ name: 'demo-institution', role: 'institution', displayName: `${institutionCode}（演示）`, institutionCode });
  const out: DemoAccount[] = [];
  for (const w of wanted) {
    const password = randomBytes(12).toString('base64url');
    const existing = await accounts.findByName(w.name).catch((err: unknown) => {
      if (err instanceof DomainException && err.code === DomainErrorCode.NotFound) return null;
      throw err;
    });
    if (existing) {
      await accounts.updateUser(actor, existing.id, { password, role: w.role, institutionCode: w.institutionCode, disabled: false, unlock: true });
    } else {
      await accounts.createUser(actor, { name: w.name, displayName: w.displayName, role: w.role, institutionCode: w.institutionCode, password });
    }
    out.push({ name: w.name, role: w.role, password, institutionCode: w.institutionCode ?? null });
  }
  return out;
}
