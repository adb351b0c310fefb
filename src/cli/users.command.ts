import { createInterface } from 'node:readline';
import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { AccountsService, UpdateUserInput, UserView } from '../accounts/accounts.service';
import { checkName, checkPassword } from '../accounts/credentials';
import { ROLES } from '../accounts/roles';
import { DomainErrorCode, DomainException } from '../common/domain.exception';
import { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { cliActor, withApp } from './cli-support';

/** Reads one line from the terminal without echoing it. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let buf = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || (ch === '\u0004' && buf === '')) return done(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') buf = [...buf].slice(0, -1).join('');
        else if (ch >= ' ') buf += ch;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** The first line of a piped stdin (scripts: `echo "$PW" | fundguard users create …`). */
function firstLineOfStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: process.stdin, terminal: false });
    let got = false;
    rl.once('line', (line) => {
      got = true;
      rl.close();
      process.stdin.pause();
      resolve(line.replace(/\r$/, ''));
    });
    rl.once('close', () => {
      if (!got) reject(new DomainException(DomainErrorCode.InvalidInput, 'no password given', [{ path: 'password', reason: 'stdin ended before a line: pipe the password in, or run on a terminal to be asked' }]));
    });
  });
}

/** A new password: asked twice on a terminal, else the first line of stdin; checked before any work starts. */
async function readNewPassword(name: string): Promise<string> {
  let password: string;
  if (process.stdin.isTTY) {
    password = await promptHidden(`password for ${name} (at least 12 characters): `);
    const again = await promptHidden('the same password again: ');
    if (again !== password) throw new DomainException(DomainErrorCode.InvalidInput, 'the passwords differ', [{ path: 'password', reason: 'the two entries differ' }]);
  } else {
    password = await firstLineOfStdin();
  }
  const errors = checkPassword(password, name);
  if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'unacceptable password', errors);
  return password;
}

function describeUser(u: UserView): string {
  const state = u.disabled ? 'disabled' : u.lockedUntil ? `locked until ${u.lockedUntil.toISOString()}` : 'active';
  const inst = u.institutionCode ? ` ${u.institutionCode}` : '';
  return `${u.name.padEnd(24)} ${u.role.padEnd(11)}${inst.padEnd(14)} ${state.padEnd(10)} ${u.displayName}${u.lastLoginAt ? `  (last login ${u.lastLoginAt.toISOString()})` : ''}`;
}

abstract class UsersSubCommand extends CommandRunner {
  constructor(@Inject(APP_CONFIG) protected readonly config: AppConfig) {
    super();
  }

  protected accounts<T>(fn: (accounts: AccountsService) => Promise<T>): Promise<T> {
    return withApp(this.config, 'cli', (app) => fn(app.get(AccountsService)));
  }

  /** Applies one change to the named user. */
  protected async change(name: string | undefined, patch: UpdateUserInput, verb: string): Promise<void> {
    if (!name) throw new DomainException(DomainErrorCode.InvalidInput, 'which user?', [{ path: 'NAME', reason: 'give the login name' }]);
    const u = await this.accounts(async (a) => a.updateUser(cliActor(), (await a.findByName(name)).id, patch));
    process.stdout.write(`${verb} ${u.name}\n${describeUser(u)}\n`);
  }
}

@SubCommand({ name: 'create', description: 'create an account; the password is asked twice on a terminal, or read from the first line of stdin' })
export class UsersCreateCommand extends UsersSubCommand {
  async run(_: string[], o: { role?: string; name?: string; displayName?: string; institution?: string }): Promise<void> {
    const errors = [...checkName(o.name, '--name'), ...(o.role && (ROLES as readonly string[]).includes(o.role) ? [] : [{ path: '--role', reason: `must be one of ${ROLES.join(', ')}` }])];
    if (errors.length) throw new DomainException(DomainErrorCode.InvalidInput, 'invalid options', errors);
    const password = await readNewPassword(o.name!);
    const u = await this.accounts((a) => a.createUser(cliActor(), { name: o.name, role: o.role, displayName: o.displayName, institutionCode: o.institution, password }));
    process.stdout.write(`created ${u.role} ${u.name} (${u.id})\n`);
  }

