/**
 * True when the request carries `Bearer <token>` in `x-blaxel-authorization` (what @blaxel/core
 * sends) or in the standard `Authorization` header (curl, other clients). Either one is enough.
 */
export function authenticateBlaxel(headers: Record<string, string>, token: string): boolean {
  return [headers['x-blaxel-authorization'], headers.authorization].some((value) => bearerToken(value) === token);
}

function bearerToken(value: string | undefined): string | undefined {
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(value ?? '');
  return match?.[1];
}
