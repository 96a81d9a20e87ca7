/** The admin side (its own chunk): cluster, instances, events, static lists, statistics, key history. */
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { cx } from '../../components/ui';
import ClusterPage from './cluster.page';
import EventsAdminPage from './events.page';
import KeyHistoryPage from './keys.page';
import StaticListsPage from './static.page';
import StatsPage from './stats.page';

const tabs = [
  ['cluster', 'Cluster'],
  ['events', 'Events'],
  ['static', 'Static lists'],
  ['stats', 'Statistics'],
  ['keys', 'Key history'],
] as const;

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
        <Route index element={<Navigate to="cluster" replace />} />
        <Route path="cluster" element={<ClusterPage />} />
        <Route path="events/*" element={<EventsAdminPage />} />
        <Route path="static" element={<StaticListsPage />} />
        <Route path="stats" element={<StatsPage />} />
        <Route path="keys" element={<KeyHistoryPage />} />
      </Routes>
    </div>
  );
}
