/** Landing: what TickETCD is, log in and register side by side (to be built). */
import { PageTitle } from '../components/ui';

export default function LandingPage() {
  return <PageTitle sub="Landing: what TickETCD is, log in and register side by side">TickETCD</PageTitle>;
}
