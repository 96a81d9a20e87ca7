/** Profile: my purchases newest first, my favourites (to be built). */
import { PageTitle } from '../components/ui';

export default function ProfilePage() {
  return <PageTitle sub="Profile: my purchases newest first, my favourites">Profile</PageTitle>;
}
