#!/usr/bin/env node
// `levelchat`: the REST API from a shell, on top of LevelChatClient. Results are printed as JSON on
// stdout; API errors as `levelchat: <code>: <detail>` on stderr (exit 1); usage errors exit 2.
import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { LevelChatClient } from './client.js';
import { LevelChatApiError } from './errors.js';
import type { CreateRoomRequest, CreateTokenRequest, CreateWebhookRequest, ListRoomsQuery } from './types.js';

const DEFAULT_API_URL = 'http://127.0.0.1:8080';

const USAGE = `Usage: levelchat <command> [options]

  rooms create [--type T] [--external-id X] [--max-participants N] [--codec C] [--record]
  rooms get <room_id>
  rooms list [--state S] [--type T] [--limit N] [--cursor C]
  rooms end <room_id>
  token <room_id> [--identity I] [--cap C ...] [--ttl SECONDS] [--name N] [--type T] [--alg HS256|EdDSA]
  kick <room_id> <identity>
  keys create [--name N]
  keys list
  keys delete <key_id>
  webhooks create <url> [--event E ...]
  webhooks list
  webhooks get <webhook_id>
  webhooks delete <webhook_id>
  webhooks deliveries <webhook_id> [--limit N]
  help

Every command takes --api-url (default $LEVELCHAT_API_URL or ${DEFAULT_API_URL})
and --api-key (default $LEVELCHAT_API_KEY).
`;

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

interface Command {
  /** Names of the positional arguments; exactly these many must be given. */
  args: string[];
  options?: Options;
  run(client: LevelChatClient, args: string[], values: Values): Promise<unknown>;
}

class UsageError extends Error {}

