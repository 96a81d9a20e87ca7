/**
 * Landing: what TickETCD is in one line, log in and register side by side, then straight to the
 * events (or back to `?next=`). Errors sit under the field they concern (the API's `fields`);
 * wrong credentials (401) and rate limits (429, with a countdown) above the button.
 */
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, call, isApiError, type ApiError } from '../api/client';
import { LoadingList, useCountdown } from '../components/states';
import { Button, Card, TextField } from '../components/ui';
import { useMe, useResetSession } from '../lib/session';

/** Only our own pages: `?next=//evil.example` or a full URL goes to the events instead. */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/events';
}

function FormError({ error }: { error: ApiError | null }) {
  const countdown = useCountdown(error?.status === 429 ? (error.retryAfter ?? 5) : undefined);
  if (!error || (error.fields?.length && error.status === 400)) return null;
  let text = error.message;
  if (error.status === 401) text = 'That username and password do not match. Check both and try again.';
  if (error.status === 429) text = countdown > 0 ? `Too many attempts. Try again in ${countdown} s.` : 'You can try again now.';
  if (error.status === 409) text = 'That username is taken. Pick another one, or log in.';
  if (error.status >= 500 || error.status === 0) text = `${error.message} Nothing was changed; try again in a moment.`;
  return (
    <p role="alert" className="rounded-xl bg-danger-soft px-3 py-2 text-sm text-danger-ink">
      <span aria-hidden="true">⚠ </span>
      {text}
    </p>
  );
}

function useAfterLogin() {
  const reset = useResetSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  return async () => {
    await reset();
    navigate(safeNext(params.get('next')), { replace: true });
  };
}

function asApiError(e: unknown): ApiError | null {
  return isApiError(e) ? e : null;
}

function LoginForm() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const done = useAfterLogin();
  const login = useMutation({
    mutationFn: () => call(api.POST('/api/auth/login', { body: { username: username.trim(), password } })),
    onSuccess: done,
  });
  const err = asApiError(login.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  return (
    <Card as="section" className="flex flex-col">
      <h2 className="text-xl font-semibold text-ink">Log in</h2>
      <p className="mt-1 text-sm text-ink-soft">Welcome back. Your tickets and alerts are waiting.</p>
      <form onSubmit={submit} className="mt-5 flex flex-1 flex-col gap-4" aria-label="Log in" noValidate>
        <TextField
          label="Username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          error={err?.fieldMessage('username')}
          required
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={err?.fieldMessage('password')}
          required
        />
        <FormError error={err} />
        <Button type="submit" busy={login.isPending} className="mt-auto w-full">
          Log in
        </Button>
      </form>
    </Card>
  );
}

function RegisterForm() {
  const [f, setF] = useState({ username: '', password: '', name: '', email: '' });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const done = useAfterLogin();
  const register = useMutation({
    mutationFn: async () => {
      const body = { username: f.username.trim(), password: f.password, name: f.name.trim(), email: f.email.trim() };
      await call(api.POST('/api/auth/register', { body }));
      await call(api.POST('/api/auth/login', { body: { username: body.username, password: body.password } }));
    },
    onSuccess: done,
  });
  const err = asApiError(register.error);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    register.mutate();
  };
  return (
    <Card as="section" className="flex flex-col">
      <h2 className="text-xl font-semibold text-ink">Create an account</h2>
      <p className="mt-1 text-sm text-ink-soft">Takes ten seconds. Buy, keep favourites and get low-stock alerts.</p>
      <form onSubmit={submit} className="mt-5 flex flex-1 flex-col gap-4" aria-label="Create an account" noValidate>
        <TextField
          label="Username"
          name="new-username"
          autoComplete="username"
          value={f.username}
          onChange={set('username')}
          error={err?.fieldMessage('username') ?? (err?.status === 409 ? 'That username is taken.' : undefined)}
          hint="3 to 32 characters: a to z, 0 to 9, dot, dash or underscore."
          required
        />
        <TextField
          label="Password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          value={f.password}
          onChange={set('password')}
          error={err?.fieldMessage('password')}
          hint="At least 10 characters; a short sentence works well."
          required
        />
        <div className="grid gap-4 sm:grid-cols-2">
          <TextField
            label="Name (optional)"
            name="name"
            autoComplete="name"
            value={f.name}
            onChange={set('name')}
            error={err?.fieldMessage('name')}
          />
          <TextField
            label="E-mail (optional)"
            name="email"
            type="email"
            autoComplete="email"
            value={f.email}
            onChange={set('email')}
            error={err?.fieldMessage('email')}
          />
        </div>
        <FormError error={err?.status === 409 ? null : err} />
        <Button type="submit" busy={register.isPending} className="mt-auto w-full">
          Create account and continue
        </Button>
      </form>
    </Card>
  );
}

export default function LandingPage() {
  const me = useMe();
  const [params] = useSearchParams();
  if (me.isLoading) return <LoadingList rows={2} />;
  if (me.data) return <Navigate to={safeNext(params.get('next'))} replace />;
  return (
    <div className="mx-auto max-w-5xl">
      <div className="mb-8 text-center sm:mb-10">
        <h1 className="text-3xl font-bold tracking-tight text-ink sm:text-5xl">Tickets that are never sold twice.</h1>
        <p className="mx-auto mt-3 max-w-2xl text-lg text-ink-soft">
          TickETCD sells concert, theatre and festival tickets on a five-machine cluster: every seat counted once, even when thousands buy
          at the same second.
        </p>
        <p className="mt-4">
          <Link to="/events" className="inline-flex min-h-11 items-center font-semibold text-accent underline-offset-4 hover:underline">
            Browse events first →
          </Link>
        </p>
      </div>
      {params.get('next') && (
        <p className="mb-4 rounded-xl bg-accent-soft px-4 py-3 text-center text-sm text-accent-ink">
          Log in or create an account to continue; we will bring you right back.
        </p>
      )}
      <div className="grid gap-6 md:grid-cols-2">
        <LoginForm />
        <RegisterForm />
      </div>
    </div>
  );
}
