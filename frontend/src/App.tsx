import { ComparePage } from './pages/ComparePage';
import { ExperimentPage } from './pages/ExperimentPage';
import { ExperimentsPage } from './pages/ExperimentsPage';
import { LaunchPage } from './pages/LaunchPage';
import { WorkersPage } from './pages/WorkersPage';
import { Link, matchPath, usePath } from './router';

function Nav({ path }: { path: string }) {
  const on = (active: boolean) => (active ? 'nav-link active' : 'nav-link');
  return (
    <header className="topnav">
      <nav className="topnav-inner" aria-label="Main">
        <Link to="/" className="logo">
          rl<span>board</span>
        </Link>
        <Link to="/" className={on(path === '/' || path.startsWith('/experiments'))} data-testid="nav-experiments">
          Experiments
        </Link>
        <Link to="/compare" className={on(path.startsWith('/compare'))} data-testid="nav-compare">
          Compare
        </Link>
        <Link to="/workers" className={on(path.startsWith('/workers'))} data-testid="nav-workers">
          Workers
        </Link>
        <Link to="/launch" className={on(path.startsWith('/launch'))} data-testid="nav-launch">
          New experiment
        </Link>
      </nav>
    </header>
  );
}

function Page({ path }: { path: string }) {
  if (matchPath('/', path) || matchPath('/experiments', path)) return <ExperimentsPage />;
  if (matchPath('/launch', path)) return <LaunchPage />;
  if (matchPath('/compare', path)) return <ComparePage />;
  if (matchPath('/workers', path)) return <WorkersPage />;
  const exp = matchPath('/experiments/:id', path);
  if (exp?.['id']) return <ExperimentPage key={exp['id']} id={exp['id']} />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <span className="mono">{path}</span>. <Link to="/">Back to experiments</Link>
      </p>
    </section>
  );
}

export function App() {
  const path = usePath();
  return (
    <>
      <Nav path={path} />
      <main className="container">
        <Page path={path} />
      </main>
    </>
  );
}
