import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { watchFolder, type DirChange } from '../../core/dir-watch.ts';
import { SandboxFileError, type SandboxFiles } from '../../core/sandbox-files.ts';
import { StreamCut, type StreamItem } from '../../kernel/frames.ts';
import type { Handler, HandlerContext } from '../../kernel/exchange.ts';
import { json, stream } from '../respond.ts';
import { endOfStream, envelope, failedStream, readEnvelope } from './connect-envelope.ts';
import { connectError } from './dialects.ts';
import type { E2bSandbox, E2bState } from './e2b-state.ts';
import { asE2b, CONNECT_CODES, entryInfo, filesOf, requestPath, sandboxPath } from './envd-files.ts';
import { inSandbox, keepaliveMs } from './envd-sandbox.ts';

/**
 * envd's directory watching, on the sandbox's real folder: the streaming WatchDir (the JS SDK's
 * `files.watchDir`) and the polled CreateWatcher / GetWatcherEvents / RemoveWatcher (the
 * Python SDK's). Node reports a change as a name that came or went, or as content changed; so a
 * rename is a REMOVE of the old name and a CREATE of the new one, and a chmod is a WRITE.
 */

interface WatchRequest {
  path?: string;
  recursive?: boolean;
  includeEntry?: boolean;
}

interface Target {
  /** The directory as E2B names it, and where it is on the host. */
  path: string;
  host: string;
}

type ConnectFailure = { code: string; message: string };

const EVENT_TYPES: Record<DirChange['op'], string> = { create: 'EVENT_TYPE_CREATE', write: 'EVENT_TYPE_WRITE', remove: 'EVENT_TYPE_REMOVE' };

/** Events a polled watcher keeps between two GetWatcherEvents, at most; past it new ones are dropped. */
const MAX_KEPT = 10_000;

/** The directory to watch, or the Connect error envd refuses it with. */
async function watchTarget(ctx: HandlerContext, files: SandboxFiles, request: WatchRequest | undefined): Promise<Target | ConnectFailure> {
  if (typeof request?.path !== 'string') return { code: 'invalid_argument', message: 'path is required' };
  const named = requestPath(ctx, request.path);
  const path = asE2b(named);
  try {
    const stat = await files.stat(sandboxPath(named));
    if (!stat.isDir) return { code: 'invalid_argument', message: `path ${path} not a directory` };
    return { path, host: await files.confine(sandboxPath(named)) };
  } catch (error) {
    if (!(error instanceof SandboxFileError)) throw error;
    if (error.kind === 'not-found') return { code: 'not_found', message: `path not found: ${path}` };
    return { code: CONNECT_CODES[error.kind][1], message: error.message };
  }
}

/** The FilesystemEvent of a change: its name relative to the directory, its type, its entry when asked. */
async function filesystemEvent(sandbox: E2bSandbox, files: SandboxFiles, target: Target, change: DirChange, includeEntry: boolean) {
  const event = { name: change.relative, type: EVENT_TYPES[change.op] };
  if (!includeEntry || change.op === 'remove') return event;
  const path = posix.join(target.path, change.relative);
  const stat = await files.stat(sandboxPath(path)).catch(() => undefined);
  // Gone again before it could be looked at: the event stands without its entry.
  return stat ? { ...event, entry: entryInfo(path, stat, await sandbox.data.fileMetadata.read(files, sandboxPath(path))) } : event;
}

export function watchDirHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const message = readEnvelope(ctx.rawBody);
    if (!message.ok) return connectError(400, 'invalid_argument', message.message);
    const request = message.value as WatchRequest;
    const files = filesOf(sandbox);
    const target = await watchTarget(ctx, files, request);
    if (!('host' in target)) return failedStream(target);
    return stream(200, 'application/connect+json', watchEvents(sandbox, files, target, request, ctx));
  });
}

async function* watchEvents(sandbox: E2bSandbox, files: SandboxFiles, target: Target, request: WatchRequest, ctx: HandlerContext): AsyncGenerator<StreamItem> {
  yield envelope({ start: {} });
  const signal = AbortSignal.any([ctx.signal, sandbox.ended]);
  for await (const change of watchFolder(target.host, { recursive: request.recursive === true, signal, keepaliveMs: keepaliveMs(ctx) })) {
    yield change === 'keepalive' ? envelope({ keepalive: {} }) : envelope({ filesystem: await filesystemEvent(sandbox, files, target, change, request.includeEntry === true) });
  }
  if (ctx.signal.aborted) return;
  // A killed sandbox drops its streams, as a machine gone does.
  if (sandbox.ended.aborted) throw new StreamCut('the sandbox was killed');
  // The directory went: the watch is over, and so is the stream.
  yield endOfStream();
}

/** A polled watcher: the events it collected since the last fetch, and how to stop it. */
interface Watcher {
  events: object[];
  stop: AbortController;
}

const watchersOf = new WeakMap<E2bSandbox, Map<string, Watcher>>();

function watchers(sandbox: E2bSandbox): Map<string, Watcher> {
  let map = watchersOf.get(sandbox);
  if (!map) watchersOf.set(sandbox, (map = new Map()));
  return map;
}

const noWatcher = (id: unknown) => connectError(404, 'not_found', `watcher with id ${String(id)} not found`);

export function createWatcherHandler(state: E2bState): Handler {
  return inSandbox(state, async (ctx, sandbox) => {
    const request = ctx.body as WatchRequest;
    const files = filesOf(sandbox);
    const target = await watchTarget(ctx, files, request);
    if (!('host' in target)) return connectError(target.code === 'not_found' ? 404 : 400, target.code, target.message);
    const id = randomUUID();
    const watcher: Watcher = { events: [], stop: new AbortController() };
    watchers(sandbox).set(id, watcher);
    const signal = AbortSignal.any([watcher.stop.signal, sandbox.ended]);
    void (async () => {
      for await (const change of watchFolder(target.host, { recursive: request.recursive === true, signal })) {
        if (change !== 'keepalive' && watcher.events.length < MAX_KEPT) watcher.events.push(await filesystemEvent(sandbox, files, target, change, request.includeEntry === true));
      }
    })();
    return json(200, { watcherId: id });
  });
}

export function getWatcherEventsHandler(state: E2bState): Handler {
  return inSandbox(state, (ctx, sandbox) => {
    const { watcherId } = ctx.body as { watcherId: string };
    const watcher = watchers(sandbox).get(watcherId);
    if (!watcher) return noWatcher(watcherId);
    return json(200, { events: watcher.events.splice(0) });
  });
}

export function removeWatcherHandler(state: E2bState): Handler {
  return inSandbox(state, (ctx, sandbox) => {
    const { watcherId } = ctx.body as { watcherId: string };
    const watcher = watchers(sandbox).get(watcherId);
    if (!watcher) return noWatcher(watcherId);
    watcher.stop.abort();
    watchers(sandbox).delete(watcherId);
    return json(200, {});
  });
}