const GLOBAL_OPTIONS: Options = {
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const text = { type: 'string' } as const;
const many = { type: 'string', multiple: true } as const;

// Option values go to the server as typed (hence the casts to the request types): its 400 answer
// names the bad field better than a copy of its rules here could. Only numbers are checked, since
// JSON would silently turn a non-number into null.
const COMMANDS: Record<string, Command> = {
  'rooms create': {
    args: [],
    options: { type: text, 'external-id': text, 'max-participants': text, codec: text, record: { type: 'boolean' } },
    run: (client, _, v) => client.rooms.create({ type: str(v.type) as CreateRoomRequest['type'], external_id: str(v['external-id']), config: roomConfig(v) }),
  },
  'rooms get': { args: ['room_id'], run: (client, [id]) => client.rooms.get(id!) },
  'rooms list': {
    args: [],
    options: { state: text, type: text, limit: text, cursor: text },
    run: (client, _, v) =>
      client.rooms.list({ state: str(v.state) as ListRoomsQuery['state'], type: str(v.type) as ListRoomsQuery['type'], limit: int(v, 'limit'), cursor: str(v.cursor) }),
  },
  'rooms end': { args: ['room_id'], run: (client, [id]) => client.rooms.end(id!) },
  token: {
    args: ['room_id'],
    options: { identity: text, cap: many, ttl: text, name: text, type: text, alg: text },
    run: (client, [roomId], v) =>
      client.tokens.create(roomId!, {
        identity: str(v.identity) ?? `user-${randomBytes(2).toString('hex')}`,
        capabilities: strs(v.cap) as CreateTokenRequest['capabilities'],
        ttl_s: int(v, 'ttl'),
        name: str(v.name),
        type: str(v.type) as CreateTokenRequest['type'],
        alg: str(v.alg) as CreateTokenRequest['alg'],
      }),
  },
  kick: { args: ['room_id', 'identity'], run: (client, [roomId, identity]) => client.participants.kick(roomId!, identity!) },
  'keys create': { args: [], options: { name: text }, run: (client, _, v) => client.keys.create({ name: str(v.name) }) },
  'keys list': { args: [], run: (client) => client.keys.list() },
  'keys delete': { args: ['key_id'], run: (client, [id]) => client.keys.delete(id!) },
  'webhooks create': {
    args: ['url'],
    options: { event: many },
    run: (client, [url], v) => client.webhooks.create({ url: url!, events: (v.event ? strs(v.event) : undefined) as CreateWebhookRequest['events'] }),
  },
  'webhooks list': { args: [], run: (client) => client.webhooks.list() },
  'webhooks get': { args: ['webhook_id'], run: (client, [id]) => client.webhooks.get(id!) },
  'webhooks delete': { args: ['webhook_id'], run: (client, [id]) => client.webhooks.delete(id!) },
  'webhooks deliveries': {
    args: ['webhook_id'],
    options: { limit: text },
    run: (client, [id], v) => client.webhooks.deliveries(id!, { limit: int(v, 'limit') }),
  },
};

const str = (value: Values[string]) => (typeof value === 'string' ? value : undefined);
const strs = (value: Values[string]) => (Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : []);

function int(values: Values, name: string): number | undefined {
  const value = str(values[name]);
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

function roomConfig(v: Values): CreateRoomRequest['config'] {
  const config = {
    max_participants: int(v, 'max-participants'),
    preferred_codec: str(v.codec) as NonNullable<CreateRoomRequest['config']>['preferred_codec'],
    record: v.record ? { enabled: true } : undefined,
  };
  return Object.values(config).some((x) => x !== undefined) ? config : undefined;
}

/** Finds the command (one or two words) and parses argv again with only the options it accepts. */
function parseCommand(argv: string[]): { command?: Command; args: string[]; values: Values } {
  const everyOption: Options = Object.assign({}, GLOBAL_OPTIONS, ...Object.values(COMMANDS).map((c) => c.options));
  const { positionals, values } = parseArgs({ args: argv, options: everyOption, allowPositionals: true });
  if (values.help || positionals[0] === 'help') return { args: [], values };
  if (positionals.length === 0) throw new UsageError('missing command');

  const [first, second] = positionals as [string, string | undefined];
  const name = Object.hasOwn(COMMANDS, `${first} ${second}`) ? `${first} ${second}` : first;
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    const isGroup = Object.keys(COMMANDS).some((k) => k.startsWith(`${first} `));
    throw new UsageError(`unknown command "${isGroup ? `${first} ${second ?? ''}`.trim() : first}"`);
  }
  const parsed = parseArgs({ args: argv, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true });
  const args = parsed.positionals.slice(name.split(' ').length);
  if (args.length !== command.args.length) {
    throw new UsageError(`${name} takes ${command.args.length ? command.args.map((a) => `<${a}>`).join(' ') : 'no arguments'}`);
  }
  return { command, args, values: parsed.values };
}

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/** Runs one command; resolves with the exit code. `io` is `process` when run from a shell. */
export async function runCli(argv: string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  try {
    const { command, args, values } = parseOrUsage(argv);
    if (!command) {
      io.stdout.write(USAGE);
      return 0;
    }
    const apiKey = str(values['api-key']) || env.LEVELCHAT_API_KEY;
    if (!apiKey) throw new UsageError('no API key: set LEVELCHAT_API_KEY or pass --api-key lc_pk_<id>.<secret>');
    const client = new LevelChatClient({ apiUrl: str(values['api-url']) || env.LEVELCHAT_API_URL || DEFAULT_API_URL, apiKey });
    const result = await command.run(client, args, values);
    if (result !== undefined) io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`levelchat: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof LevelChatApiError) {
      io.stderr.write(`levelchat: ${err.code}: ${err.detail ?? err.title}\n`);
      return 1;
    }
    throw err;
  }
}

/** parseArgs reports bad options as TypeErrors with an ERR_PARSE_ARGS_* code: those are usage errors. */
function parseOrUsage(argv: string[]): ReturnType<typeof parseCommand> {
  try {
    return parseCommand(argv);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
}

// Run only when executed (`node dist/sdk/node/cli.js`, or the npm bin symlink), not when imported.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), process.env, process);
}
