/** The delete confirmation of an event, used by the events table and the edit page. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, call, isApiError } from '../../api/client';
import { ConfirmDialog, Notice } from '../../components/admin-ui';
import { ErrorState } from '../../components/states';
import { adminKeys, type EventSummary } from './admin.queries';

/** What a page tells the one it sends the admin to ("Created …", "Deleted …"). */
export interface EventsFlash {
  flash?: string;
}

/** The delete confirmation: says what happens to sales; deletes the version shown (409 if it changed). */
export function DeleteEventDialog({
  event,
  onClose,
  onDeleted,
}: {
  event: Pick<EventSummary, 'eventId' | 'name' | 'version'> | null;
  onClose: () => void;
  onDeleted: (name: string) => void;
}) {
  const qc = useQueryClient();
  const del = useMutation({
    mutationFn: (e: NonNullable<typeof event>) =>
      call(api.DELETE('/api/events/{eventId}', { params: { path: { eventId: e.eventId }, query: { expectedVersion: e.version } } })),
    onSuccess: async (_r, e) => {
      qc.removeQueries({ queryKey: adminKeys.event(e.eventId) });
      await qc.invalidateQueries({ queryKey: adminKeys.events });
      onDeleted(e.name);
    },
    // A newer version (409) or a vanished event (404): the table shows what is there now.
    onError: () => qc.invalidateQueries({ queryKey: adminKeys.events }),
  });
  const close = () => {
    del.reset();
    onClose();
  };
  return (
    <ConfirmDialog
      open={!!event}
      title={`Delete “${event?.name ?? ''}”?`}
      confirmLabel="Delete event"
      danger
      busy={del.isPending}
      onCancel={close}
      onConfirm={() => event && del.mutate(event)}
    >
      <p>The event disappears from the site and no new tickets can be bought.</p>
      <p>
        <strong className="text-ink">Sales are kept:</strong> buyers keep their tickets, and the revenue stays in the statistics.
      </p>
      {del.isError && (
        <div className="pt-2">
          {isApiError(del.error) && del.error.status === 409 ? (
            <Notice tone="warn">
              Not deleted: someone saved a newer version
              {typeof del.error.details?.currentVersion === 'number' ? ` (version ${del.error.details.currentVersion})` : ''} since you
              opened it.{' '}
              <Link className="underline" to={`/admin/events/${event?.eventId}`} onClick={close}>
                Review it first
              </Link>
              .
            </Notice>
          ) : (
            <ErrorState error={del.error} />
          )}
        </div>
      )}
    </ConfirmDialog>
  );
}
