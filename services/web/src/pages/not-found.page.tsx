import { ButtonLink } from '../components/ui';
import { EmptyState } from '../components/states';

export default function NotFoundPage({ message }: { message?: string }) {
  return (
    <EmptyState title={message ? 'Not for you' : 'Page not found'} action={<ButtonLink to="/events">See the events</ButtonLink>}>
      {message ?? 'There is no page at this address. The event may have been removed, or the link mistyped.'}
    </EmptyState>
  );
}
