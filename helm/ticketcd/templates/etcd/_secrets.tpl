{{/*
Issue 29.2: secrets nobody regenerates. No template makes a secret value (no randAlphaNum, genCA
or lookup: under Argo CD `lookup` returns nothing, so each sync made a new root password). Each
Secret comes from an existingSecret / cert-manager, or the etcd-auth Job's init container
`ensure-secrets` (etcd-secrets.js ensure, tools image) creates it once, when absent, and never
changes it. Those Secrets are not Helm's: an uninstall keeps them (docs/deploy.md "Secrets").
*/}}

{{- define "ticketcd.etcd.secretsServiceAccount" -}}{{ include "ticketcd.fullname" . }}-etcd-secrets{{- end -}}
{{- /* The Secret names (jwt, peer, server, clients) are in _helpers.tpl (issue 29.3). */}}
{{- define "ticketcd.etcd.caSecret" -}}{{ include "ticketcd.etcd.fullname" . }}-ca{{- end -}}

{{/* "true" when the admin Secret is rendered from admin.password (set by hand, never generated). */}}
{{- define "ticketcd.adminFromValues" -}}
{{- if and (not .Values.admin.existingSecret) .Values.admin.password }}true{{ end -}}
{{- end -}}

{{/*
What the Job makes of etcd's TLS material (issue 29.3's layout): the peer certificate when peer TLS
is on and neither cert-manager nor etcd.tls.existingSecrets.peer supplies it; the server and the
client certificates when client TLS is on and neither supplies them (_tls.tpl refuses a partial set:
they share one CA); the CA when it makes either. "true" or empty.
*/}}
{{- define "ticketcd.etcd.peerTlsFromJob" -}}
{{- $tls := .Values.etcd.tls -}}
{{- if and $tls.peer.enabled (not $tls.certManager.enabled) (not $tls.existingSecrets.peer) }}true{{ end -}}
{{- end -}}
{{- define "ticketcd.etcd.clientTlsFromJob" -}}
{{- $tls := .Values.etcd.tls -}}
{{- if and $tls.enabled (not $tls.certManager.enabled) (not $tls.existingSecrets.server) }}true{{ end -}}
{{- end -}}
{{- define "ticketcd.etcd.tlsFromJob" -}}
{{- if or (include "ticketcd.etcd.peerTlsFromJob" .) (include "ticketcd.etcd.clientTlsFromJob" .) }}true{{ end -}}
{{- end -}}

{{/* The Secret whose ca.crt/tls.crt/tls.key the Job's etcd-auth container uses (CN root). */}}
{{- define "ticketcd.etcd.toolsTlsSecret" -}}
{{- include "ticketcd.etcd.clientTlsSecret" (dict "root" . "client" "tools") -}}
{{- end -}}

