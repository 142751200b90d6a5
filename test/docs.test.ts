/**
 * The catalogues and their documentation agree: every error code and every metric is documented
 * with the same status, type and labels, and nothing documented is missing from the code.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERRORS } from '../src/errors.js';
import { METRIC_DEFINITIONS } from '../src/observability/metrics.js';
import { MANAGEMENT_ROUTES } from '../src/control/access-table.js';

const docs = (name: string) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

/** Rows of the first markdown table whose first cell is a `code` span. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const match = /^\| `([a-z_0-9]+)` \|(.*)\|$/.exec(line);
    if (match) rows.set(match[1], match[2].split('|').map((cell) => cell.trim()));
  }
  return rows;
}

test('docs/errors.md lists every error code with its status and type', () => {
  const rows = tableRows(docs('errors.md'));
  assert.deepEqual([...rows.keys()].sort(), Object.keys(ERRORS).sort());
  for (const [code, spec] of Object.entries(ERRORS)) {
    const [status, type, retryable] = rows.get(code)!;
    if (code !== 'upstream_error') assert.equal(status, String(spec.status), `${code} status`);
    assert.equal(type, `\`${spec.type}\``, `${code} type`);
    assert.equal(retryable, spec.retryable ? 'yes' : 'no', `${code} retryable`);
  }
});

test('docs/metrics.md lists every metric with its kind and labels', () => {
  const rows = tableRows(docs('metrics.md'));
  assert.deepEqual([...rows.keys()].sort(), METRIC_DEFINITIONS.map((m) => m.name).sort());
  for (const metric of METRIC_DEFINITIONS) {
    const [kind, labels] = rows.get(metric.name)!;
    assert.equal(kind, metric.kind, `${metric.name} kind`);
    assert.equal(labels, metric.labels.map((l) => `\`${l}\``).join(', '), `${metric.name} labels`);
  }
});

test('docs/control-plane.md lists every management route with the roles of the access table', () => {
  const roles = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const;
  const documented = new Map<string, string[]>();
  for (const line of docs('control-plane.md').split('\n')) {
    const match = /^\| `([A-Z]+ \/[^`]*)` \|(.*)\|$/.exec(line);
    if (match) documented.set(match[1], match[2].split('|').map((cell) => cell.trim()));
  }
  assert.deepEqual([...documented.keys()].sort(), MANAGEMENT_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  for (const route of MANAGEMENT_ROUTES) {
    const cells = documented.get(`${route.method} ${route.path}`)!;
    roles.forEach((role, i) => {
      const expected = !route.roles.includes(role) ? '—' : route.own && role.startsWith('internal') ? 'own' : 'yes';
      assert.equal(cells[i], expected, `${route.method} ${route.path} for ${role}`);
    });
  }
});
