import type { ProcessEntry } from './process-entry.ts';
import type { BlaxelQuirk } from './quirks.ts';
import { concatenatedText, mergedText, streamText } from './output-text.ts';

/** GET /process and GET /process/{id} show at most this much of each stream (the server's view). */
export const VIEW_BYTES = 64 * 1024;

/** GET /process/{id}/logs and waitForCompletion answer this much by default (SANDBOX_MAX_LOGS_RESPONSE_BYTES). */
export const LOGS_BYTES = 4 * 1024 * 1024;

export type ProcessStatus = 'running' | 'completed' | 'failed' | 'stopped' | 'killed';

type Quirks = (name: BlaxelQuirk) => boolean;

/** The ProcessResponse schema, fields in the order the server writes them. */
export interface ProcessResponse {
  pid: string;
  name: string;
  command: string;
  status: ProcessStatus;
  startedAt: string;
  completedAt: string;
  exitCode: number;
  workingDir: string;
  logs: string;
  stdout: string;
  stderr: string;
  restartOnFailure: boolean;
  maxRestarts: number;
  restartCount: number;
  keepAlive: boolean;
  stdin?: boolean;
}

/**
 * `completed` on exit status 0 (even after a stop request: a process that traps SIGTERM and
 * exits 0 completed), else `stopped`/`killed` when a client asked for it, else `failed`.
 */
export function processStatus(entry: ProcessEntry, quirk: Quirks): ProcessStatus {
  const { proc } = entry;
  // Between a failed run and its restart this is the failed run's end (see ProcessEntry).
  const exit = entry.exitInfo;
  if (!exit) {
    // The server marks the entry as soon as it has sent the signal, before the process ends.
    if (quirk('stop-sets-stopped-immediately')) {
      if (proc.requested === 'stop') return 'stopped';
      if (proc.requested === 'kill') return 'killed';
    }
    return 'running';
  }
  if (exit.exitCode === 0) return 'completed';
  if (proc.requested === 'stop') return 'stopped';
  if (proc.requested === 'kill') return 'killed';
  return 'failed';
}

/** 0 while running, -1 after death by a signal (Go's value), else the exit status. */
export function exitCode(entry: ProcessEntry): number {
  const exit = entry.exitInfo;
  if (!exit) return 0;
  if (exit.signal) return -1;
  return exit.exitCode ?? 1;
}

/** The `logs` field: in the order written (the document), or stdout then stderr (the server). */
export function logsText(entry: ProcessEntry, maxBytes: number, quirk: Quirks): string {
  const log = entry.output;
  return quirk('logs-concatenated') ? concatenatedText(log, maxBytes) : mergedText(log, maxBytes);
}

/** The process record, with `maxBytes` of each stream at most. */
export function processResponse(entry: ProcessEntry, maxBytes: number, quirk: Quirks): ProcessResponse {
  const { proc, settings } = entry;
  const exit = entry.exitInfo;
  const response: ProcessResponse = {
    pid: entry.pid,
    name: settings.name,
    command: settings.command,
    status: processStatus(entry, quirk),
    // Date#toUTCString prints the layout the server uses: `Mon, 02 Jan 2006 15:04:05 GMT`.
    startedAt: new Date(entry.startedAt).toUTCString(),
    completedAt: exit ? new Date(exit.endedAt).toUTCString() : '',
    exitCode: exitCode(entry),
    workingDir: settings.workingDir,
    logs: logsText(entry, maxBytes, quirk),
    stdout: streamText(entry.output, 'stdout', maxBytes),
    stderr: streamText(entry.output, 'stderr', maxBytes),
    restartOnFailure: settings.restartOnFailure,
    maxRestarts: settings.maxRestarts,
    restartCount: entry.restartCount,
    keepAlive: settings.keepAlive,
  };
  if (settings.stdin !== undefined) response.stdin = proc.stdinWritable;
  return response;
}

/** GET /process/{id}/logs, fields in the server's order: stdout, stderr, logs. */
export function processLogs(entry: ProcessEntry, maxBytes: number, quirk: Quirks): { stdout: string; stderr: string; logs: string } {
  const log = entry.output;
  return { stdout: streamText(log, 'stdout', maxBytes), stderr: streamText(log, 'stderr', maxBytes), logs: logsText(entry, maxBytes, quirk) };
}
