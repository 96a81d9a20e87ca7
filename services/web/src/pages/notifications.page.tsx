/**
 * Notifications (/me/notifications): my alerts, newest first and arriving live (through the
 * layout's one stream), and the events I follow with their limits (edit, pause, delete).
 */
import { WarnIcon } from '../components/icons';
import { LiveIndicator } from '../components/states';
import { PageTitle } from '../components/ui';
import { useAlertStreamStatus } from '../lib/alerts';
import { AlertsSection } from './notifications/alerts-section';
import { SubscriptionsSection } from './notifications/subscriptions-section';

export default function NotificationsPage() {
  const status = useAlertStreamStatus();
  return (
    <>
      <PageTitle
        sub="Low-stock alerts for the events you follow, as they happen."
        actions={<LiveIndicator status={status} className="min-h-11" />}
      >
        Notifications
      </PageTitle>
      {status === 'reconnecting' && (
        <div className="mb-6 flex items-start gap-3 rounded-2xl bg-warn-soft p-4 text-sm text-warn-ink ring-1 ring-warn/30">
          <WarnIcon className="mt-0.5 size-5" />
          <p>
            <span className="font-semibold">Live alerts are reconnecting.</span> What you see may be out of date; we reconnect by ourselves
            and catch up on anything missed.
          </p>
        </div>
      )}
      <div className="grid items-start gap-8 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <AlertsSection />
        <SubscriptionsSection />
      </div>
    </>
  );
}
