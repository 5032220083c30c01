// Go's time.ParseDuration, which the server uses for `startupTimeout` and `idleTimeout`.
const UNIT_SECONDS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  'µs': 1e-6,
  'μs': 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};

const PART = /(\d*(?:\.\d*)?)(ns|us|µs|μs|ms|s|m|h)/y;

/** Seconds in a Go duration string (`90s`, `1h30m`, `0`), or undefined when Go would refuse it. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest.startsWith('-') ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const at = PART.lastIndex;
    const match = PART.exec(rest);
    if (!match || match.index !== at) return undefined;
    const number = match[1];
    if (number === '' || number === '.') return undefined;
    total += Number(number) * UNIT_SECONDS[match[2]];
  }
  return sign * total;
}
