/** Admin: Cluster: the five etcd members (role, leader, raft term and index, db size against the quota, alarms, health), live service instances per service, refreshed live (to be built). */
import { PageTitle } from '../../components/ui';

export default function ClusterPage() {
  return (
    <PageTitle sub="the five etcd members (role, leader, raft term and index, db size against the quota, alarms, health), live service instances per service, refreshed live">
      Cluster
    </PageTitle>
  );
}
