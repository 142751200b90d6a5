/**
 * YAML text to plain data plus a locator that knows where each key and value was written.
 */

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { childPath, indexPath, type Locator, type Position } from './issues.js';
import type { ConfigIssue } from './types.js';

export type YamlParseResult =
  | { readonly ok: true; readonly value: unknown; readonly locator: Locator }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

interface Written {
  readonly key: Position;
  readonly value: Position;
}

/**
 * Parses one YAML document. Merge keys (`<<: *anchor`) are honoured because LiteLLM configs use
 * them to share litellm_params between deployments. Syntax errors (including duplicate keys) come
 * back as issues with their line and column; an empty document is an empty map.
 */
export function parseYamlSource(text: string): YamlParseResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((err): ConfigIssue => ({
      path: '',
      message: `YAML syntax error: ${firstLine(err.message)}`,
      line: err.linePos?.[0].line ?? null,
      column: err.linePos?.[0].col ?? null,
    }));
    return { ok: false, issues };
  }
  const written = new Map<string, Written>();
  indexNode(doc.contents, '', written, lineCounter);
  const value: unknown = doc.contents === null ? {} : doc.toJS({ maxAliasCount: 1000 });
  return { ok: true, value: value ?? {}, locator: locatorFor(written) };
}

/** yaml's pretty messages repeat the offending source lines below the first; keep the sentence. */
function firstLine(message: string): string {
  return message.split('\n', 1)[0];
}

function positionOf(node: unknown, lineCounter: LineCounter): Position | null {
  const range = (node as Node | null)?.range;
  if (!range) return null;
  const { line, col } = lineCounter.linePos(range[0]);
  return { line, column: col };
}

/** Records where every map key and sequence item below `node` was written, keyed by config path. */
function indexNode(node: unknown, path: string, out: Map<string, Written>, lc: LineCounter): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (key === '<<') continue;
      const keyPos = positionOf(pair.key, lc);
      if (keyPos === null) continue;
      const p = childPath(path, key);
      out.set(p, { key: keyPos, value: positionOf(pair.value, lc) ?? keyPos });
      indexNode(pair.value, p, out, lc);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      const pos = positionOf(item, lc);
      const p = indexPath(path, i);
      if (pos !== null) out.set(p, { key: pos, value: pos });
      indexNode(item, p, out, lc);
    });
  }
}

/** The path one level up: `a.b[2].c` → `a.b[2]` → `a.b` → `a` → ``. */
function parentPath(path: string): string {
  const cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return cut <= 0 ? '' : path.slice(0, cut);
}

function locatorFor(written: ReadonlyMap<string, Written>): Locator {
  return {
    find(path, at) {
      for (let p = path; p !== ''; p = parentPath(p)) {
        const hit = written.get(p);
        if (hit !== undefined) return p === path ? hit[at] : hit.key;
      }
      return null;
    },
  };
}
