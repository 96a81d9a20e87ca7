/** Admin: Static lists: locations, event types, ticket types: add and remove (to be built). */
import { PageTitle } from '../../components/ui';

export default function StaticListsPage() {
  return <PageTitle sub="locations, event types, ticket types: add and remove">Static lists</PageTitle>;
}
