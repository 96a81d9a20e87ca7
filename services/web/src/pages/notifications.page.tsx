/**
 * Notifications (/me/notifications): my alerts, newest first and arriving live (through the
 * layout's one stream), and the events I follow with their limits (edit, pause, delete).
 */
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
      <div className="grid items-start gap-8 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <AlertsSection />
        <SubscriptionsSection />
      </div>
    </>
  );
}
