/** Admin: Statistics: revenue and orders per event, sales by ticket type, totals, as charts (to be built). */
import { PageTitle } from '../../components/ui';

export default function StatsPage() {
  return <PageTitle sub="revenue and orders per event, sales by ticket type, totals, as charts">Statistics</PageTitle>;
}
