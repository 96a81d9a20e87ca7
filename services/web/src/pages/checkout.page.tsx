/** Checkout: quantities of several types, one order, one Idempotency-Key per attempt (to be built). */
import { PageTitle } from '../components/ui';

export default function CheckoutPage() {
  return <PageTitle sub="Checkout: quantities of several types, one order, one Idempotency-Key per attempt">Checkout</PageTitle>;
}
