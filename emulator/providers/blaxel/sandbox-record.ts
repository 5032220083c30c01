/**
 * A sandbox as the control plane describes it (the `Sandbox` schema of blaxel-control.yaml).
 * Only what the SDK reads is guaranteed; whatever else the client sent is kept and echoed.
 */
export interface SandboxRecord {
  metadata: {
    name: string;
    /** Where the SDK sends the process calls: this emulator's sandbox mount for the name. */
    url: string;
    workspace?: string;
    createdAt: string;
    updatedAt: string;
    [field: string]: unknown;
  };
  spec: Record<string, unknown>;
  status: string;
  [field: string]: unknown;
}

export interface SandboxRecordInput {
  name: string;
  url: string;
  workspace?: string;
  now: number;
  /** The body of POST /sandboxes, when the sandbox was created through the control plane. */
  body?: { metadata?: Record<string, unknown>; spec?: Record<string, unknown>; [field: string]: unknown };
}

export function newSandboxRecord(input: SandboxRecordInput): SandboxRecord {
  const at = new Date(input.now).toISOString();
  const { metadata = {}, spec = {}, status: _status, ...rest } = input.body ?? {};
  const workspace = input.workspace ?? (typeof metadata.workspace === 'string' ? metadata.workspace : undefined);
  return {
    ...rest,
    metadata: {
      ...metadata,
      name: input.name,
      url: input.url,
      ...(workspace !== undefined ? { workspace } : {}),
      createdAt: at,
      updatedAt: at,
    },
    spec: withoutRegion(spec),
    status: 'DEPLOYED',
  };
}

/**
 * Drops `spec.region`: with a region in the answer, @blaxel/core opens an HTTP/2 session to the
 * real edge (`any.<region>.bl.run`) and sends the process calls there instead of to us.
 */
export function withoutRegion(spec: Record<string, unknown>): Record<string, unknown> {
  const { region: _region, ...rest } = spec;
  return rest;
}

/** `spec.runtime.envs` ([{name, value}]) as an environment for the sandbox's processes. */
export function runtimeEnv(spec: Record<string, unknown>): Record<string, string> {
  const runtime = spec.runtime as { envs?: Array<{ name?: unknown; value?: unknown }> } | undefined;
  const env: Record<string, string> = {};
  for (const entry of runtime?.envs ?? []) {
    if (typeof entry?.name === 'string' && entry.name !== '') env[entry.name] = typeof entry.value === 'string' ? entry.value : '';
  }
  return env;
}
