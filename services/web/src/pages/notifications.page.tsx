/** Notifications: my subscriptions and alerts, live (to be built). */
import { PageTitle } from '../components/ui';

export default function NotificationsPage() {
  return <PageTitle sub="Notifications: my subscriptions and alerts, live">Notifications</PageTitle>;
}
