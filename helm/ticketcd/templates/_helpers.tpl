{{/* Names and labels shared by every template. */}}

{{- define "ticketcd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "ticketcd.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "ticketcd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels of every pod of the release (the default-deny NetworkPolicy selects these). */}}
{{- define "ticketcd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ticketcd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "ticketcd.labels" -}}
helm.sh/chart: {{ include "ticketcd.chart" . }}
{{ include "ticketcd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ticketcd
{{- end -}}

{{/* Labels of one component: (dict "root" $ "component" "orders") */}}
{{- define "ticketcd.componentLabels" -}}
{{ include "ticketcd.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "ticketcd.componentSelector" -}}
{{ include "ticketcd.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Pod labels that open the etcd / NATS client NetworkPolicies. */}}
{{- define "ticketcd.etcdClientLabel" -}}
ticketcd.io/etcd-client: "true"
{{- end -}}
{{- define "ticketcd.natsClientLabel" -}}
ticketcd.io/nats-client: "true"
{{- end -}}

{{/* Image of a TickETCD service or the tools image: (dict "root" $ "name" "orders" "image" .Values.services.orders.image)
With `image.digest` (issue 29.7): `<repository>:<tag>@sha256:...`; the tag stays for readers, the digest decides. */}}
{{- define "ticketcd.image" -}}
{{- $root := .root -}}
{{- $tag := default (default $root.Chart.AppVersion $root.Values.image.tag) .image.tag -}}
{{- if .image.repository -}}
{{- printf "%s:%s" .image.repository $tag -}}
{{- else if $root.Values.image.registry -}}
{{- printf "%s/%s%s:%s" $root.Values.image.registry $root.Values.image.repositoryPrefix .name $tag -}}
{{- else -}}
{{- printf "%s%s:%s" $root.Values.image.repositoryPrefix .name $tag -}}
{{- end -}}
{{- with .image.digest }}@{{ . }}{{ end -}}
{{- end -}}

{{- define "ticketcd.toolsImage" -}}
{{- include "ticketcd.image" (dict "root" . "name" "tools" "image" .Values.tools.image) -}}
{{- end -}}

{{- define "ticketcd.pullSecrets" -}}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* etcd */}}
{{- define "ticketcd.etcd.fullname" -}}{{ include "ticketcd.fullname" . }}-etcd{{- end -}}
{{- define "ticketcd.etcd.headless" -}}{{ include "ticketcd.fullname" . }}-etcd-headless{{- end -}}
{{- define "ticketcd.etcd.clientScheme" -}}{{ if .Values.etcd.tls.enabled }}https{{ else }}http{{ end }}{{- end -}}
{{- define "ticketcd.etcd.peerScheme" -}}{{ if .Values.etcd.tls.peer.enabled }}https{{ else }}http{{ end }}{{- end -}}
{{- define "ticketcd.etcd.quorum" -}}{{ add (div (int .Values.etcd.replicaCount) 2) 1 }}{{- end -}}

{{/* Every member's client URL, comma-separated (ETCD_ENDPOINTS). */}}
{{- define "ticketcd.etcd.endpoints" -}}
{{- $fullname := include "ticketcd.etcd.fullname" . -}}
{{- $headless := include "ticketcd.etcd.headless" . -}}
{{- $scheme := include "ticketcd.etcd.clientScheme" . -}}
{{- $urls := list -}}
{{- range $i := until (int .Values.etcd.replicaCount) -}}
{{- $urls = append $urls (printf "%s://%s-%d.%s.%s.svc.%s:2379" $scheme $fullname $i $headless $.Release.Namespace $.Values.clusterDomain) -}}
{{- end -}}
{{- join "," $urls -}}
{{- end -}}

{{/* --initial-cluster: name=peerURL for every member, derived from replicaCount. */}}
{{- define "ticketcd.etcd.initialCluster" -}}
{{- $fullname := include "ticketcd.etcd.fullname" . -}}
{{- $headless := include "ticketcd.etcd.headless" . -}}
{{- $members := list -}}
{{- range $i := until (int .Values.etcd.replicaCount) -}}
{{- $members = append $members (printf "%s-%d=%s://%s-%d.%s.%s.svc.%s:2380" $fullname $i (include "ticketcd.etcd.peerScheme" $) $fullname $i $headless $.Release.Namespace $.Values.clusterDomain) -}}
{{- end -}}
{{- join "," $members -}}
{{- end -}}

{{- define "ticketcd.etcd.rootSecret" -}}
{{- if .Values.etcd.auth.rootExistingSecret -}}{{ .Values.etcd.auth.rootExistingSecret }}{{- else -}}{{ include "ticketcd.fullname" . }}-etcd-root{{- end -}}
{{- end -}}
{{- define "ticketcd.etcd.usersSecret" -}}
{{- if .Values.etcd.auth.existingSecret -}}{{ .Values.etcd.auth.existingSecret }}{{- else -}}{{ include "ticketcd.fullname" . }}-etcd-users{{- end -}}
{{- end -}}
{{- define "ticketcd.adminSecret" -}}
{{- if .Values.admin.existingSecret -}}{{ .Values.admin.existingSecret }}{{- else -}}{{ include "ticketcd.fullname" . }}-admin{{- end -}}
{{- end -}}

{{/*
Issue 29.3: etcd's certificates, one Secret per role (keys tls.crt, tls.key, ca.crt: cert-manager's
layout): the members' peer and server certificates, and one client certificate per etcd client
(each service, and `tools` for the auth Job, backups, defrag and the membership containers), so a
pod holds only its own. Names: etcd.tls.existingSecrets, else the chart's (cert-manager or the
ensure-secrets step of the auth Job create them).
*/}}
{{- define "ticketcd.etcd.peerTlsSecret" -}}
{{- .Values.etcd.tls.existingSecrets.peer | default (printf "%s-peer-tls" (include "ticketcd.etcd.fullname" .)) -}}
{{- end -}}
{{- define "ticketcd.etcd.serverTlsSecret" -}}
{{- .Values.etcd.tls.existingSecrets.server | default (printf "%s-server-tls" (include "ticketcd.etcd.fullname" .)) -}}
{{- end -}}
{{/* (dict "root" $ "client" "<service>|tools") */}}
{{- define "ticketcd.etcd.clientTlsSecret" -}}
{{- get (.root.Values.etcd.tls.existingSecrets.clients | default dict) .client | default (printf "%s-etcd-client-%s" (include "ticketcd.fullname" .root) .client) -}}
{{- end -}}
{{- define "ticketcd.etcd.jwtSecret" -}}
{{- .Values.etcd.auth.jwt.existingSecret | default (printf "%s-etcd-jwt" (include "ticketcd.fullname" .)) -}}
{{- end -}}
{{/* Every etcd client of the release: the services and `tools`. */}}
{{- define "ticketcd.etcd.tlsClients" -}}
{{- append (keys .Values.services | sortAlpha) "tools" | toJson -}}
{{- end -}}

{{/* The TLS env of an etcd client (services, the auth Job, backups, membership containers). */}}
{{- define "ticketcd.etcd.tlsEnv" -}}
{{- if .Values.etcd.tls.enabled }}
- name: ETCD_TLS_CA_FILE
  value: /etc/ticketcd/etcd-tls/ca.crt
- name: ETCD_TLS_CERT_FILE
  value: /etc/ticketcd/etcd-tls/tls.crt
- name: ETCD_TLS_KEY_FILE
  value: /etc/ticketcd/etcd-tls/tls.key
# Issue 29.3: a renewed certificate (the kubelet swaps the mounted Secret's files) is used for new connections without a restart.
- name: ETCD_TLS_RELOAD_MS
  value: {{ mul (int .Values.etcd.tls.reloadIntervalSeconds) 1000 | quote }}
{{- end }}
{{- end -}}
{{- define "ticketcd.etcd.tlsVolumeMount" -}}
{{- if .Values.etcd.tls.enabled }}
- name: etcd-tls
  mountPath: /etc/ticketcd/etcd-tls
  readOnly: true
{{- end }}
{{- end -}}
{{/* The tools' client certificate (auth Job, backup, defrag, membership containers). */}}
{{- define "ticketcd.etcd.tlsVolume" -}}
{{- include "ticketcd.etcd.clientTlsVolume" (dict "root" . "client" "tools") -}}
{{- end -}}
{{/* One client's own certificate: (dict "root" $ "client" "<service>|tools"). */}}
{{- define "ticketcd.etcd.clientTlsVolume" -}}
{{- if .root.Values.etcd.tls.enabled }}
- name: etcd-tls
  secret:
    secretName: {{ include "ticketcd.etcd.clientTlsSecret" . }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{/* etcdctl TLS flags for the backup and defrag Jobs. */}}
{{- define "ticketcd.etcd.etcdctlFlags" -}}
{{- if .Values.etcd.tls.enabled }}
- --cacert=/etc/ticketcd/etcd-tls/ca.crt
- --cert=/etc/ticketcd/etcd-tls/tls.crt
- --key=/etc/ticketcd/etcd-tls/tls.key
{{- end }}
{{- end -}}
{{/* etcdctl reads ETCDCTL_<FLAG> from the environment: the root password stays out of the args. */}}
{{- define "ticketcd.etcd.etcdctlAuthEnv" -}}
{{- if .Values.etcd.auth.enabled }}
- name: ETCDCTL_USER
  value: root
- name: ETCDCTL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "ticketcd.etcd.rootSecret" . }}
      key: password
{{- end }}
{{- end -}}
{{- define "ticketcd.etcd.rootPasswordEnv" -}}
{{- if .Values.etcd.auth.enabled }}
- name: ETCD_ROOT_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "ticketcd.etcd.rootSecret" . }}
      key: password
{{- end }}
{{- end -}}

{{/* NATS */}}
{{- define "ticketcd.nats.fullname" -}}{{ include "ticketcd.fullname" . }}-nats{{- end -}}
{{- define "ticketcd.nats.headless" -}}{{ include "ticketcd.fullname" . }}-nats-headless{{- end -}}

{{/* Restricted container securityContext (runAsNonRoot, read-only root, no capabilities). */}}
{{- define "ticketcd.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}
{{- define "ticketcd.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Services that an HPA scales (SCALER_AUTOSCALED) and their ranges (SCALER_HPA_RANGES). */}}
{{- define "ticketcd.autoscaled" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.autoscaling.enabled }}{{ $names = append $names $name }}{{ end -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}
{{/* Services whose Deployment carries `replicas` (SCALER_CHART_OWNED): the scaler refuses them (issue 29.4). */}}
{{- define "ticketcd.chartOwned" -}}
{{- $names := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if not (or $svc.autoscaling.enabled (has $name $.Values.scaler.ownedServices)) }}{{ $names = append $names $name }}{{ end -}}
{{- end -}}
{{- join "," $names -}}
{{- end -}}
{{- define "ticketcd.hpaRanges" -}}
{{- $ranges := list -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.autoscaling.enabled }}{{ $ranges = append $ranges (printf "%s=%d-%d" $name (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas)) }}{{ end -}}
{{- end -}}
{{- join "," $ranges -}}
{{- end -}}

{{/*
A Kubernetes memory quantity in bytes, as an integer string: 512Mi, 2Gi, 2G, 2147483648, 2.5Gi
(issue 28 point 3: etcd's memory request is compared with its quota).
*/}}
{{- define "ticketcd.quantityBytes" -}}
{{- $q := toString . -}}
{{- $m := regexFind "^[0-9]+(\\.[0-9]+)?" $q -}}
{{- $units := dict "" 1.0 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- $suffix := trimPrefix $m $q -}}
{{- if or (not $m) (not (hasKey $units $suffix)) -}}
{{- fail (printf "%q is not a memory quantity (e.g. 512Mi, 2Gi)" $q) -}}
{{- end -}}
{{- mulf (float64 $m) (get $units $suffix) | int64 -}}
{{- end -}}
