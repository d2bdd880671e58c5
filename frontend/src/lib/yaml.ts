/**
 * A small YAML serializer and parser for experiment specs (the `yaml` npm package is not
 * available offline here). `toYaml` writes block mappings, flow lists of scalars and block
 * lists of mappings; `parseYaml` reads that subset plus what people paste: comments, quoted
 * strings, flow mappings/lists, `- key: value` list items, and JSON. Anchors, tags, multi-line
 * strings and multiple documents are not supported and raise a `YamlError` with the line.
 */

export type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };

export class YamlError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(line > 0 ? `line ${line}: ${message}` : message);
    this.name = 'YamlError';
    this.line = line;
  }
}

const RESERVED = /^(true|false|null|yes|no|on|off|~)$/i;
const NUMBER = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
const PLAIN = /^[A-Za-z_/.][\w./:@+-]*( [\w./:@+-]+)*$/;

function scalarToYaml(v: null | boolean | number | string): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return Number.isNaN(v) ? '.nan' : v > 0 ? '.inf' : '-.inf';
    const s = String(v);
    // "1e-7" is a string to YAML 1.1 readers (PyYAML): give the mantissa a dot
    return /e/.test(s) && !/\./.test(s.split('e')[0] ?? '') ? s.replace('e', '.0e') : s;
  }
  if (PLAIN.test(v) && !RESERVED.test(v) && !NUMBER.test(v)) return v;
  return JSON.stringify(v);
}

const isScalar = (v: unknown): v is null | boolean | number | string =>
  v === null || ['boolean', 'number', 'string'].includes(typeof v);

function keyToYaml(k: string): string {
  return PLAIN.test(k) && !RESERVED.test(k) && !NUMBER.test(k) ? k : JSON.stringify(k);
}

function inline(v: unknown): string | undefined {
  if (isScalar(v)) return scalarToYaml(v);
  if (Array.isArray(v) && v.every(isScalar)) return `[${v.map(scalarToYaml).join(', ')}]`;
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (typeof v === 'object' && v !== null && Object.keys(v).length === 0) return '{}';
  return undefined;
}

/** YAML text for a JSON-like value (undefined members are left out, like JSON.stringify). */
export function toYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  const one = inline(value);
  if (one !== undefined) return `${pad}${one}\n`;
  if (Array.isArray(value)) {
    return value
      .map((item) => {
        const text = inline(item);
        if (text !== undefined) return `${pad}- ${text}\n`;
        const body = toYaml(item, indent + 2);
        return `${pad}- ${body.slice(indent + 2)}`;
      })
      .join('');
  }
  let out = '';
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    const text = inline(v);
    out += text !== undefined ? `${pad}${keyToYaml(k)}: ${text}\n` : `${pad}${keyToYaml(k)}:\n${toYaml(v, indent + 2)}`;
  }
  return out;
}

interface Line {
  indent: number;
  text: string;
  no: number;
}

/** Drops a `#` comment that is not inside quotes. */
function stripComment(s: string): string {
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i);
  }
  return s;
}

/** Parses the YAML subset described above; throws YamlError. */
export function parseYaml(text: string): Yaml {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as Yaml;
    } catch {
      // not JSON: a YAML flow collection, read below
    }
  }
  const lines: Line[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (/^\s*---\s*$/.test(raw) && lines.length === 0) return;
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new YamlError('tabs cannot indent YAML', i + 1);
    const body = stripComment(raw).replace(/\s+$/, '');
    if (body.trim() === '') return;
    lines.push({ indent: body.length - body.trimStart().length, text: body.trimStart(), no: i + 1 });
  });
  if (lines.length === 0) return null;
  const first = lines[0] as Line;
  const [value, next] = parseBlock(lines, 0, first.indent);
  if (next < lines.length) {
    const bad = lines[next] as Line;
    throw new YamlError(`unexpected indentation at "${bad.text}"`, bad.no);
  }
  return value;
}

/** The block starting at lines[i] with exactly `indent`; returns the value and the next line. */
function parseBlock(lines: Line[], i: number, indent: number): [Yaml, number] {
  const first = lines[i] as Line;
  if (first.text === '-' || first.text.startsWith('- ')) return parseSequence(lines, i, indent);
  if (splitKey(first.text, first.no) === undefined) {
    if (i + 1 < lines.length && (lines[i + 1] as Line).indent >= indent) {
      throw new YamlError(`expected "key: value" at "${first.text}"`, first.no);
    }
    return [parseInline(first.text, first.no), i + 1];
  }
  return parseMapping(lines, i, indent);
}

function parseSequence(lines: Line[], i: number, indent: number): [Yaml[], number] {
  const out: Yaml[] = [];
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new YamlError(`unexpected indentation at "${line.text}"`, line.no);
    if (!(line.text === '-' || line.text.startsWith('- '))) break;
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      const next = lines[i + 1];
      if (next && next.indent > indent) {
        const [v, j] = parseBlock(lines, i + 1, next.indent);
        out.push(v);
        i = j;
      } else {
        out.push(null);
        i += 1;
      }
      continue;
    }
    // "- key: value" opens a mapping whose keys sit at the column after "- "
    const itemIndent = indent + (line.text.length - rest.length);
    const sub: Line[] = [{ indent: itemIndent, text: rest, no: line.no }];
    let j = i + 1;
    while (j < lines.length && (lines[j] as Line).indent > indent) sub.push(lines[j++] as Line);
    const [v, used] = parseBlock(sub, 0, itemIndent);
    if (used < sub.length) {
      const bad = sub[used] as Line;
      throw new YamlError(`unexpected indentation at "${bad.text}"`, bad.no);
    }
    out.push(v);
    i = j;
  }
  return [out, i];
}

