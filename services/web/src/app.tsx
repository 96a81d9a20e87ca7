/**
 * Routes. Clean URLs (/events/:id, /events/:id/tickets, /me, /me/notifications, /admin/...);
 * the report's URLs (/home?search=, /event?id=, /tickets?eventid=, /profile?username=,
 * /notifications) redirect to them. Pages other than the landing and events pages are separate
 * chunks (code-split), the admin side one of them.
 */
import { lazy, type ReactNode } from 'react';
import { createBrowserRouter, Navigate, useLocation, useRouteError, useSearchParams } from 'react-router';
import { Layout } from './components/layout';
import { EmptyState, LoadingList } from './components/states';
import { Button } from './components/ui';
import { useMe } from './lib/session';
import LandingPage from './pages/landing.page';
import HomePage from './pages/home.page';
import NotFoundPage from './pages/not-found.page';

// The first page a visitor sees (landing, events) is in the first chunk; the rest load on the way.
const EventPage = lazy(() => import('./pages/event.page'));
const CheckoutPage = lazy(() => import('./pages/checkout.page'));
const ProfilePage = lazy(() => import('./pages/profile.page'));
const NotificationsPage = lazy(() => import('./pages/notifications.page'));
const AdminRoutes = lazy(() => import('./pages/admin/admin.routes'));

/** Pages for logged-in people: others go to the landing page, and come back after logging in. */
export function RequireUser({ children, admin }: { children: ReactNode; admin?: boolean }) {
  const me = useMe();
  const location = useLocation();
  if (me.isLoading) return <LoadingList rows={2} />;
  if (!me.data) return <Navigate to={`/?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (admin && me.data.role !== 'admin') return <NotFoundPage message="This page is for administrators." />;
  return <>{children}</>;
}

function Legacy({ to }: { to: (q: URLSearchParams) => string }) {
  const [q] = useSearchParams();
  return <Navigate to={to(q)} replace />;
}

/** /profile?username=: my own profile, or (for an admin) someone else's. */
function LegacyProfile() {
  const [q] = useSearchParams();
  const me = useMe();
  const username = q.get('username');
  if (me.isLoading) return <LoadingList rows={2} />;
  if (!username || username === me.data?.username) return <Navigate to="/me" replace />;
  return <Navigate to={`/admin/users/${encodeURIComponent(username)}`} replace />;
}

/** What a render error or a chunk that failed to load (a deploy under way) shows instead of a blank page. */
function CrashPage() {
  const error = useRouteError();
  const chunk = error instanceof Error && /dynamically imported module|Importing a module script failed/i.test(error.message);
  return (
    <main id="main" className="mx-auto max-w-xl px-4 py-16">
      <EmptyState
        title={chunk ? 'A new version of TickETCD is out' : 'This page hit a problem'}
        action={
          <Button onClick={() => window.location.reload()} className="mx-auto">
            Reload the page
          </Button>
        }
      >
        {chunk ? 'Reload to get it; nothing you did was lost.' : 'Reloading usually fixes it. If it does not, tell us what you were doing.'}
      </EmptyState>
    </main>
  );
}

export const router = createBrowserRouter([
  {
    element: <Layout />,
    errorElement: <CrashPage />,
    children: [
      { path: '/', element: <LandingPage /> },
      { path: '/events', element: <HomePage /> },
      { path: '/events/:eventId', element: <EventPage /> },
      { path: '/events/:eventId/tickets', element: <CheckoutPage /> },
      {
        path: '/me',
        element: (
          <RequireUser>
            <ProfilePage />
          </RequireUser>
        ),
      },
      {
        path: '/me/notifications',
        element: (
          <RequireUser>
            <NotificationsPage />
          </RequireUser>
        ),
      },
      {
        path: '/admin/*',
        element: (
          <RequireUser admin>
            <AdminRoutes />
          </RequireUser>
        ),
      },
      // The report's URLs.
      { path: '/home', element: <Legacy to={(q) => `/events${q.get('search') ? `?q=${encodeURIComponent(q.get('search')!)}` : ''}`} /> },
      { path: '/event', element: <Legacy to={(q) => (q.get('id') ? `/events/${encodeURIComponent(q.get('id')!)}` : '/events')} /> },
      {
        path: '/tickets',
        element: <Legacy to={(q) => (q.get('eventid') ? `/events/${encodeURIComponent(q.get('eventid')!)}/tickets` : '/events')} />,
      },
      { path: '/profile', element: <LegacyProfile /> },
      { path: '/notifications', element: <Legacy to={() => '/me/notifications'} /> },
      { path: '*', element: <NotFoundPage /> },
    ],
  },
]);
