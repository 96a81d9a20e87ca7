/** The admin side (its own chunk): cluster, instances, events, static lists, statistics, key history. */
import { NavLink, Route, Routes } from 'react-router';
import { PageTitle, cx } from '../../components/ui';

const tabs = [
  ['cluster', 'Cluster'],
  ['events', 'Events'],
  ['static', 'Static lists'],
  ['stats', 'Statistics'],
  ['keys', 'Key history'],
] as const;

function Stub({ name }: { name: string }) {
  return <PageTitle sub="to be built">{name}</PageTitle>;
}

export default function AdminRoutes() {
  return (
    <div>
      <nav aria-label="Admin" className="mb-6 flex flex-wrap gap-1 border-b border-line pb-2">
        {tabs.map(([path, label]) => (
          <NavLink
            key={path}
            to={`/admin/${path}`}
            className={({ isActive }) =>
              cx(
                'inline-flex min-h-11 items-center rounded-xl px-3 text-sm font-medium',
                isActive ? 'bg-accent-soft text-accent-ink' : 'text-ink hover:bg-muted',
              )
            }
          >
            {label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Stub name="Cluster" />} />
        <Route path="cluster" element={<Stub name="Cluster" />} />
        <Route path="events/*" element={<Stub name="Events" />} />
        <Route path="static" element={<Stub name="Static lists" />} />
        <Route path="stats" element={<Stub name="Statistics" />} />
        <Route path="keys" element={<Stub name="Key history" />} />
      </Routes>
    </div>
  );
}
