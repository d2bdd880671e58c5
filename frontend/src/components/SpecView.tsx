/** A resolved spec as YAML (or JSON), with a copy button. */
import { useMemo, useState } from 'react';
import { toYaml } from '../lib/yaml';

export function SpecView({ spec, title = 'Resolved spec' }: { spec: unknown; title?: string }) {
  const [format, setFormat] = useState<'yaml' | 'json'>('yaml');
  const [copied, setCopied] = useState(false);
  const text = useMemo(() => (format === 'yaml' ? toYaml(spec) : `${JSON.stringify(spec, null, 2)}\n`), [spec, format]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch {
      setCopied(false); // no clipboard (insecure context): the text is selectable anyway
    }
  }

  return (
    <details className="card spec" data-testid="spec-view">
      <summary>{title}</summary>
      <div className="spec-tools">
        <div className="segmented" role="group" aria-label="Format">
          {(['yaml', 'json'] as const).map((f) => (
            <button key={f} type="button" className={`btn btn-small${format === f ? ' active' : ''}`} aria-pressed={format === f} onClick={() => setFormat(f)}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
        <button type="button" className="btn btn-small" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <pre className="mono" data-testid="spec-text">
        {text}
      </pre>
    </details>
  );
}