  @Option({ flags: '--role <ROLE>', description: `one of ${ROLES.join(', ')}`, required: true })
  parseRole(v: string) {
    return v;
  }

  @Option({ flags: '--name <NAME>', description: 'the login name: lower-case letters, digits, ".", "_", "-"', required: true })
  parseName(v: string) {
    return v;
  }

  @Option({ flags: '--display-name <TEXT>', description: 'the name shown in the console (default: the login name)' })
  parseDisplayName(v: string) {
    return v;
  }

  @Option({ flags: '--institution <CODE>', description: 'the designated institution (role institution only)' })
  parseInstitution(v: string) {
    return v;
  }
}

@SubCommand({ name: 'list', description: 'every account: name, role, institution, state' })
export class UsersListCommand extends UsersSubCommand {
  async run(): Promise<void> {
    const users = await this.accounts((a) => a.listUsers());
    if (users.length === 0) process.stdout.write('no accounts yet: `fundguard users create --role admin --name NAME`\n');
    for (const u of users) process.stdout.write(`${describeUser(u)}\n`);
  }
}

@SubCommand({ name: 'token', description: "create a bearer token for a user's API calls and print it (shown this once)" })
export class UsersTokenCommand extends UsersSubCommand {
  async run(_: string[], o: { name?: string; label?: string; expiresDays?: string }): Promise<void> {
    const { token, view } = await this.accounts(async (a) => {
      const user = await a.findByName(o.name ?? '');
      return a.createToken(cliActor(), user.id, { label: o.label, expiresInDays: o.expiresDays });
    });
    process.stderr.write(`token ${view.id} "${view.label}" for ${o.name}${view.expiresAt ? `, expires ${view.expiresAt.toISOString()}` : ', no expiry'}; it is not shown again:\n`);
    process.stdout.write(`${token}\n`);
  }

  @Option({ flags: '--name <NAME>', description: 'the user the token acts for', required: true })
  parseName(v: string) {
    return v;
  }

  @Option({ flags: '--label <TEXT>', description: 'what the token is for', required: true })
  parseLabel(v: string) {
    return v;
  }

  @Option({ flags: '--expires-days <N>', description: 'days until the token expires (default: never)' })
  parseExpires(v: string) {
    return v;
  }
}

@SubCommand({ name: 'unlock', arguments: '<NAME>', description: 'end a lockout after failed logins' })
export class UsersUnlockCommand extends UsersSubCommand {
  async run([name]: string[]): Promise<void> {
    await this.change(name, { unlock: true }, 'unlocked');
  }
}

@SubCommand({ name: 'disable', arguments: '<NAME>', description: 'disable an account: its sessions end and its tokens are revoked' })
export class UsersDisableCommand extends UsersSubCommand {
  async run([name]: string[]): Promise<void> {
    await this.change(name, { disabled: true }, 'disabled');
  }
}

@SubCommand({ name: 'enable', arguments: '<NAME>', description: 'enable a disabled account again (its old tokens stay revoked)' })
export class UsersEnableCommand extends UsersSubCommand {
  async run([name]: string[]): Promise<void> {
    await this.change(name, { disabled: false }, 'enabled');
  }
}

@SubCommand({ name: 'password', arguments: '<NAME>', description: "set a user's password (asked twice, or the first line of stdin); ends the user's sessions" })
export class UsersPasswordCommand extends UsersSubCommand {
  async run([name]: string[]): Promise<void> {
    const password = await readNewPassword(name ?? '');
    await this.change(name, { password, unlock: true }, 'new password for');
  }
}

@Command({
  name: 'users',
  description: 'local accounts: create (the first admin too), list, tokens, unlock, disable',
  subCommands: [UsersCreateCommand, UsersListCommand, UsersTokenCommand, UsersUnlockCommand, UsersDisableCommand, UsersEnableCommand, UsersPasswordCommand],
})
export class UsersCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}

export const USERS_COMMANDS = [UsersCommand, UsersCreateCommand, UsersListCommand, UsersTokenCommand, UsersUnlockCommand, UsersDisableCommand, UsersEnableCommand, UsersPasswordCommand];
