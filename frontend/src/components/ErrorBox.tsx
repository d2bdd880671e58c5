import type { ReactNode } from 'react';

export function ErrorBox({ children, testId, onRetry }: { children: ReactNode; testId?: string; onRetry?: () => void }) {
  return (
    <div className="error-box" role="alert" data-testid={testId}>
      <span>{children}</span>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