function parseMapping(lines: Line[], i: number, indent: number): [{ [key: string]: Yaml }, number] {
  const out: { [key: string]: Yaml } = {};
  while (i < lines.length) {
    const line = lines[i] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new YamlError(`unexpected indentation at "${line.text}"`, line.no);
    const kv = splitKey(line.text, line.no);
    if (!kv) throw new YamlError(`expected "key: value" at "${line.text}"`, line.no);
    const [key, rest] = kv;
    if (key in out) throw new YamlError(`duplicate key "${key}"`, line.no);
    if (rest !== '') {
      out[key] = parseInline(rest, line.no);
      i += 1;
      continue;
    }
    const next = lines[i + 1];
    // a block list may sit at the key's own indentation ("key:\n- a\n- b")
    if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) {
      const [v, j] = parseBlock(lines, i + 1, next.indent);
      out[key] = v;
      i = j;
    } else {
      out[key] = null;
      i += 1;
    }
  }
  return [out, i];
}

/** `key: rest` -> [key, rest]; undefined when the line is no mapping entry. */
function splitKey(text: string, no: number): [string, string] | undefined {
  if (text.startsWith('"') || text.startsWith("'")) {
    const [key, end] = readQuoted(text, 0, no);
    const after = text.slice(end);
    if (!/^\s*:(\s|$)/.test(after)) return undefined;
    return [key, after.replace(/^\s*:/, '').trim()];
  }
  if (text.startsWith('{') || text.startsWith('[')) return undefined;
  const m = /^([^:]+?)\s*:(\s+|$)(.*)$/.exec(text);
  if (!m) return undefined;
  return [m[1] as string, (m[3] ?? '').trim()];
}

function readQuoted(text: string, at: number, no: number): [string, number] {
  const q = text[at];
  if (q === "'") {
    let out = '';
    let i = at + 1;
    while (i < text.length) {
      if (text[i] === "'") {
        if (text[i + 1] === "'") {
          out += "'";
          i += 2;
          continue;
        }
        return [out, i + 1];
      }
      out += text[i];
      i += 1;
    }
    throw new YamlError('unterminated string', no);
  }
  let i = at + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  if (i >= text.length) throw new YamlError('unterminated string', no);
  try {
    return [JSON.parse(text.slice(at, i + 1)) as string, i + 1];
  } catch {
    throw new YamlError('bad escape in a double-quoted string', no);
  }
}

function plainScalar(s: string): Yaml {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (NUMBER.test(s)) {
    if (/nan/i.test(s)) return Number.NaN;
    if (/inf/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
    return Number(s);
  }
  return s;
}

/** A value on one line: a quoted or plain scalar, or a flow collection. */
function parseInline(text: string, no: number): Yaml {
  const [v, end] = parseFlow(text, 0, no, false);
  if (text.slice(end).trim() !== '') throw new YamlError(`unexpected "${text.slice(end).trim()}"`, no);
  return v;
}

function parseFlow(text: string, at: number, no: number, inFlow: boolean): [Yaml, number] {
  let i = at;
  while (text[i] === ' ') i++;
  const c = text[i];
  if (c === '"' || c === "'") return readQuoted(text, i, no);
  if (c === '[') {
    const out: Yaml[] = [];
    i++;
    for (;;) {
      while (text[i] === ' ') i++;
      if (text[i] === ']') return [out, i + 1];
      const [v, j] = parseFlow(text, i, no, true);
      out.push(v);
      i = j;
      while (text[i] === ' ') i++;
      if (text[i] === ',') i++;
      else if (text[i] !== ']') throw new YamlError('expected "," or "]" in a flow list', no);
    }
  }
  if (c === '{') {
    const out: { [key: string]: Yaml } = {};
    i++;
    for (;;) {
      while (text[i] === ' ') i++;
      if (text[i] === '}') return [out, i + 1];
      let key: string;
      if (text[i] === '"' || text[i] === "'") [key, i] = readQuoted(text, i, no);
      else {
        const m = /^[^:,{}[\]]+/.exec(text.slice(i));
        if (!m) throw new YamlError('expected a key in a flow mapping', no);
        key = m[0].trim();
        i += m[0].length;
      }
      while (text[i] === ' ') i++;
      if (text[i] !== ':') throw new YamlError(`expected ":" after "${key}"`, no);
      const [v, j] = parseFlow(text, i + 1, no, true);
      out[key] = v;
      i = j;
      while (text[i] === ' ') i++;
      if (text[i] === ',') i++;
      else if (text[i] !== '}') throw new YamlError('expected "," or "}" in a flow mapping', no);
    }
  }
  const stop = inFlow ? /[,\]}]/ : /$^/;
  let j = i;
  while (j < text.length && !stop.test(text[j] as string)) j++;
  return [plainScalar(text.slice(i, j).trim()), j];
}
