/**
 * Where a body stops being JSON, for the dialects that word it as their server's parser does
 * (Go's encoding/json for Blaxel, serde_json for Tensorlake). The scanner follows the grammar
 * and stops at the first byte it cannot take, saying what it was looking for there; written
 * from the JSON grammar, not from either parser's code.
 */
export interface JsonFault {
  /** What the scanner wanted, in Go's scanner's words (`looking for beginning of value`, ...). */
  context: string;
  /** The character refused; undefined when the body ended first. */
  char?: string;
  /** Its offset in the text (the text's length at the end). */
  offset: number;
  /** The innermost thing being read when it failed. */
  inside: 'value' | 'object' | 'array' | 'string';
}

/** The first fault of `text` as JSON; undefined when it is one JSON value. */
export function jsonFault(text: string): JsonFault | undefined {
  const scan = new Scan(text);
  try {
    scan.space();
    scan.value();
    scan.space();
    if (!scan.done()) scan.fail('after top-level value');
    return undefined;
  } catch (error) {
    if (error instanceof Fault) return error.fault;
    throw error;
  }
}

class Fault extends Error {
  constructor(readonly fault: JsonFault) {
    super(fault.context);
  }
}

class Scan {
  private at = 0;
  private readonly stack: JsonFault['inside'][] = ['value'];

  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  space(): void {
    while (!this.done() && ' \t\r\n'.includes(this.text[this.at])) this.at++;
  }

  /** The next character; the end of the body is a fault of its own. */
  private peek(): string {
    if (this.done()) throw new Fault({ context: 'unexpected EOF', offset: this.at, inside: this.stack[this.stack.length - 1] });
    return this.text[this.at];
  }

  fail(context: string): never {
    throw new Fault({ context, char: this.peek(), offset: this.at, inside: this.stack[this.stack.length - 1] });
  }

  value(): void {
    // Ending here is ending where a value was due, whatever holds it.
    this.stack.push('value');
    const c = this.peek();
    this.stack.pop();
    if (c === '{') return this.within('object', () => this.object());
    if (c === '[') return this.within('array', () => this.array());
    if (c === '"') return this.within('string', () => this.string());
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) if (c === literal[0]) return this.literal(literal);
    this.fail('looking for beginning of value');
  }

  private within(inside: JsonFault['inside'], read: () => void): void {
    this.stack.push(inside);
    read();
    this.stack.pop();
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
      this.within('string', () => this.string());
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

/** Go's quoteChar: `'x'`, with `'\\''` and `'"'`, and escapes for what is not printable. */
export function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  return `'${JSON.stringify(c).slice(1, -1)}'`;
}
