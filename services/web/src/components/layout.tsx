/**
 * The frame of every page: a skip link, the header (navigation, unread alerts, the user), the page.
 * For a logged-in user it opens the app's one live alert stream: the unread count rises on every
 * page as alerts fire, and a toast says so (except on the notifications page, which lists them).
 */
import { useMutation } from '@tanstack/react-query';
import { Suspense, useCallback, useMemo, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router';
import { api, call } from '../api/client';
import { AlertStreamContext, useAlertStream, useUnreadCount, type LiveAlert } from '../lib/alerts';
import { AlertToasts } from './alert-toast';
import { useMe, useResetSession } from '../lib/session';
import { LoadingList } from './states';
import { cx } from './ui';

const navClass = ({ isActive }: { isActive: boolean }) =>
  cx(
    'inline-flex min-h-11 items-center gap-1.5 rounded-xl px-2 sm:px-3 text-sm font-medium',
    isActive ? 'bg-accent-soft text-accent-ink' : 'text-ink hover:bg-muted',
  );

function UnreadBadge({ count }: { count: number }) {
  if (count === 0) return null;
  // Rendered anew (key) when the count changes, so the pop plays on every new alert.
  return (
    <span
      key={count}
      data-testid="unread-count"
      className="min-w-5 animate-[pop_400ms_ease-out] rounded-full bg-accent px-1.5 text-center text-xs font-bold leading-5 text-white"
    >
      {count > 99 ? '99+' : count}
      <span className="sr-only"> unread</span>
    </span>
  );
}

export function Layout() {
  const me = useMe();
  const user = me.data ?? null;
  const unread = useUnreadCount(!!user);
  const { pathname } = useLocation();
  const [toasts, setToasts] = useState<LiveAlert[]>([]);
  const onAlert = useCallback(
    (a: LiveAlert) => {
      if (pathname !== '/me/notifications') setToasts((t) => [...t.slice(-4), a]);
    },
    [pathname],
  );
  const streamStatus = useAlertStream(!!user, onAlert);
  const stream = useMemo(() => ({ status: streamStatus }), [streamStatus]);
  const closeToast = useCallback((id: string) => setToasts((t) => t.filter((a) => a.alertId !== id)), []);
  const reset = useResetSession();
  const navigate = useNavigate();
  const logout = useMutation({
    mutationFn: () => call(api.POST('/api/auth/logout')),
    onSettled: async () => {
      await reset();
      navigate('/');
    },
  });

  return (
    <div className="flex min-h-dvh flex-col">
      <a href="#main" className="sr-only z-50 rounded-xl bg-surface p-3 focus:not-sr-only focus:fixed focus:left-2 focus:top-2">
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b border-line bg-surface/95 backdrop-blur">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-2 gap-y-1 px-4 py-2">
          <NavLink
            to={user ? '/events' : '/'}
            className="mr-auto flex min-h-11 items-center gap-2 text-lg font-bold tracking-tight text-ink"
          >
            <img src="/favicon.svg" alt="" className="size-7" />
            TickETCD
          </NavLink>
          <nav aria-label="Main" className="flex flex-wrap items-center gap-1">
            <NavLink to="/events" className={navClass}>
              Events
            </NavLink>
            {user && (
              <>
                {/* The name is the visible text: "Alerts 3 unread" (the badge's words are for screen readers). */}
                <NavLink to="/me/notifications" className={navClass} data-live={streamStatus}>
                  <span>Alerts</span> <UnreadBadge count={unread} />
                  {streamStatus === 'reconnecting' && (
                    <span title="Live alerts are reconnecting" className="text-xs text-warn-ink">
                      <span aria-hidden="true">⟳</span>
                      <span className="sr-only"> (live updates reconnecting)</span>
                    </span>
                  )}
                </NavLink>
                <NavLink to="/me" end className={navClass}>
                  {user.username}
                </NavLink>
                {user.role === 'admin' && (
                  <NavLink to="/admin" className={navClass}>
                    Admin
                  </NavLink>
                )}
                <button type="button" className={navClass({ isActive: false })} onClick={() => logout.mutate()} disabled={logout.isPending}>
                  Log out
                </button>
              </>
            )}
            {!user && !me.isLoading && (
              <NavLink to="/" className={navClass}>
                Log in
              </NavLink>
            )}
          </nav>
        </div>
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl flex-1 px-4 py-6 sm:py-8">
        <AlertStreamContext.Provider value={stream}>
          <Suspense fallback={<LoadingList />}>
            <Outlet />
          </Suspense>
        </AlertStreamContext.Provider>
      </main>
      {user && <AlertToasts alerts={toasts} onClose={closeToast} />}
      <footer className="border-t border-line py-6 text-center text-sm text-ink-soft">
        TickETCD: every ticket counted once, on a five-member etcd cluster.{' '}
        <a className="underline" href="/api/docs">
          API
        </a>
      </footer>
    </div>
  );
}
