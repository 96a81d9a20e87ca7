{{/*
Issue 29.3: etcd's TLS settings that cannot work are refused at render time. Included by the
StatefulSet (every install renders it).
*/}}
{{- define "ticketcd.etcd.tlsChecks" -}}
{{- $tls := .Values.etcd.tls -}}
{{- if $tls.existingSecret }}
{{- fail "etcd.tls.existingSecret was replaced by etcd.tls.existingSecrets (issue 29.3): `peer`, `server` and, under `clients`, one Secret per service and `tools` (keys tls.crt, tls.key, ca.crt), so that no pod holds another's certificate. Remove it (with --reuse-values: --set etcd.tls.existingSecret=null) and see docs/deploy.md \"TLS\"." }}
{{- end }}
{{- if and $tls.clientCertAuth (not $tls.enabled) }}
{{- fail "etcd.tls.clientCertAuth=true needs etcd.tls.enabled=true: a plain-HTTP client port has no client certificate to check" }}
{{- end }}
{{- $clients := include "ticketcd.etcd.tlsClients" . | fromJsonArray -}}
{{- $exClients := $tls.existingSecrets.clients | default dict -}}
{{- range $name, $_ := $exClients }}
{{- if not (has $name $clients) }}
{{- fail (printf "etcd.tls.existingSecrets.clients.%s: not an etcd client of this release (one of: %s)" $name (join ", " $clients)) }}
{{- end }}
{{- end }}
{{- if and $tls.certManager.enabled (not $tls.certManager.issuerRef.name) }}
{{- fail "etcd.tls.certManager.issuerRef.name is required when etcd.tls.certManager.enabled" }}
{{- end }}
{{- /* The server and every client certificate must come from one CA (clients check the server with their ca.crt, etcd checks the clients with the server's): without cert-manager, either all are given or the auth Job makes all of them with its CA. */}}
{{- $given := 0 -}}
{{- if $tls.existingSecrets.server }}{{ $given = add1 $given }}{{ end -}}
{{- range $clients }}{{ if get $exClients . }}{{ $given = add1 $given }}{{ end }}{{ end -}}
{{- $total := add1 (len $clients) -}}
{{- if and $tls.enabled (not $tls.certManager.enabled) (gt $given 0) (lt $given $total) }}
{{- fail (printf "etcd.tls.existingSecrets: the server and client certificates must share one CA, so give etcd.tls.existingSecrets.server and a Secret for every client under etcd.tls.existingSecrets.clients (%s), or none of them (the etcd-auth Job then creates them all with its CA), or use etcd.tls.certManager" (join ", " $clients)) }}
{{- end }}
{{- $peerGiven := or (not $tls.peer.enabled) $tls.existingSecrets.peer -}}
{{- $clientGiven := or (not $tls.enabled) (eq $given $total) -}}
{{- if and (or $tls.peer.enabled $tls.enabled) (not $tls.certManager.enabled) (not (and $peerGiven $clientGiven)) (not .Values.etcd.auth.enabled) }}
{{- fail "etcd TLS needs its certificates from etcd.tls.certManager, etcd.tls.existingSecrets, or the etcd-auth Job (etcd.auth.enabled=true), which creates the absent ones: with etcd auth off nothing would create them. Peer TLS is on by default (etcd.tls.peer.enabled)." }}
{{- end }}
{{- end -}}
