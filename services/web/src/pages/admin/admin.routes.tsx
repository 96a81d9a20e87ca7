/** The admin side (its own chunk): cluster, instances, events, static lists, statistics, key history, users. */
import { NavLink, Navigate, Route, Routes } from 'react-router';
import { cx } from '../../components/ui';
import ClusterPage from './cluster.page';
import EventsAdminPage from './events.page';
import KeyHistoryPage from './keys.page';
import StaticListsPage from './static.page';
import StatsPage from './stats.page';
import UsersPage from './users.page';

const tabs = [
  ['cluster', 'Cluster'],
  ['events', 'Events'],
  ['static', 'Static lists'],
  ['stats', 'Statistics'],
  ['keys', 'Key history'],
  ['users', 'Users'],
] as const;

export default function AdminRoutes() {
  return (
    <div>
      <nav aria-label="Admin" className="-mx-4 mb-6 flex gap-1 overflow-x-auto border-b border-line px-4 pb-2 sm:mx-0 sm:flex-wrap sm:px-0">
        {tabs.map(([path, label]) => (
          <NavLink
            key={path}
            to={`/admin/${path}`}
            className={({ isActive }) =>
              cx(
                'inline-flex min-h-11 shrink-0 items-center whitespace-nowrap rounded-xl px-3 text-sm font-medium',
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
        <Route path="users/*" element={<UsersPage />} />
      </Routes>
    </div>
  );
}
