/** Home: upcoming events, search as you type, filters, paging (to be built). */
import { PageTitle } from '../components/ui';

export default function HomePage() {
  return <PageTitle sub="Home: upcoming events, search as you type, filters, paging">Events</PageTitle>;
}
