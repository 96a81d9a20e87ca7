/** Event: details, ticket types with live remaining counts, favourite, alert form (to be built). */
import { PageTitle } from '../components/ui';

export default function EventPage() {
  return <PageTitle sub="Event: details, ticket types with live remaining counts, favourite, alert form">Event</PageTitle>;
}
