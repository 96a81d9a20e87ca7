/** Admin: Key history: pick a key, see every revision with its value and time (to be built). */
import { PageTitle } from '../../components/ui';

export default function KeyHistoryPage() {
  return <PageTitle sub="pick a key, see every revision with its value and time">Key history</PageTitle>;
}
