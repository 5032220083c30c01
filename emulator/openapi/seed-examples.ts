// The example answers the seed documents (the provider pages the project started from) show,
// paired with the operation of our documents that must accept them.

export interface SeedExample {
  seed: string;
  spec: string;
  operationId: string;
  status: number;
  mediaType: string;
  value: unknown;
}

export const SEED_EXAMPLES: SeedExample[] = [
  {
    seed: 'Blaxel "Get process logs" (ProcessLogs property examples)',
    spec: 'blaxel.yaml',
    operationId: 'getProcessLogs',
    status: 200,
    mediaType: 'application/json',
    value: { logs: 'logs output', stderr: 'stderr output', stdout: 'stdout output' },
  },
  {
    seed: 'Blaxel "Get process logs" (ErrorResponse property example)',
    spec: 'blaxel.yaml',
    operationId: 'getProcessLogs',
    status: 404,
    mediaType: 'application/json',
    value: { error: 'Error message' },
  },
  {
    seed: 'Tensorlake "Get Process Stderr"',
    spec: 'tensorlake.yaml',
    operationId: 'sandbox_process_stderr',
    status: 200,
    mediaType: 'application/json',
    value: { pid: 42, lines: ['Traceback (most recent call last):', 'ValueError: invalid input'], line_count: 2 },
  },
  {
    seed: 'Tensorlake "Get Process"',
    spec: 'tensorlake.yaml',
    operationId: 'sandbox_process_get',
    status: 200,
    mediaType: 'application/json',
    value: {
      handle: 1,
      pid: 42,
      status: 'running',
      exit_code: null,
      signal: null,
      stdin_writable: false,
      command: 'python',
      args: ['-m', 'http.server', '8080'],
      started_at: 1710000000000,
      ended_at: null,
    },
  },
  {
    seed: 'AgentBox "Get sandbox logs"',
    spec: 'agentbox.yaml',
    operationId: 'GetSandboxLogs',
    status: 200,
    mediaType: 'application/json',
    value: {
      sandboxId: '5de15c92-8fb5-440f-a9ea-7f62f734f1b9',
      namespace: 'string',
      podName: 'string',
      capturedAt: '2019-08-24T14:15:22Z',
      entries: [{ timestamp: '2019-08-24T14:15:22Z', container: 'string', log: 'string' }],
      truncated: true,
      totalBytes: 0,
      source: 'live',
      runtimeName: 'string',
    },
  },
  ...[400, 401, 404, 500].map((status) => ({
    seed: `AgentBox "Get sandbox logs" (error body, ${status})`,
    spec: 'agentbox.yaml',
    operationId: 'GetSandboxLogs',
    status,
    mediaType: 'application/json',
    value: { error: 'string', errorCode: 'API_KEY_REQUIRED', detail: null },
  })),
];
