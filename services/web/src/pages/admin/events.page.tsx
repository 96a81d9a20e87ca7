/** Admin: Events: search, sort, create, edit with conflict handling, delete with confirmation (to be built). */
import { PageTitle } from '../../components/ui';

export default function EventsAdminPage() {
  return <PageTitle sub="search, sort, create, edit with conflict handling, delete with confirmation">Events</PageTitle>;
}