{{/* Names of every Secret `ensure-secrets` may create, as a JSON list (the Role's get). */}}
{{- define "ticketcd.etcd.ensuredSecrets" -}}
{{- $names := list -}}
{{- if not .Values.etcd.auth.rootExistingSecret }}{{ $names = append $names (include "ticketcd.etcd.rootSecret" .) }}{{ end -}}
{{- if not .Values.etcd.auth.existingSecret }}{{ $names = append $names (include "ticketcd.etcd.usersSecret" .) }}{{ end -}}
{{- if not .Values.etcd.auth.jwt.existingSecret }}{{ $names = append $names (include "ticketcd.etcd.jwtSecret" .) }}{{ end -}}
{{- if and (not .Values.admin.existingSecret) (not (include "ticketcd.adminFromValues" .)) }}{{ $names = append $names (include "ticketcd.adminSecret" .) }}{{ end -}}
{{- if include "ticketcd.etcd.tlsFromJob" . }}{{ $names = append $names (include "ticketcd.etcd.caSecret" .) }}{{ end -}}
{{- if include "ticketcd.etcd.peerTlsFromJob" . }}{{ $names = append $names (include "ticketcd.etcd.peerTlsSecret" .) }}{{ end -}}
{{- if include "ticketcd.etcd.clientTlsFromJob" . }}
{{- $names = append $names (include "ticketcd.etcd.serverTlsSecret" .) -}}
{{- range $service, $_ := .Values.services }}{{ $names = append $names (include "ticketcd.etcd.clientTlsSecret" (dict "root" $ "client" $service)) }}{{ end -}}
{{- $names = append $names (include "ticketcd.etcd.clientTlsSecret" (dict "root" . "client" "tools")) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}

{{/* What the init container copies for the etcd-auth container: the tools client certificate (the passwords come as variables). */}}
{{- define "ticketcd.etcd.ensureCopies" -}}
{{- $copies := list -}}
{{- if .Values.etcd.tls.enabled }}{{ $copies = append $copies (include "ticketcd.etcd.toolsTlsSecret" .) }}{{ end -}}
{{- toJson $copies -}}
{{- end -}}

{{/*
The etcd-auth Job's init container: creates what is absent, then copies the tools client
certificate into the in-memory volume the etcd-auth container mounts. The Job's pod
mounts no Secret volume: a missing Secret volume holds the whole pod, init containers included,
so the Job would wait for the Secrets it is there to create. Services and etcd members that mount
or read a Secret not created yet just wait (the kubelet retries); nothing waits for the Job.
*/}}
{{- define "ticketcd.etcd.ensureSecretsInitContainer" -}}
{{- $fullname := include "ticketcd.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- $domain := .Values.clusterDomain -}}
- name: ensure-secrets
  image: {{ include "ticketcd.toolsImage" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["node", "libs/tooling/deploy/dist/etcd-secrets.js", "ensure"]
  args:
    - --namespace={{ $ns }}
    {{- /* Not app.kubernetes.io/instance: Argo CD (label tracking) would count these as the app's and prune them. */}}
    - --label=app.kubernetes.io/part-of=ticketcd
    {{- if not .Values.etcd.auth.rootExistingSecret }}
    - --root={{ include "ticketcd.etcd.rootSecret" . }}
    {{- end }}
    {{- if not .Values.etcd.auth.existingSecret }}
    - --users={{ include "ticketcd.etcd.usersSecret" . }}
    - --services={{ keys .Values.services | sortAlpha | join "," }}
    {{- end }}
    {{- if not .Values.etcd.auth.jwt.existingSecret }}
    - --jwt={{ include "ticketcd.etcd.jwtSecret" . }}
    {{- end }}
    {{- if and (not .Values.admin.existingSecret) (not (include "ticketcd.adminFromValues" .)) }}
    - --admin={{ include "ticketcd.adminSecret" . }}
    {{- end }}
    {{- if include "ticketcd.etcd.tlsFromJob" . }}
    {{- $etcd := include "ticketcd.etcd.fullname" . }}
    {{- $headless := include "ticketcd.etcd.headless" . }}
    {{- $wild := list (printf "*.%s" $headless) (printf "*.%s.%s.svc" $headless $ns) (printf "*.%s.%s.svc.%s" $headless $ns $domain) }}
    - --ca={{ include "ticketcd.etcd.caSecret" . }}
    {{- if include "ticketcd.etcd.peerTlsFromJob" . }}
    - --peer={{ include "ticketcd.etcd.peerTlsSecret" . }}
    - --peer-san={{ join "," $wild }}
    {{- end }}
    {{- if include "ticketcd.etcd.clientTlsFromJob" . }}
    - --server={{ include "ticketcd.etcd.serverTlsSecret" . }}
    - --server-san={{ join "," (concat (list $etcd (printf "%s.%s.svc" $etcd $ns) (printf "%s.%s.svc.%s" $etcd $ns $domain)) $wild (list "localhost" "127.0.0.1")) }}
    {{- range $service := keys .Values.services | sortAlpha }}
    - --client={{ include "ticketcd.etcd.clientTlsSecret" (dict "root" $ "client" $service) }}:{{ $service }}
    {{- end }}
    - --client={{ include "ticketcd.etcd.clientTlsSecret" (dict "root" . "client" "tools") }}:root
    {{- end }}
    {{- end }}
    {{- if .Values.etcd.tls.enabled }}
    - --copy={{ include "ticketcd.etcd.toolsTlsSecret" . }}:/run/ticketcd/etcd-tls
    {{- end }}
  env:
    - name: ADMIN_USERNAME
      value: {{ .Values.admin.username | quote }}
  resources:
    requests: { cpu: 50m, memory: 96Mi }
    limits: { memory: 256Mi }
  securityContext:
    {{- include "ticketcd.containerSecurityContext" (dict "uid" 1000) | nindent 4 }}
  volumeMounts:
    - name: kube-api
      mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      readOnly: true
    {{- if .Values.etcd.tls.enabled }}
    - name: etcd-tls
      mountPath: /run/ticketcd/etcd-tls
    {{- end }}
{{- end -}}

{{/*
The Job pod's volumes that go with the init container: the API token (mounted into ensure-secrets
only; the pod's automount is off) and, with TLS, the in-memory volume `etcd-tls` under the name the
etcd-auth container mounts. The service passwords reach that container as variables.
*/}}
{{- define "ticketcd.etcd.ensureSecretsVolumes" -}}
- name: kube-api
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3600
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- if .Values.etcd.tls.enabled }}
- name: etcd-tls
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
{{- end }}
{{- end -}}
