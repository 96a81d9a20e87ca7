{{/*
Issue 28.1: the flags and environment of the membership program (etcd-member.js prepare | run |
leave) in each etcd pod. No $(VAR) expansion here: the preStop exec gets none, so the program
reads POD_NAME and POD_NAMESPACE itself and fills {name} and {namespace}. Nothing here depends on
replicaCount: the desired size is read from the StatefulSet, so scaling changes no pod template.
*/}}
{{- define "ticketcd.etcd.memberArgs" -}}
{{- $etcd := include "ticketcd.etcd.fullname" . -}}
{{- $headless := include "ticketcd.etcd.headless" . -}}
{{- $scheme := include "ticketcd.etcd.clientScheme" . -}}
{{- $peerScheme := include "ticketcd.etcd.peerScheme" . -}}
- --statefulset={{ $etcd }}
- --token={{ $etcd }}
- --peer-url={{ $peerScheme }}://{name}.{{ $headless }}.{namespace}.svc.{{ .Values.clusterDomain }}:2380
- --client-url={{ $scheme }}://{name}.{{ $headless }}.{namespace}.svc.{{ .Values.clusterDomain }}:2379
- --listen-peer-url={{ $peerScheme }}://0.0.0.0:2380
- --listen-client-url={{ $scheme }}://0.0.0.0:2379
{{- end -}}

{{- define "ticketcd.etcd.memberEnv" -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- with include "ticketcd.etcd.tlsEnv" . | trim }}
{{ . }}
{{- end }}
{{- with include "ticketcd.etcd.rootPasswordEnv" . | trim }}
{{ . }}
{{- end }}
{{- end -}}
