/**
 * The error Go's encoding/json gives for a body that is not JSON, as the sandbox-api (gin's
 * ShouldBindJSON, a json.Decoder) puts it after `invalid request body: `. Its scanner names the
 * first byte it cannot take and what it was looking for: `invalid character 'x' looking for
 * beginning of value`; a body that stops early is `unexpected EOF`, an empty one `EOF`.
 * Written from the scanner's states (encoding/json/scanner.go), not from its code.
 */
export function goJsonError(body: string): string {
  const scan = new Scan(body);
  try {
    scan.space();
    if (scan.done()) return 'EOF';
    scan.value();
    scan.space();
    // Something after a whole value: Go's Unmarshal words it so (a Decoder would stop before it).
    if (!scan.done()) scan.after('after top-level value');
    return 'unexpected end of JSON input';
  } catch (error) {
    if (error instanceof GoSyntaxError) return error.message;
    throw error;
  }
}

class GoSyntaxError extends Error {}

class Scan {
  private at = 0;

  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  space(): void {
    while (!this.done() && ' \t\r\n'.includes(this.text[this.at])) this.at++;
  }

  /** The next character, or the end: a body cut short is `unexpected EOF`. */
  private peek(): string {
    if (this.done()) throw new GoSyntaxError('unexpected EOF');
    return this.text[this.at];
  }

  after(context: string): never {
    return this.fail(context);
  }

  private fail(context: string): never {
    throw new GoSyntaxError(`invalid character ${quoteChar(this.peek())} ${context}`);
  }

  value(): void {
    const c = this.peek();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) if (c === literal[0]) return this.literal(literal);
    this.fail('looking for beginning of value');
  }

  private object(): void {
    this.at++;
    this.space();
    if (this.peek() === '}') {
      this.at++;
      return;
    }
    for (;;) {
      if (this.peek() !== '"') this.fail('looking for beginning of object key string');
      this.string();
      this.space();
      if (this.peek() !== ':') this.fail('after object key');
      this.at++;
      this.space();
      this.value();
      this.space();
      const c = this.peek();
      this.at++;
      if (c === '}') return;
      if (c !== ',') {
        this.at--;
        this.fail('after object key:value pair');
      }
      this.space();
    }
  }

  private array(): void {
    this.at++;
    this.space();
    if (this.peek() === ']') {
      this.at++;
      return;
    }
    for (;;) {
      this.value();
      this.space();
      const c = this.peek();
      this.at++;
      if (c === ']') return;
      if (c !== ',') {
        this.at--;
        this.fail('after array element');
      }
      this.space();
    }
  }

  private string(): void {
    this.at++;
    for (;;) {
      const c = this.peek();
      if (c === '"') {
        this.at++;
        return;
      }
      if (c < ' ') this.fail('in string literal');
      this.at++;
      if (c !== '\\') continue;
      const e = this.peek();
      if ('"\\/bfnrt'.includes(e)) {
        this.at++;
        continue;
      }
      if (e !== 'u') this.fail('in string escape code');
      this.at++;
      for (let i = 0; i < 4; i++) {
        if (!/[0-9a-fA-F]/.test(this.peek())) this.fail('in \\u hexadecimal character escape');
        this.at++;
      }
    }
  }

  private number(): void {
    if (this.peek() === '-') {
      this.at++;
      if (!/[0-9]/.test(this.peek())) this.fail('in numeric literal');
    }
    if (this.peek() === '0') this.at++;
    else while (!this.done() && /[0-9]/.test(this.text[this.at])) this.at++;
    if (!this.done() && this.text[this.at] === '.') {
      this.at++;
      if (!/[0-9]/.test(this.peek())) this.fail('after decimal point in numeric literal');
      while (!this.done() && /[0-9]/.test(this.text[this.at])) this.at++;
    }
    if (!this.done() && /[eE]/.test(this.text[this.at])) {
      this.at++;
      if (/[+-]/.test(this.peek())) this.at++;
      if (!/[0-9]/.test(this.peek())) this.fail('in exponent of numeric literal');
      while (!this.done() && /[0-9]/.test(this.text[this.at])) this.at++;
    }
  }

  private literal(word: string): void {
    this.at++;
    for (const expected of word.slice(1)) {
      if (this.peek() !== expected) this.fail(`in literal ${word} (expecting ${quoteChar(expected)})`);
      this.at++;
    }
  }
}

/** Go's quoteChar: `'x'`, with `'\''` and `'"'`, and escapes for what is not printable. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const quoted = JSON.stringify(c).slice(1, -1);
  return `'${quoted}'`;
}
